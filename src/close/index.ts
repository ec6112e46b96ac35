// Public entry of the close stage: connection -> verdict.

import { formatAddress } from '../decode/index.js';
import type { Connection, Dir, DirectionFacts } from '../flow/index.js';
import { activeCloserOf, detectFindings } from './findings.js';
import { ReplayParts, runStateMachines, stateAt, type StateChange } from './machine.js';
import { roundTrips } from './round-trips.js';
import type { TcpState } from './states.js';
import {
  emptySideVerdict, type CloseOptions, type DirectionSummary, type SideDurations, type SideVerdict, type Vantage, type Verdict,
} from './types.js';
import { zeekConnState } from './zeek.js';

export * from './types.js';
export { TCP_STATES, TRANSITIONS, nextState, type TcpState, type TcpEvent } from './states.js';
export { stateAt, type StateChange } from './machine.js';
export { SEVERITY } from './findings.js';

export const DEFAULT_CLOSE_OPTIONS: CloseOptions = {
  timeWaitUs: 60_000_000,
  finWait2LimitUs: 60_000_000,
  closeWaitLimitUs: 60_000_000,
};

/** 2 x MSL by OS profile: Linux and the BSDs use 60 s, Solaris 120 s (2 x 60), Windows 240 s. */
export const TIME_WAIT_BY_OS: Record<string, number> = {
  linux: 60_000_000, bsd: 60_000_000, macos: 30_000_000, windows: 240_000_000, solaris: 120_000_000,
};

/** Time spent in each close state, up to `untilUs` (what the capture observed), into `out`. */
function durations(changes: readonly StateChange[], untilUs: number, out: SideDurations): SideDurations {
  out.finWait1 = out.finWait2 = out.closing = out.timeWait = out.closeWait = out.lastAck = null;
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (c.atUs > untilUs) continue;
    const end = Math.min(i + 1 < changes.length ? changes[i + 1].atUs : untilUs, untilUs);
    addDuration(out, c.state, Math.max(0, end - c.atUs));
  }
  return out;
}

/** Adds time to a close state's duration (other states are not counted). A switch, not a key by name: it runs for every state change. */
function addDuration(out: SideDurations, state: TcpState, us: number): void {
  switch (state) {
    case 'FIN_WAIT_1': out.finWait1 = (out.finWait1 ?? 0) + us; break;
    case 'FIN_WAIT_2': out.finWait2 = (out.finWait2 ?? 0) + us; break;
    case 'CLOSING': out.closing = (out.closing ?? 0) + us; break;
    case 'TIME_WAIT': out.timeWait = (out.timeWait ?? 0) + us; break;
    case 'CLOSE_WAIT': out.closeWait = (out.closeWait ?? 0) + us; break;
    case 'LAST_ACK': out.lastAck = (out.lastAck ?? 0) + us; break;
    default: break;
  }
}

/** When a side that was in TIME_WAIT at `untilUs` leaves it: the first change after TIME_WAIT and after `untilUs`. */
function timeWaitEnd(changes: readonly StateChange[], untilUs: number): number | null {
  for (let i = 1; i < changes.length; i++) {
    if (changes[i - 1].state === 'TIME_WAIT' && changes[i].atUs > untilUs) return changes[i].atUs;
  }
  return null;
}

function sideVerdict(changes: StateChange[], untilUs: number, out: SideVerdict): SideVerdict {
  out.changes = changes;
  out.finalState = stateAt(changes, untilUs);
  out.timeWaitEndsUs = out.finalState === 'TIME_WAIT' ? timeWaitEnd(changes, untilUs) : null;
  durations(changes, untilUs, out.durations);
  return out;
}

/**
 * Where the capture sits, from the round trips toward [server, client]: next to the client, the
 * round trip toward the server is the whole path and the one toward the client is nothing; next to
 * the server, the reverse; in between, both are large. Loopback (both under 100 µs together) cannot
 * tell, nor can a connection without both samples.
 */
