// Runs both endpoints' state machines over a connection's segment log. Each logged segment becomes
// events for its sender (send*) and its receiver (recv*), applied at the time the segment passed the
// capture point. Every transition keeps the packet that caused it, so any verdict can be explained.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import { SEG_FOLDED, type Connection, type Dir, type Segment } from '../flow/index.js';
import {
  nextStateId, StateId, TCP_EVENTS, TCP_STATES, TcpEventId, type TcpEvent, type TcpState,
} from './states.js';

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
  /** The last change's state, by index (StateId.None before the first). */
  stateId: StateId;
  /** This side's FIN transmissions that speak of loss (lossFinsOf), read by the findings too. */
  lossFins: Segment[];
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
 * The FIN transmissions of each direction that speak of loss, into `client` and `server` (given
 * empty): the first, and each later one that acknowledges nothing new. A FIN sent again together
 * with a new ACK (BSD stacks do it when they acknowledge the peer's FIN in a simultaneous close) is
 * not a timeout; FINs after the sender showed it had no socket (a bare RST) are late duplicates
 * from the network. Both directions in two passes over the log (one for the RSTs, one for the
 * FINs), not four.
 */
function lossFinsOf(conn: Connection, client: Segment[], server: Segment[]): void {
  const log = conn.log;
  const gone = bareRstTimes(log);
  for (let i = 0; i < log.length; i++) {
    const seg = log[i];
    if ((seg.flags & TCP_FIN) === 0 || (seg.marks & SEG_FOLDED) !== 0 || seg.timeUs >= gone[seg.dir]) continue;
    const fins = seg.dir === 0 ? client : server;
    if (fins.length > 0 && seg.ack > fins[fins.length - 1].ack) continue;
    fins.push(seg);
  }
}

/** Time of each direction's first RST without ACK (its sender had no socket), or Infinity. */
function bareRstTimes(log: readonly Segment[]): [number, number] {
  const first: [number, number] = [Infinity, Infinity];
  for (let i = 0; i < log.length; i++) {
    const seg = log[i];
    if ((seg.flags & TCP_RST) !== 0 && (seg.flags & TCP_ACK) === 0 && first[seg.dir] === Infinity) first[seg.dir] = seg.timeUs;
  }
  return first;
}

/** Capture time of the latest of some segments, -Infinity for none. */
function latestTime(segs: readonly Segment[]): number {
  let latest = -Infinity;
  for (let i = 0; i < segs.length; i++) if (segs[i].timeUs > latest) latest = segs[i].timeUs;
  return latest;
}

/** Whether side d, sent a RST at `atUs` while in TIME_WAIT, still answered later with an ACK (not a RST). */
function survivesRst(conn: Connection, d: Dir, atUs: number): boolean {
  return conn.log.some((seg) => seg.dir === d && seg.timeUs > atUs && (seg.flags & TCP_RST) === 0 && (seg.flags & TCP_ACK) !== 0 && (seg.marks & SEG_FOLDED) === 0);
}

/** Slack for "sent after the ACK arrived": scheduling jitter at the receiver. */
const LOST_ACK_MARGIN_US = 1_000;

/**
 * A side during the replay: its run, and the bookkeeping of its FINs, kept on the side itself rather
 * than in arrays by direction so that replaying a connection allocates nothing but its results.
 */
interface SideReplay extends SideRun {
  /** It has sent its FIN (the first transmission was replayed). */
  finSent: boolean;
  /** An ACK of its FIN reached it (recvAckOfFin was replayed). */
  finAcked: boolean;
  /**
   * Capture time of its latest loss FIN (-Infinity for none): the loss FINs recognise ACKs that
   * were lost, since whether the side sent one after a moment is whether its latest was later.
   */
  lastLossFinUs: number;
  /**
   * Index in lossFins of its next loss FIN: they are in log order, so the replay meets them one
   * after another and knows whether a segment is one without searching the list.
   */
  nextLossFin: number;
  /**
   * A FIN from the peer passed the capture point toward this side and this side has not yet shown
   * it received it: when and in which packet (pendingFinUs, pendingFinPacket).
   */
  finPending: boolean;
  pendingFinUs: number;
  pendingFinPacket: number;
  /**
   * A SYN/ACK passed the capture point toward this side and this side has not yet shown it got it
   * (a segment with ACK, or a RST): when the latest one passed, in which packet, and how many.
   */
  synAckPending: boolean;
  pendingSynAckUs: number;
  pendingSynAckPacket: number;
  synAcksPending: number;
  /** Where its StateChange objects come from. */
  parts: ReplayParts;
}

/**
 * The objects a replay fills: both sides, their FIN lists and the StateChange objects. A caller
 * that is done with one connection's results before it replays the next (the store encodes each
 * verdict at once) keeps one ReplayParts and reuses them: on a 300 000-connection capture the
 * replay's objects were most of the close stage's garbage. A new ReplayParts for each replay gives
 * results nothing else holds.
 */
export class ReplayParts {
  readonly sides: [SideReplay, SideReplay];
  private readonly changes: StateChange[] = [];
  private used = 0;

  constructor() {
    this.sides = [blankSide(this), blankSide(this)];
  }

  /** A StateChange with these fields: a kept one when there is one to spare. */
  change(state: TcpState, atUs: number, packet: number | null, cause: StateChange['cause']): StateChange {
    if (this.used === this.changes.length) this.changes.push({ state, atUs, packet, cause });
    const c = this.changes[this.used++];
    c.state = state;
    c.atUs = atUs;
    c.packet = packet;
    c.cause = cause;
    return c;
  }

  /** Both sides as new, with the given one-way delays: every object is free for reuse again. */
  reset(shiftsUs: readonly [number, number]): [SideReplay, SideReplay] {
    this.used = 0;
    resetSide(this.sides[0], shiftsUs[0]);
    resetSide(this.sides[1], shiftsUs[1]);
    return this.sides;
  }
}

function blankSide(parts: ReplayParts): SideReplay {
  return {
    changes: [], stateId: StateId.None, lossFins: [], timeWaitSinceUs: -1, finsInTimeWait: 0,
    rstInTimeWait: null, rstIgnoredInTimeWait: null, stateAtReuse: null, shiftUs: 0,
    finSent: false, finAcked: false, lastLossFinUs: -Infinity, nextLossFin: 0,
    finPending: false, pendingFinUs: 0, pendingFinPacket: 0,
    synAckPending: false, pendingSynAckUs: 0, pendingSynAckPacket: 0, synAcksPending: 0, parts,
  };
}

/** A side back to blankSide()'s values, its arrays emptied (lastLossFinUs is set once lossFins is filled). */
function resetSide(side: SideReplay, shiftUs: number): void {
  // Popped, not `length = 0` (a runtime call): the lists hold a few entries.
  while (side.changes.length > 0) side.changes.pop();
  while (side.lossFins.length > 0) side.lossFins.pop();
  side.stateId = StateId.None;
  side.timeWaitSinceUs = -1;
  side.finsInTimeWait = 0;
  side.rstInTimeWait = null;
  side.rstIgnoredInTimeWait = null;
  side.stateAtReuse = null;
  side.shiftUs = shiftUs;
  side.finSent = false;
  side.finAcked = false;
  side.lastLossFinUs = -Infinity;
  side.nextLossFin = 0;
  side.finPending = false;
  side.pendingFinUs = 0;
  side.pendingFinPacket = 0;
  side.synAckPending = false;
  side.pendingSynAckUs = 0;
  side.pendingSynAckPacket = 0;
  side.synAcksPending = 0;
}

function current(side: SideRun): TcpState | null {
  return side.stateId === StateId.None ? null : TCP_STATES[side.stateId];
}

function enter(side: SideReplay, state: StateId, atUs: number, packet: number | null, cause: StateChange['cause']): void {
  side.changes.push(side.parts.change(TCP_STATES[state], atUs, packet, cause));
  side.stateId = state;
  if (state === StateId.TIME_WAIT) side.timeWaitSinceUs = atUs;
}

/** Which way a segment went between the endpoint and the capture point, for endpointTime. */
const enum Travel { Sent, Received, Neither }

/** Each event's Travel, by TcpEventId: what the endpoint sent, received, or neither (timers). */
const EVENT_TRAVEL: readonly Travel[] = TCP_EVENTS.map((event) =>
  event.startsWith('send') ? Travel.Sent : event.startsWith('recv') ? Travel.Received : Travel.Neither);

/**
 * When the endpoint itself saw the event: a segment leaves its sender `shiftUs` before it passes the
 * capture point and reaches its receiver `shiftUs` after (the endpoint's one-way delay to the capture
 * point, from the handshake). Never before the side's previous change.
 */
function endpointTime(side: SideRun, travel: Travel, atUs: number): number {
  let t = atUs;
  if (travel === Travel.Sent) t -= side.shiftUs;
  else if (travel === Travel.Received) t += side.shiftUs;
  const n = side.changes.length;
  return n > 0 && t < side.changes[n - 1].atUs ? side.changes[n - 1].atUs : t;
}

function apply(side: SideReplay, event: TcpEventId, atUs: number, packet: number | null): boolean {
  const from = side.stateId;
  const to = nextStateId(from, event);
  if (to === StateId.None) return false;
  const t = endpointTime(side, EVENT_TRAVEL[event], atUs);
  if (from === StateId.TIME_WAIT && event === TcpEventId.recvRst) side.rstInTimeWait = { atUs: t, packet: packet ?? 0 };
  enter(side, to, t, packet, TCP_EVENTS[event]);
  return true;
}

/** Closes a side's TIME_WAIT if its 2MSL timer ran out before `nowUs`. */
function runTimer(side: SideReplay, nowUs: number, timeWaitUs: number): void {
  if (side.stateId === StateId.TIME_WAIT && side.timeWaitSinceUs + timeWaitUs <= nowUs) {
    apply(side, TcpEventId.timeout, side.timeWaitSinceUs + timeWaitUs, null);
  }
}

/** A FIN from the peer is pending toward `side` (passed the capture point at `atUs`, in `packet`). */
function holdFin(side: SideReplay, atUs: number, packet: number): void {
  side.finPending = true;
  side.pendingFinUs = atUs;
  side.pendingFinPacket = packet;
}

/** The side gets the FIN pending toward it, if any. */
function flushFin(side: SideReplay): void {
  if (!side.finPending) return;
  side.finPending = false;
  apply(side, TcpEventId.recvFin, side.pendingFinUs, side.pendingFinPacket);
}

/** A SYN/ACK passed the capture point toward `side` (at `atUs`, in `packet`). */
function holdSynAck(side: SideReplay, atUs: number, packet: number): void {
  side.synAckPending = true;
  side.pendingSynAckUs = atUs;
  side.pendingSynAckPacket = packet;
  side.synAcksPending++;
}

/** The side gets the SYN/ACK pending toward it, if any (the latest transmission). */
function flushSynAck(side: SideReplay): void {
  if (!side.synAckPending) return;
  side.synAckPending = false;
  side.synAcksPending = 0;
  apply(side, TcpEventId.recvSynAck, side.pendingSynAckUs, side.pendingSynAckPacket);
}

/**
 * The initial retransmission timeout (RFC 6298; Linux's TCP_TIMEOUT_INIT): a SYN/ACK unanswered
 * this long is sent again, unless it was a SYN cookie, which is never sent again.
 */
const SYN_ACK_RTO_US = 1_000_000;

/**
 * Replays the log. Returns [client, server] runs. A side still in TIME_WAIT at the end gets its
 * timeout transition at the moment the timer will run out, which may lie after the capture's end:
 * the report decides what was observed. The runs are `parts`' objects (see ReplayParts).
 */
export function runStateMachines(conn: Connection, timeWaitUs: number, shiftsUs: readonly [number, number] = [0, 0],
  parts = new ReplayParts()): [SideRun, SideRun] {
  const sides = parts.reset(shiftsUs);
  lossFinsOf(conn, sides[0].lossFins, sides[1].lossFins);
  sides[0].lastLossFinUs = latestTime(sides[0].lossFins);
  sides[1].lastLossFinUs = latestTime(sides[1].lossFins);
  // A FIN passes the capture point before its receiver processes it. When the receiver's own FIN
  // crossed it (a simultaneous close), replaying "received" at capture time would invent a
  // CLOSE_WAIT. So the receipt waits (SideReplay.finPending) until the receiver shows it (its ACK
  // covers the FIN), or the FIN's sender sends again (segments from one sender arrive in order),
  // or the log ends.
  const midStream = conn.dirs[0].synCount === 0 && conn.dirs[1].synCount === 0;
  if (midStream) {
    enter(sides[0], StateId.ESTABLISHED, conn.firstUs, conn.firstPacket, 'mid-stream');
    enter(sides[1], StateId.ESTABLISHED, conn.firstUs, conn.firstPacket, 'mid-stream');
  }

  const log = conn.log;
  for (let i = 0; i < log.length; i++) {
    const seg = log[i];
    runTimer(sides[0], seg.timeUs, timeWaitUs);
    runTimer(sides[1], seg.timeUs, timeWaitUs);
    if ((seg.marks & SEG_FOLDED) !== 0) continue;
    const d: Dir = seg.dir;
    const r: Dir = d === 0 ? 1 : 0;
    const sender = sides[d], receiver = sides[r];
    const t = seg.timeUs, p = seg.packet, f = seg.flags;
    const syn = (f & TCP_SYN) !== 0, ack = (f & TCP_ACK) !== 0, fin = (f & TCP_FIN) !== 0, rst = (f & TCP_RST) !== 0;
    const peerFinSeq = conn.dirs[r].finSeq;
    const acksPeerFin = ack && sender.finPending && peerFinSeq >= 0 && seg.ack > peerFinSeq;
    const isLossFin = sender.lossFins[sender.nextLossFin] === seg;
    if (isLossFin) sender.nextLossFin++;

    // In-order delivery: the receiver got this sender's earlier FIN before this segment, unless the
    // sender retransmits the FIN later (then it was lost, and what followed it waited in a queue).
    const finRetransmission = fin && sender.finSent && isLossFin;
    if (!(sender.lastLossFinUs > t) && !finRetransmission) flushFin(receiver);
    // The sender shows it received the peer's FIN: apply that before what it sends now.
    if (acksPeerFin) flushFin(sender);
    // Anything with ACK (or a RST) from a side that a SYN/ACK was sent to shows it got one; so
    // does more than a SYN/ACK from the side that sent it (it had the answer, from ESTABLISHED).
    if (ack || rst) flushSynAck(sender);
    if (ack && !syn && !rst) flushSynAck(receiver);

    if (syn && !ack) {
      // The receiver gets a state only once it answers: an unanswered SYN may have found nothing.
      if (sender.stateId === StateId.None) enter(sender, StateId.SYN_SENT, endpointTime(sender, Travel.Sent, t), p, 'sendSyn');
    } else if (syn && ack) {
      if (sender.stateId === StateId.None) enter(sender, StateId.LISTEN, conn.firstUs, null, 'implied');
      apply(sender, TcpEventId.sendSynAck, t, p);
      // A SYN-ACK implies the SYN we did not see.
      if (receiver.stateId === StateId.None) enter(receiver, StateId.SYN_SENT, conn.firstUs, null, 'implied');
      // Received once the receiver shows it, at the latest transmission before that (an earlier
      // one was lost, or its answer was), or at the end (below).
      holdSynAck(receiver, t, p);
    }
    if (ack && !rst) {
      if (!syn) apply(receiver, TcpEventId.recvAck, t, p);
      // FIN_WAIT_1 -> FIN_WAIT_2 (or CLOSING -> TIME_WAIT) comes before the FIN it rides with.
      // An ACK of the receiver's FIN that the receiver then retransmits its FIN after (later than
      // the ACK could have reached it) was lost beyond the capture point: it changes nothing there.
      const ownFin = conn.dirs[r].finSeq;
      if (!receiver.finAcked && receiver.finSent && ownFin >= 0 && seg.ack > ownFin && !(receiver.lastLossFinUs > t + 2 * receiver.shiftUs + LOST_ACK_MARGIN_US)) {
        receiver.finAcked = true;
        apply(receiver, TcpEventId.recvAckOfFin, t, p);
      }
    }
    if (fin) {
      if (!sender.finSent) {
        sender.finSent = true;
        apply(sender, TcpEventId.sendFin, t, p);
        holdFin(receiver, t, p);
      } else if (receiver.finPending) {
        // Not yet shown received: the receiver has it no earlier than this transmission.
        holdFin(receiver, t, p);
      } else if (receiver.stateId === StateId.TIME_WAIT) {
        // A retransmitted FIN re-arms the TIME_WAIT timer and is acknowledged again.
        receiver.timeWaitSinceUs = endpointTime(receiver, Travel.Received, t);
        receiver.finsInTimeWait++;
      }
    }
    if (rst) {
      // A RST without ACK says nothing about what its sender had received.
      if (!acksPeerFin) sender.finPending = false;
      apply(sender, TcpEventId.sendRst, t, p);
      // A side that ignored one RST in TIME_WAIT ignores them all (it is a setting, not chance).
      if (receiver.stateId === StateId.TIME_WAIT && (receiver.rstIgnoredInTimeWait !== null || survivesRst(conn, r, t))) {
        // tcp_rfc1337=1 (or another stack that follows RFC 1337): the RST was ignored.
        receiver.rstIgnoredInTimeWait ??= { atUs: endpointTime(receiver, Travel.Received, t), packet: p };
      } else {
        apply(receiver, TcpEventId.recvRst, t, p);
      }
      receiver.finPending = false;
    }
  }
  // Unshown at the end: a FIN sent once is taken as received; one retransmitted and never
  // acknowledged may never have arrived, so the receiver keeps its state.
  if (sides[1].lossFins.length === 1) flushFin(sides[0]);
  if (sides[0].lossFins.length === 1) flushFin(sides[1]);
  // Likewise a SYN/ACK: sent again, or left unanswered for an RTO by a side whose own segments
  // the capture does show (its SYN), it never arrived (a spoofed source, a path that loses it);
  // the receiver stays in SYN_SENT. Otherwise the capture stopped too soon to tell: received.
  for (let d = 0; d < 2; d++) {
    const side = sides[d];
    if (!side.synAckPending) continue;
    const seen = conn.dirs[d].packets > 0;
    const unanswered = side.synAcksPending > 1 || (seen && conn.observedUntilUs - side.pendingSynAckUs >= SYN_ACK_RTO_US);
    if (!unanswered) flushSynAck(side);
  }

  if (conn.reusedAtUs >= 0) {
    runTimer(sides[0], conn.reusedAtUs, timeWaitUs);
    runTimer(sides[1], conn.reusedAtUs, timeWaitUs);
    for (const side of sides) {
      side.stateAtReuse = current(side);
      apply(side, TcpEventId.reuse, conn.reusedAtUs, null);
    }
  }
  for (const side of sides) {
    if (side.stateId === StateId.TIME_WAIT) apply(side, TcpEventId.timeout, side.timeWaitSinceUs + timeWaitUs, null);
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
