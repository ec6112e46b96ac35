// Zeek's conn.log `conn_state`, derived the way Zeek derives it: each side runs Zeek's seven-state
// endpoint machine (TCPSessionAdapter::UpdateStateMachine, src/packet_analysis/protocol/tcp/) over
// the connection's packets, then conn_state() in scripts/base/protocols/conn/main.zeek reads the two
// final states. We replay the machine over the flow stage's segment log: every SYN/FIN/RST segment is
// there individually and in order, and a folded run holds only plain segments, which matter to Zeek
// only as the first packet of a side that is still INACTIVE.
//
// Roles are ours (dirs[0] = originator): when the flow stage picked the other side as client than
// Zeek would, the letters and the state still describe our connection, not Zeek's row.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/index.js';
import { SEG_FOLDED, type Connection, type Dir } from '../flow/index.js';

export type ZeekConnState =
  | 'S0' | 'S1' | 'SF' | 'REJ' | 'S2' | 'S3' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

/** Zeek's endpoint states (TCP_INACTIVE ... TCP_RESET in init-bare.zeek). */
export type ZeekEndpointState =
  | 'INACTIVE' | 'SYN_SENT' | 'SYN_ACK_SENT' | 'PARTIAL' | 'ESTABLISHED' | 'CLOSED' | 'RESET';

/** The two endpoint machines at the end of a connection, [originator, responder]. */
export interface ZeekEndpoints {
  state: [ZeekEndpointState, ZeekEndpointState];
  /** The state before the last change (TCP_Endpoint::prev_state). */
  prev: [ZeekEndpointState, ZeekEndpointState];
  /**
   * A SYN-ACK from the originator was answered by a plain SYN from the responder: Zeek flips the
   * roles here (the SYN/SYN-ACK reversal of TCPSessionAdapter::UpdateInactiveState), we do not.
   */
  reversed: boolean;
}

const CONTROL = TCP_SYN | TCP_FIN | TCP_RST;

function setState(m: ZeekEndpoints, d: Dir, s: ZeekEndpointState): void {
  if (m.state[d] === s) return;
  m.prev[d] = m.state[d];
  m.state[d] = s;
}

/** Both endpoints INACTIVE, as Zeek creates them. */
export function newZeekEndpoints(): ZeekEndpoints {
  return { state: ['INACTIVE', 'INACTIVE'], prev: ['INACTIVE', 'INACTIVE'], reversed: false };
}

/**
 * One packet from side `d` (0 = originator) through Zeek's endpoint machine. Mirrors
 * UpdateInactiveState, UpdateSYN_SentState, UpdateEstablishedState, UpdateClosedState and
 * UpdateResetState; only state changes are kept (weirds, events and timers are not ours). Exported
 * so that a per-packet caller can run the machine exactly instead of replaying a segment log.
 */