function vantageOf(gaps: readonly [number, number]): Vantage {
  const [towardServer, towardClient] = gaps;
  if (!bothSampled(gaps) || towardServer + towardClient < 100) return 'unknown';
  const ratio = towardServer / (towardServer + towardClient);
  return ratio > 0.8 ? 'client' : ratio < 0.2 ? 'server' : 'between';
}

/** Whether both round trips have a sample (Infinity where none). */
function bothSampled(gaps: readonly [number, number]): boolean {
  return Number.isFinite(gaps[0]) && Number.isFinite(gaps[1]);
}

/**
 * Address text, kept for the last address it was asked for: a capture's connections mostly share
 * their server's address, often their client's too, and formatting every one anew took a quarter
 * of analyzeConnection's own time.
 */
class AddressText {
  private family: 4 | 6 | 0 = 0;
  private readonly words = new Uint32Array(4);
  private text = '';

  of(family: 4 | 6, words: Uint32Array): string {
    const w = this.words;
    if (family !== this.family || words[0] !== w[0] || words[1] !== w[1] || words[2] !== w[2] || words[3] !== w[3]) {
      this.family = family;
      w.set(words);
      this.text = formatAddress(family, words);
    }
    return this.text;
  }
}

const clientAddress = new AddressText();
const serverAddress = new AddressText();

function newDirectionSummary(): DirectionSummary {
  return {
    packets: 0, bytes: 0, uniqueBytes: 0, retransmissions: 0, syn: null, fin: null, rst: null, ackedUnseen: 0,
    options: { mss: null, windowScale: null, sackPermitted: false, timestamps: false },
  };
}

type Present<T> = Exclude<T, null>;

/** A direction summary's objects that are there only when the direction sent a SYN, FIN or RST. */
interface DirectionSpares {
  syn: Present<DirectionSummary['syn']>;
  fin: Present<DirectionSummary['fin']>;
  rst: Present<DirectionSummary['rst']>;
}

function newDirectionSpares(): DirectionSpares {
  return {
    syn: { atUs: 0, count: 0, ack: false },
    fin: { atUs: 0, seq: 0, count: 0, lastUs: 0, ackedUs: null },
    rst: { atUs: 0, seq: 0, count: 0, ack: false },
  };
}

function directionSummary(f: DirectionFacts, out: DirectionSummary, spares: DirectionSpares): DirectionSummary {
  out.packets = f.packets;
  out.bytes = f.bytes;
  out.uniqueBytes = f.uniqueBytes;
  out.retransmissions = f.retransmissions;
  out.syn = null;
  if (f.synCount > 0) {
    const syn = out.syn = spares.syn;
    syn.atUs = f.synUs; syn.count = f.synCount; syn.ack = f.synAck;
  }
  out.fin = null;
  if (f.finUs >= 0) {
    const fin = out.fin = spares.fin;
    fin.atUs = f.finUs; fin.seq = f.finSeq; fin.count = f.finCount; fin.lastUs = f.finLastUs;
    fin.ackedUs = f.finAckedUs >= 0 ? f.finAckedUs : null;
  }
  out.rst = null;
  if (f.rstUs >= 0) {
    const rst = out.rst = spares.rst;
    rst.atUs = f.rstUs; rst.seq = f.rstSeq; rst.count = f.rstCount; rst.ack = f.rstWithAck;
  }
  out.ackedUnseen = f.ackedUnseenEvents;
  const o = out.options;
  o.mss = f.mss >= 0 ? f.mss : null;
  o.windowScale = f.windowScale >= 0 ? f.windowScale : null;
  o.sackPermitted = f.sackPermitted;
  o.timestamps = f.timestamps;
  return out;
}

/** One-way delays where the vantage is unknown (most connections): shared, never written. */
const NO_SHIFTS: readonly [number, number] = [0, 0];

/**
 * The objects a verdict is made of. analyzeConnection fills them in and returns its verdict, so a
 * caller that reads each verdict before it asks for the next and keeps nothing of it (the store
 * encodes it at once) passes the same VerdictScratch every time and the close stage makes almost
 * no garbage: per connection it made ~45 objects, and with the young generation that
 * --optimize-for-size keeps small, collecting them cost more than making them. Without one, each
 * verdict is made of new objects, as any caller that keeps verdicts needs.
 */
