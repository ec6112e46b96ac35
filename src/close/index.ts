// Public entry of the close stage: connection -> verdict.

import { formatAddress } from '../decode/index.js';
import {
  SEG_FOLDED, SEG_RETRANSMISSION, type Connection, type Dir, type DirectionFacts, type Segment,
} from '../flow/index.js';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import { activeCloserOf, detectFindings } from './findings.js';
import { runStateMachines, stateAt, type StateChange } from './machine.js';
import type { TcpState } from './states.js';
import type {
  CloseOptions, DirectionSummary, SideDurations, SideVerdict, Vantage, Verdict,
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

/** Time spent in each close state, up to `untilUs` (what the capture observed). */
function durations(changes: readonly StateChange[], untilUs: number): SideDurations {
  const out: SideDurations = { finWait1: null, finWait2: null, closing: null, timeWait: null, closeWait: null, lastAck: null };
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

function sideVerdict(changes: StateChange[], untilUs: number): SideVerdict {
  const finalState = stateAt(changes, untilUs);
  const timeWaitEndsUs = finalState === 'TIME_WAIT' ? timeWaitEnd(changes, untilUs) : null;
  return { changes, finalState, timeWaitEndsUs, durations: durations(changes, untilUs) };
}

/**
 * The shortest round trips from the capture point to each endpoint and back, [toward the server,
 * toward the client]: a segment toward the endpoint, and the first segment from it that
 * acknowledges it. The handshake gives the first sample (SYN -> SYN-ACK, SYN-ACK -> ACK); data and
 * FINs add more, and the minimum drops the samples inflated by delayed ACKs or a busy path.
 * Infinity where there is no sample. Both directions in one pass over the log.
 */
function roundTrips(log: readonly Segment[]): [number, number] {
  const best: [number, number] = [Infinity, Infinity];
  for (let i = 0; i < log.length; i++) {
    const s = log[i];
    if ((s.marks & (SEG_FOLDED | SEG_RETRANSMISSION)) !== 0) continue;
    const control = (s.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0;
    if (s.len === 0 && control === 0) continue;
    const to: Dir = s.dir === 0 ? 1 : 0;
    const end = (s.flags & TCP_SYN) !== 0 ? s.seq + 1 : s.seq + s.len + control;
    const answer = firstAckFrom(log, to, i + 1, end);
    if (answer !== undefined && (answer.marks & SEG_FOLDED) === 0) {
      // best[0] is toward the server: the round trips of what the client (dir 0) sent.
      best[s.dir] = Math.min(best[s.dir], answer.timeUs - s.timeUs);
    }
  }
  return best;
}

/** The first segment from `d`, at `from` or later in the log, whose ACK reaches `end` (RSTs aside). */
function firstAckFrom(log: readonly Segment[], d: Dir, from: number, end: number): Segment | undefined {
  for (let j = from; j < log.length; j++) {
    const r = log[j];
    if (r.dir === d && r.ack >= 0 && (r.flags & TCP_RST) === 0 && r.ack >= end) return r;
  }
  return undefined;
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

function directionSummary(f: DirectionFacts): DirectionSummary {
  return {
    packets: f.packets,
    bytes: f.bytes,
    uniqueBytes: f.uniqueBytes,
    retransmissions: f.retransmissions,
    syn: f.synCount > 0 ? { atUs: f.synUs, count: f.synCount, ack: f.synAck } : null,
    fin: f.finUs >= 0 ? { atUs: f.finUs, seq: f.finSeq, count: f.finCount, lastUs: f.finLastUs, ackedUs: f.finAckedUs >= 0 ? f.finAckedUs : null } : null,
    rst: f.rstUs >= 0 ? { atUs: f.rstUs, seq: f.rstSeq, count: f.rstCount, ack: f.rstWithAck } : null,
    ackedUnseen: f.ackedUnseenEvents,
    options: {
      mss: f.mss >= 0 ? f.mss : null, windowScale: f.windowScale >= 0 ? f.windowScale : null,
      sackPermitted: f.sackPermitted, timestamps: f.timestamps,
    },
  };
}

/** One-way delays where the vantage is unknown (most connections): shared, never written. */
const NO_SHIFTS: readonly [number, number] = [0, 0];

/** Everything finscope concludes about one connection. `keepSegments` keeps the log for a ladder. */
export function analyzeConnection(conn: Connection, options: CloseOptions = DEFAULT_CLOSE_OPTIONS, keepSegments = false): Verdict {
  const gaps = roundTrips(conn.log);
  const vantage = vantageOf(gaps);
  // Each endpoint's one-way delay to the capture point: half the round trip the capture point saw
  // toward it (SYN-ACK -> ACK toward the client, SYN -> SYN-ACK toward the server).
  const shifts = vantage === 'unknown' ? NO_SHIFTS : [Math.min(gaps[1], 10e6) / 2, Math.min(gaps[0], 10e6) / 2] as const;
  const runs = runStateMachines(conn, options.timeWaitUs, shifts);
  // Each endpoint saw the last packets up to its one-way delay after the capture point did.
  const until = conn.observedUntilUs >= 0 ? conn.observedUntilUs : conn.lastUs;
  const sides: [SideVerdict, SideVerdict] = [sideVerdict(runs[0].changes, until + shifts[0]), sideVerdict(runs[1].changes, until + shifts[1])];
  const activeCloser = activeCloserOf(conn);
  const findings = detectFindings({ conn, runs, sides, vantage, options, activeCloser });
  return {
    id: conn.id,
    input: conn.input,
    family: conn.family,
    client: { ip: clientAddress.of(conn.family, conn.addrs[0]), port: conn.ports[0] },
    server: { ip: serverAddress.of(conn.family, conn.addrs[1]), port: conn.ports[1] },
    roleReason: conn.roleReason,
    startUs: conn.firstUs,
    endUs: conn.lastUs,
    observedUntilUs: until,
    endReason: conn.endReason,
    previousId: conn.previousId,
    reusedById: conn.reusedById,
    midStream: conn.dirs[0].synCount === 0 && conn.dirs[1].synCount === 0,
    vantage,
    handshakeGapsUs: bothSampled(gaps) ? gaps : null,
    directions: { client: directionSummary(conn.dirs[0]), server: directionSummary(conn.dirs[1]) },
    activeCloser,
    sides: { client: sides[0], server: sides[1] },
    zeek: { connState: zeekConnState(conn), history: conn.history },
    findings,
    segments: keepSegments ? conn.segmentLog() : null,
    foldedPackets: conn.foldedPackets,
  };
}
