// Public entry of the close stage: connection -> verdict.

import { formatAddress } from '../decode/index.js';
import type { Connection, DirectionFacts } from '../flow/index.js';
import { TCP_ACK, TCP_SYN } from '../decode/packet-view.js';
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
 * Where the capture sits, from the handshake: next to the client the SYN -> SYN-ACK gap is a whole
 * round trip and SYN-ACK -> ACK is immediate; next to the server it is the other way round; in
 * between both gaps are large. Loopback (both under 50 µs) cannot tell.
 */
function vantageOf(conn: Connection): { vantage: Vantage; gaps: [number, number] | null } {
  let synUs = -1, synAckUs = -1, ackUs = -1;
  for (const s of conn.log) {
    const syn = (s.flags & TCP_SYN) !== 0, ack = (s.flags & TCP_ACK) !== 0;
    if (s.dir === 0 && syn && !ack && synAckUs < 0) synUs = s.timeUs;
    else if (s.dir === 1 && syn && ack && synUs >= 0 && synAckUs < 0) synAckUs = s.timeUs;
    else if (s.dir === 0 && !syn && synAckUs >= 0) { ackUs = s.timeUs; break; }
  }
  if (synUs < 0 || synAckUs < 0 || ackUs < 0) return { vantage: 'unknown', gaps: null };
  const g1 = synAckUs - synUs, g2 = ackUs - synAckUs;
  const gaps: [number, number] = [g1, g2];
  if (g1 + g2 < 100) return { vantage: 'unknown', gaps };
  const ratio = g1 / (g1 + g2);
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
