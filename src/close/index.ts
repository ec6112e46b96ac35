// Public entry of the close stage: connection -> verdict.

import { formatAddress } from '../decode/index.js';
import { SEG_FOLDED, SEG_RETRANSMISSION, type Connection, type Dir, type DirectionFacts } from '../flow/index.js';
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

const DURATION_STATE: Partial<Record<TcpState, keyof SideDurations>> = {
  FIN_WAIT_1: 'finWait1', FIN_WAIT_2: 'finWait2', CLOSING: 'closing', TIME_WAIT: 'timeWait',
  CLOSE_WAIT: 'closeWait', LAST_ACK: 'lastAck',
};

/** Time spent in each close state, up to `untilUs` (what the capture observed). */
function durations(changes: readonly StateChange[], untilUs: number): SideDurations {
  const out: SideDurations = { finWait1: null, finWait2: null, closing: null, timeWait: null, closeWait: null, lastAck: null };
  for (let i = 0; i < changes.length; i++) {
    const key = DURATION_STATE[changes[i].state];
    if (key === undefined || changes[i].atUs > untilUs) continue;
    const end = Math.min(i + 1 < changes.length ? changes[i + 1].atUs : untilUs, untilUs);
    out[key] = (out[key] ?? 0) + Math.max(0, end - changes[i].atUs);
  }
  return out;
}

function sideVerdict(changes: StateChange[], untilUs: number): SideVerdict {
  const finalState = stateAt(changes, untilUs);
  let timeWaitEndsUs: number | null = null;
  if (finalState === 'TIME_WAIT') {
    const out = changes.find((c, i) => i > 0 && changes[i - 1].state === 'TIME_WAIT' && c.atUs > untilUs);
    timeWaitEndsUs = out?.atUs ?? null;
  }
  return { changes, finalState, timeWaitEndsUs, durations: durations(changes, untilUs) };
}

/**
 * The shortest round trip from the capture point to the endpoint of direction `to` and back: a
 * segment toward it, and the first segment from it that acknowledges it. The handshake gives the
 * first sample (SYN -> SYN-ACK, SYN-ACK -> ACK); data and FINs add more, and the minimum drops
 * the samples inflated by delayed ACKs or a busy path.
 */
function roundTripToward(conn: Connection, to: Dir): number {
  const from: Dir = to === 0 ? 1 : 0;
  let best = Infinity;
  const log = conn.log;
  for (let i = 0; i < log.length; i++) {
    const s = log[i];
    if (s.dir !== from || (s.marks & (SEG_FOLDED | SEG_RETRANSMISSION)) !== 0) continue;
    const control = (s.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0;
    if (s.len === 0 && control === 0) continue;
    const end = (s.flags & TCP_SYN) !== 0 ? s.seq + 1 : s.seq + s.len + control;
    for (let j = i + 1; j < log.length; j++) {
      const r = log[j];
      if (r.dir !== to || r.ack < 0 || (r.flags & TCP_RST) !== 0) continue;
      if (r.ack >= end) {
        if ((r.marks & SEG_FOLDED) === 0) best = Math.min(best, r.timeUs - s.timeUs);
        break;
      }
    }
  }
  return best;
}

/**
 * Where the capture sits: next to the client, the round trip toward the server is the whole path
 * and the one toward the client is nothing; next to the server, the reverse; in between, both are
 * large. Loopback (both under 100 µs together) cannot tell.
 */
function vantageOf(conn: Connection): { vantage: Vantage; gaps: [number, number] | null } {
  const towardServer = roundTripToward(conn, 1), towardClient = roundTripToward(conn, 0);
  if (!Number.isFinite(towardServer) || !Number.isFinite(towardClient)) return { vantage: 'unknown', gaps: null };
  const gaps: [number, number] = [towardServer, towardClient];
  if (towardServer + towardClient < 100) return { vantage: 'unknown', gaps };
  const ratio = towardServer / (towardServer + towardClient);
  return { vantage: ratio > 0.8 ? 'client' : ratio < 0.2 ? 'server' : 'between', gaps };
}

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

/** Everything finscope concludes about one connection. `keepSegments` keeps the log for a ladder. */
export function analyzeConnection(conn: Connection, options: CloseOptions = DEFAULT_CLOSE_OPTIONS, keepSegments = false): Verdict {
  const { vantage, gaps } = vantageOf(conn);
  // Each endpoint's one-way delay to the capture point: half the round trip the capture point saw
  // toward it (SYN-ACK -> ACK toward the client, SYN -> SYN-ACK toward the server).
  const shifts: [number, number] = gaps === null || vantage === 'unknown' ? [0, 0] : [Math.min(gaps[1], 10e6) / 2, Math.min(gaps[0], 10e6) / 2];
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
    client: { ip: formatAddress(conn.family, conn.addrs[0]), port: conn.ports[0] },
    server: { ip: formatAddress(conn.family, conn.addrs[1]), port: conn.ports[1] },
    roleReason: conn.roleReason,
    startUs: conn.firstUs,
    endUs: conn.lastUs,
    observedUntilUs: until,
    endReason: conn.endReason,
    previousId: conn.previousId,
    reusedById: conn.reusedById,
    midStream: conn.dirs[0].synCount === 0 && conn.dirs[1].synCount === 0,
    vantage,
    handshakeGapsUs: gaps,
    directions: { client: directionSummary(conn.dirs[0]), server: directionSummary(conn.dirs[1]) },
    activeCloser,
    sides: { client: sides[0], server: sides[1] },
    zeek: { connState: zeekConnState(conn), history: conn.history },
    findings,
    segments: keepSegments ? conn.log.slice() : null,
    foldedPackets: conn.foldedPackets,
  };
}
