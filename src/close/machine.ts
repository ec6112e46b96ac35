// Runs both endpoints' state machines over a connection's segment log. Each logged segment becomes
// events for its sender (send*) and its receiver (recv*), applied at the time the segment passed the
// capture point. Every transition keeps the packet that caused it, so any verdict can be explained.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import { SEG_FOLDED, type Connection, type Dir, type Segment } from '../flow/index.js';
import { nextState, type TcpEvent, type TcpState } from './states.js';

export interface StateChange {
  state: TcpState;
  /** Epoch microseconds at the capture point (for 'timeout', when the timer runs out). */
  atUs: number;
  /** Packet number that caused it, or null for timers and inferred starts. */
  packet: number | null;
  /** What caused it: an event, 'start' (first seen), or 'mid-stream' (picked up established). */
  cause: TcpEvent | 'start' | 'mid-stream' | 'implied';
}

export interface SideRun {
  changes: StateChange[];
  /** Last FIN received while in TIME_WAIT restarts the 2MSL timer (RFC 9293 3.6.1; Linux does). */
  timeWaitSinceUs: number;
  /** Retransmitted FINs from the peer that reached this side while in TIME_WAIT. */
  finsInTimeWait: number;
  /** A RST received in TIME_WAIT that ended it (RFC 1337 assassination). */
  rstInTimeWait: { atUs: number; packet: number } | null;
  /** A RST received in TIME_WAIT that did not end it (the side still answered later). */
  rstIgnoredInTimeWait: { atUs: number; packet: number } | null;
  /** The side was in this state when the connection's 4-tuple was reused. */
  stateAtReuse: TcpState | null;
  /** One-way delay between this endpoint and the capture point (microseconds). */
  shiftUs: number;
}

/**
 * The FIN transmissions of a direction that speak of loss: the first, and each later one that
 * acknowledges nothing new. A FIN sent again together with a new ACK (BSD stacks do it when they
 * acknowledge the peer's FIN in a simultaneous close) is not a timeout; FINs after the sender
 * showed it had no socket (a bare RST) are late duplicates from the network.
 */
export function finTransmissions(conn: Connection, d: Dir): Segment[] {
  const gone = bareRstTime(conn, d);
  const out: Segment[] = [];
  for (const seg of conn.log) {
    if (seg.dir !== d || (seg.flags & TCP_FIN) === 0 || (seg.marks & SEG_FOLDED) !== 0 || seg.timeUs >= gone) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && seg.ack > prev.ack) continue;
    out.push(seg);
  }
  return out;
}

/** Time of the first RST without ACK from a direction (its sender had no socket), or Infinity. */
function bareRstTime(conn: Connection, d: Dir): number {
  for (const seg of conn.log) {
    if (seg.dir === d && (seg.flags & TCP_RST) !== 0 && (seg.flags & TCP_ACK) === 0) return seg.timeUs;
  }
  return Infinity;
}

/** Whether side d, sent a RST at `atUs` while in TIME_WAIT, still answered later with an ACK (not a RST). */
function survivesRst(conn: Connection, d: Dir, atUs: number): boolean {
  return conn.log.some((seg) => seg.dir === d && seg.timeUs > atUs && (seg.flags & TCP_RST) === 0 && (seg.flags & TCP_ACK) !== 0 && (seg.marks & SEG_FOLDED) === 0);
}

/** Slack for "sent after the ACK arrived": scheduling jitter at the receiver. */
const LOST_ACK_MARGIN_US = 1_000;

function newSide(shiftUs: number): SideRun {
  return { changes: [], timeWaitSinceUs: -1, finsInTimeWait: 0, rstInTimeWait: null, rstIgnoredInTimeWait: null, stateAtReuse: null, shiftUs };
}

function current(side: SideRun): TcpState | null {
  const n = side.changes.length;
  return n === 0 ? null : side.changes[n - 1].state;
}

function enter(side: SideRun, state: TcpState, atUs: number, packet: number | null, cause: StateChange['cause']): void {
  side.changes.push({ state, atUs, packet, cause });
  if (state === 'TIME_WAIT') side.timeWaitSinceUs = atUs;
}

/**
 * When the endpoint itself saw the event: a segment leaves its sender `shiftUs` before it passes the
 * capture point and reaches its receiver `shiftUs` after (the endpoint's one-way delay to the capture
 * point, from the handshake). Never before the side's previous change.
 */