export class VerdictScratch {
  readonly replay = new ReplayParts();
  readonly gaps: [number, number] = [Infinity, Infinity];
  readonly shifts: [number, number] = [0, 0];
  readonly spares: [DirectionSpares, DirectionSpares] = [newDirectionSpares(), newDirectionSpares()];
  readonly sides: [SideVerdict, SideVerdict] = [emptySideVerdict(), emptySideVerdict()];
  readonly verdict: Verdict = {
    id: 0,
    input: 0,
    family: 4,
    client: { ip: '', port: 0 },
    server: { ip: '', port: 0 },
    roleReason: '',
    startUs: 0,
    endUs: 0,
    observedUntilUs: 0,
    endReason: '',
    previousId: null,
    reusedById: null,
    midStream: false,
    vantage: 'unknown',
    handshakeGapsUs: null,
    directions: { client: newDirectionSummary(), server: newDirectionSummary() },
    activeCloser: null,
    sides: { client: this.sides[0], server: this.sides[1] },
    zeek: { connState: '', history: '' },
    findings: [],
    segments: null,
    foldedPackets: 0,
  };
}

/**
 * Everything finscope concludes about one connection. `keepSegments` keeps the log for a ladder.
 * The verdict is made of `scratch`'s objects: see VerdictScratch before passing one.
 */
export function analyzeConnection(conn: Connection, options: CloseOptions = DEFAULT_CLOSE_OPTIONS, keepSegments = false,
  scratch = new VerdictScratch()): Verdict {
  const gaps = roundTrips(conn.log, scratch.gaps);
  const vantage = vantageOf(gaps);
  // Each endpoint's one-way delay to the capture point: half the round trip the capture point saw
  // toward it (SYN-ACK -> ACK toward the client, SYN -> SYN-ACK toward the server).
  let shifts = NO_SHIFTS;
  if (vantage !== 'unknown') {
    scratch.shifts[0] = Math.min(gaps[1], 10e6) / 2;
    scratch.shifts[1] = Math.min(gaps[0], 10e6) / 2;
    shifts = scratch.shifts;
  }
  const runs = runStateMachines(conn, options.timeWaitUs, shifts, scratch.replay);
  // Each endpoint saw the last packets up to its one-way delay after the capture point did.
  const until = conn.observedUntilUs >= 0 ? conn.observedUntilUs : conn.lastUs;
  const sides = scratch.sides;
  sideVerdict(runs[0].changes, until + shifts[0], sides[0]);
  sideVerdict(runs[1].changes, until + shifts[1], sides[1]);
  const activeCloser = activeCloserOf(conn);
  const v = scratch.verdict;
  v.id = conn.id;
  v.input = conn.input;
  v.family = conn.family;
  v.client.ip = clientAddress.of(conn.family, conn.addrs[0]);
  v.client.port = conn.ports[0];
  v.server.ip = serverAddress.of(conn.family, conn.addrs[1]);
  v.server.port = conn.ports[1];
  v.roleReason = conn.roleReason;
  v.startUs = conn.firstUs;
  v.endUs = conn.lastUs;
  v.observedUntilUs = until;
  v.endReason = conn.endReason;
  v.previousId = conn.previousId;
  v.reusedById = conn.reusedById;
  v.midStream = conn.dirs[0].synCount === 0 && conn.dirs[1].synCount === 0;
  v.vantage = vantage;
  v.handshakeGapsUs = bothSampled(gaps) ? gaps : null;
  directionSummary(conn.dirs[0], v.directions.client, scratch.spares[0]);
  directionSummary(conn.dirs[1], v.directions.server, scratch.spares[1]);
  v.activeCloser = activeCloser;
  v.zeek.connState = zeekConnState(conn);
  v.zeek.history = conn.history;
  v.findings = detectFindings({ conn, runs, sides, vantage, options, activeCloser });
  v.segments = keepSegments ? conn.segmentLog() : null;
  v.foldedPackets = conn.foldedPackets;
  return v;
}