export function zeekEndpointStep(m: ZeekEndpoints, d: Dir, flags: number, len: number): void {
  const peer: Dir = d === 0 ? 1 : 0;
  const isOrig = d === 0;
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const ack = (flags & TCP_ACK) !== 0;
  switch (m.state[d]) {
    case 'INACTIVE':
      if (syn) {
        if (isOrig) {
          setState(m, d, ack ? 'SYN_ACK_SENT' : 'SYN_SENT');
        } else {
          if (!ack && m.state[peer] === 'SYN_ACK_SENT') {
            // SYN/SYN-ACK reversal: Zeek flips the roles and takes the connection as established.
            m.reversed = true;
            setState(m, peer, 'ESTABLISHED');
          }
          if (m.state[peer] === 'SYN_SENT') setState(m, peer, 'ESTABLISHED');
          // An unsolicited SYN-ACK (peer INACTIVE) still establishes the responder.
          setState(m, d, 'ESTABLISHED');
        }
      }
      if (fin) setState(m, d, 'CLOSED');
      if (rst) setState(m, d, 'RESET');
      if (m.state[d] === 'INACTIVE') {
        if (!isOrig && len === 0 && m.state[0] === 'SYN_SENT') {
          // Some stacks ACK a SYN before answering it; Zeek does not count that as a partial side.
        } else if (ack && m.state[peer] === 'ESTABLISHED') {
          // A SYN-ACK was seen but not the SYN it answered: Zeek takes the missed SYN as given.
          setState(m, d, 'ESTABLISHED');
        } else {
          setState(m, d, 'PARTIAL');
        }
      }
      return;
    case 'SYN_SENT':
    case 'SYN_ACK_SENT':
      // Data and ACKs leave a side that sent a SYN in SYN_SENT until the peer's SYN-ACK moves it.
      if (fin) setState(m, d, 'CLOSED');
      if (rst) setState(m, d, 'RESET');
      return;
    case 'ESTABLISHED':
    case 'PARTIAL':
      if (syn && m.state[d] === 'PARTIAL' && m.state[peer] === 'INACTIVE' && !ack) setState(m, d, 'SYN_SENT');
      if (fin && !rst) {
        setState(m, d, 'CLOSED');
        // The peer sent FIN then RST: Zeek counts that as a normal close once this side's FIN comes.
        if (m.state[peer] === 'RESET' && m.prev[peer] === 'CLOSED') setState(m, peer, 'CLOSED');
      }
      if (rst) setState(m, d, 'RESET');
      return;
    case 'CLOSED':
      // After a FIN exchange a RST changes nothing; after a one-sided FIN it is a reset.
      if (rst && m.state[peer] !== 'CLOSED') setState(m, d, 'RESET');
      return;
    case 'RESET':
      return;
  }
}

/**
 * Whether a folded run (packets from timeUs to lastTimeUs) can hold packets of side `d`: its first
 * packet is from `d`, or `d` was active during the run.
 */
function runHolds(conn: Connection, d: Dir, runDir: Dir, timeUs: number, lastTimeUs: number): boolean {
  if (d === runDir) return true;
  const f = conn.dirs[d];
  return f.firstUs >= 0 && f.firstUs <= lastTimeUs && f.lastUs >= timeUs;
}

/**
 * Replays Zeek's endpoint machines over the connection's segment log. `originator` says which of
 * our directions Zeek's originator is: 0 (our client, the default), or 1 to see the connection as
 * Zeek would with the roles the other way round; the result is indexed [originator, responder].
 */
export function zeekEndpoints(conn: Connection, originator: Dir = 0): ZeekEndpoints {
  return replayZeekEndpoints(conn, originator, newZeekEndpoints());
}

/** zeekEndpoints() into `m`, which must be as newZeekEndpoints() makes it. */
function replayZeekEndpoints(conn: Connection, originator: Dir, m: ZeekEndpoints): ZeekEndpoints {
  const log = conn.log;
  for (let i = 0; i < log.length; i++) {
    const seg = log[i];
    if ((seg.marks & SEG_FOLDED) === 0) {
      zeekEndpointStep(m, relabel(seg.dir, originator), seg.flags, seg.len);
      continue;
    }
    // A folded run has no SYN/FIN/RST, so it matters only to a side still INACTIVE (its first
    // packet, or a responder that so far only sent empty ACKs to a SYN). The run's first packet is
    // from seg.dir; the other side may have packets in it too. Only "payload or not" matters to
    // Zeek; for the other side we take whether it sent any payload at all.
    const plainFlags = seg.flags & ~CONTROL;
    for (const d of BOTH_SIDES) {
      const dir = relabel(d, originator);
      if (m.state[d] !== 'INACTIVE' || !runHolds(conn, dir, seg.dir, seg.timeUs, seg.lastTimeUs)) continue;
      zeekEndpointStep(m, d, plainFlags, dir === seg.dir ? seg.len : conn.dirs[dir].bytes);
    }
  }
  return m;
}

const BOTH_SIDES: readonly Dir[] = [0, 1];