function endpointTime(side: SideRun, event: TcpEvent | 'start', atUs: number): number {
  let t = atUs;
  if (event.startsWith('send')) t -= side.shiftUs;
  else if (event.startsWith('recv') || event === 'start') t += side.shiftUs;
  const n = side.changes.length;
  return n > 0 && t < side.changes[n - 1].atUs ? side.changes[n - 1].atUs : t;
}

function apply(side: SideRun, event: TcpEvent, atUs: number, packet: number | null): boolean {
  const from = current(side);
  if (from === null) return false;
  const to = nextState(from, event);
  if (to === null) return false;
  const t = endpointTime(side, event, atUs);
  if (from === 'TIME_WAIT' && event === 'recvRst') side.rstInTimeWait = { atUs: t, packet: packet ?? 0 };
  enter(side, to, t, packet, event);
  return true;
}

/** Closes TIME_WAIT sides whose 2MSL timer ran out before `nowUs`. */
function runTimers(sides: [SideRun, SideRun], nowUs: number, timeWaitUs: number): void {
  for (const side of sides) {
    if (current(side) === 'TIME_WAIT' && side.timeWaitSinceUs + timeWaitUs <= nowUs) {
      apply(side, 'timeout', side.timeWaitSinceUs + timeWaitUs, null);
    }
  }
}

/**
 * Replays the log. Returns [client, server] runs. A side still in TIME_WAIT at the end gets its
 * timeout transition at the moment the timer will run out, which may lie after the capture's end:
 * the report decides what was observed.
 */