/**
 * Our direction `d` as Zeek's side (0 = originator) when Zeek's originator is our direction
 * `originator`. The swap is its own inverse: it also turns Zeek's side back into our direction.
 */
function relabel(d: Dir, originator: Dir): Dir {
  return d === originator ? 0 : 1;
}

/**
 * Payload size of one side as Zeek's TCP_Endpoint::Size() reports it: sequence space from the
 * start (the ISN, or one below the first sequence number seen) to the highest sequence sent or
 * acknowledged, less the SYN octet and, when a FIN was sent, the FIN octet.
 */
export function zeekEndpointSize(conn: Connection, d: Dir): number {
  const f = conn.dirs[d];
  // maxSeqEnd counts from the ISN when the SYN was seen (so it includes the SYN octet); mid-stream
  // it counts from the first sequence number, while Zeek starts one below it.
  let size = f.baseFromSyn ? f.maxSeqEnd : f.maxSeqEnd + 1;
  if (size > 0) size--;
  if (f.finCount > 0 && size > 0) size--;
  return size;
}

const RSTOS0_HISTORY = /^\^?S[^HAFGIQ]*R.*$/;

/** Zeek's conn_state() over two endpoint states (main.zeek, TCP branch), first match wins. */
export function connStateFromEndpoints(
  orig: ZeekEndpointState, resp: ZeekEndpointState, history: string, origSize: number, respSize: number,
): ZeekConnState {
  const origInactive = orig === 'INACTIVE' || orig === 'PARTIAL';
  const respInactive = resp === 'INACTIVE' || resp === 'PARTIAL';
  if (resp === 'RESET') {
    if (orig === 'SYN_SENT' || orig === 'SYN_ACK_SENT' || (orig === 'RESET' && origSize === 0 && respSize === 0)) return 'REJ';
    return origInactive ? 'RSTRH' : 'RSTR';
  }
  if (orig === 'RESET') {
    if (respInactive) return RSTOS0_HISTORY.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (orig === 'CLOSED' && resp === 'CLOSED') return 'SF';
  if (orig === 'CLOSED') return respInactive ? 'SH' : 'S2';
  if (resp === 'CLOSED') return origInactive ? 'SHR' : 'S3';
  if (orig === 'SYN_SENT' && resp === 'INACTIVE') return 'S0';
  if (orig === 'ESTABLISHED' && resp === 'ESTABLISHED') return 'S1';
  return 'OTH';
}

/**
 * The machines zeekConnState replays into, reused: only the two final states are read, and one
 * connection's three objects less is a little less garbage for each of hundreds of thousands.
 */
const scratchEndpoints = newZeekEndpoints();

/** Both endpoints back to INACTIVE, as newZeekEndpoints() makes them. */
function resetZeekEndpoints(m: ZeekEndpoints): ZeekEndpoints {
  m.state[0] = m.state[1] = m.prev[0] = m.prev[1] = 'INACTIVE';
  m.reversed = false;
  return m;
}

/** Upper case for the other side: the history as Zeek writes it with the roles swapped. */
function swapHistoryCase(history: string): string {
  let out = '';
  for (const ch of history) {
    const lower = ch.toLowerCase();
    out += ch === lower ? ch.toUpperCase() : lower;
  }
  return out;
}

/**
 * The conn_state Zeek would log for this connection, with our client as its originator, or with
 * our server as originator when `originator` is 1 (for comparing with a Zeek row whose roles are
 * the other way round; the letters of the history swap case with them).
 */
export function zeekConnState(conn: Connection, originator: Dir = 0): ZeekConnState {
  const m = replayZeekEndpoints(conn, originator, resetZeekEndpoints(scratchEndpoints));
  const responder: Dir = originator === 0 ? 1 : 0;
  const history = originator === 0 ? conn.history : swapHistoryCase(conn.history);
  return connStateFromEndpoints(m.state[0], m.state[1], history,
    zeekEndpointSize(conn, originator), zeekEndpointSize(conn, responder));
}