export function runStateMachines(conn: Connection, timeWaitUs: number, shiftsUs: [number, number] = [0, 0]): [SideRun, SideRun] {
  const sides: [SideRun, SideRun] = [newSide(shiftsUs[0]), newSide(shiftsUs[1])];
  const finSent = [false, false];
  const finAcked = [false, false];
  // Capture times of the FIN transmissions that speak of loss, to recognise ACKs that were lost.
  const lossFins: [Segment[], Segment[]] = [finTransmissions(conn, 0), finTransmissions(conn, 1)];
  const finTimes: [number[], number[]] = [lossFins[0].map((s) => s.timeUs), lossFins[1].map((s) => s.timeUs)];
  const finSentAfter = (d: Dir, afterUs: number): boolean => finTimes[d].some((x) => x > afterUs);
  // A FIN passes the capture point before its receiver processes it. When the receiver's own FIN
  // crossed it (a simultaneous close), replaying "received" at capture time would invent a
  // CLOSE_WAIT. So the receipt waits until the receiver shows it (its ACK covers the FIN), or the
  // FIN's sender sends again (segments from one sender arrive in order), or the log ends.
  const pendingFin: ({ atUs: number; packet: number } | null)[] = [null, null];
  const flushFin = (side: 0 | 1): void => {
    const pending = pendingFin[side];
    if (pending === null) return;
    pendingFin[side] = null;
    apply(sides[side], 'recvFin', pending.atUs, pending.packet);
  };
  const midStream = conn.dirs[0].synCount === 0 && conn.dirs[1].synCount === 0;
  if (midStream) {
    enter(sides[0], 'ESTABLISHED', conn.firstUs, conn.firstPacket, 'mid-stream');
    enter(sides[1], 'ESTABLISHED', conn.firstUs, conn.firstPacket, 'mid-stream');
  }

  for (const seg of conn.log) {
    runTimers(sides, seg.timeUs, timeWaitUs);
    if ((seg.marks & SEG_FOLDED) !== 0) continue;
    const d: Dir = seg.dir;
    const r: Dir = d === 0 ? 1 : 0;
    const sender = sides[d], receiver = sides[r];
    const t = seg.timeUs, p = seg.packet, f = seg.flags;
    const syn = (f & TCP_SYN) !== 0, ack = (f & TCP_ACK) !== 0, fin = (f & TCP_FIN) !== 0, rst = (f & TCP_RST) !== 0;
    const peerFinSeq = conn.dirs[r].finSeq;
    const acksPeerFin = ack && pendingFin[d] !== null && peerFinSeq >= 0 && seg.ack > peerFinSeq;

    // In-order delivery: the receiver got this sender's earlier FIN before this segment, unless the
    // sender retransmits the FIN later (then it was lost, and what followed it waited in a queue).
    const finRetransmission = fin && finSent[d] && lossFins[d].includes(seg);
    if (!finSentAfter(d, t) && !finRetransmission) flushFin(r);
    // The sender shows it received the peer's FIN: apply that before what it sends now.
    if (acksPeerFin) flushFin(d);

    if (syn && !ack) {
      // The receiver gets a state only once it answers: an unanswered SYN may have found nothing.
      if (current(sender) === null) enter(sender, 'SYN_SENT', endpointTime(sender, 'sendSyn', t), p, 'sendSyn');
    } else if (syn && ack) {
      if (current(sender) === null) enter(sender, 'LISTEN', conn.firstUs, null, 'implied');
      apply(sender, 'sendSynAck', t, p);
      // A SYN-ACK implies the SYN we did not see.
      if (current(receiver) === null) enter(receiver, 'SYN_SENT', conn.firstUs, null, 'implied');
      apply(receiver, 'recvSynAck', t, p);
    }
    if (ack && !rst) {
      if (!syn) apply(receiver, 'recvAck', t, p);
      // FIN_WAIT_1 -> FIN_WAIT_2 (or CLOSING -> TIME_WAIT) comes before the FIN it rides with.
      // An ACK of the receiver's FIN that the receiver then retransmits its FIN after (later than
      // the ACK could have reached it) was lost beyond the capture point: it changes nothing there.
      const ownFin = conn.dirs[r].finSeq;
      if (!finAcked[r] && finSent[r] && ownFin >= 0 && seg.ack > ownFin && !finSentAfter(r, t + 2 * receiver.shiftUs + LOST_ACK_MARGIN_US)) {
        finAcked[r] = true;
        apply(receiver, 'recvAckOfFin', t, p);
      }
    }
    if (fin) {
      if (!finSent[d]) {
        finSent[d] = true;
        apply(sender, 'sendFin', t, p);
        pendingFin[r] = { atUs: t, packet: p };
      } else if (pendingFin[r] !== null) {
        // Not yet shown received: the receiver has it no earlier than this transmission.
        pendingFin[r] = { atUs: t, packet: p };
      } else if (current(receiver) === 'TIME_WAIT') {
        // A retransmitted FIN re-arms the TIME_WAIT timer and is acknowledged again.
        receiver.timeWaitSinceUs = endpointTime(receiver, 'recvFin', t);
        receiver.finsInTimeWait++;
      }
    }
    if (rst) {
      // A RST without ACK says nothing about what its sender had received.
      if (!acksPeerFin) pendingFin[d] = null;
      apply(sender, 'sendRst', t, p);
      // A side that ignored one RST in TIME_WAIT ignores them all (it is a setting, not chance).
      if (current(receiver) === 'TIME_WAIT' && (receiver.rstIgnoredInTimeWait !== null || survivesRst(conn, r, t))) {
        // tcp_rfc1337=1 (or another stack that follows RFC 1337): the RST was ignored.
        receiver.rstIgnoredInTimeWait ??= { atUs: endpointTime(receiver, 'recvRst', t), packet: p };
      } else {
        apply(receiver, 'recvRst', t, p);
      }
      pendingFin[r] = null;
    }
  }
  // Unshown at the end: a FIN sent once is taken as received; one retransmitted and never
  // acknowledged may never have arrived, so the receiver keeps its state.
  if (finTimes[1].length === 1) flushFin(0);
  if (finTimes[0].length === 1) flushFin(1);

  if (conn.reusedAtUs >= 0) {
    runTimers(sides, conn.reusedAtUs, timeWaitUs);
    for (const side of sides) {
      side.stateAtReuse = current(side);
      apply(side, 'reuse', conn.reusedAtUs, null);
    }
  }
  for (const side of sides) {
    if (current(side) === 'TIME_WAIT') apply(side, 'timeout', side.timeWaitSinceUs + timeWaitUs, null);
  }
  return sides;
}

/** The state a side was in at `atUs` (null before its first state). */
export function stateAt(changes: readonly StateChange[], atUs: number): TcpState | null {
  let state: TcpState | null = null;
  for (const c of changes) {
    if (c.atUs > atUs) break;
    state = c.state;
  }
  return state;
}
