// The per-endpoint TCP state machine, as a table. Hold it against RFC 9293 section 3.3.2 (the
// state diagram) line by line. We see packets, not socket calls: events are what the capture shows
// an endpoint send or receive, at the time the segment passed the capture point.

export type TcpState =
  | 'LISTEN' | 'SYN_SENT' | 'SYN_RECEIVED' | 'ESTABLISHED'
  | 'FIN_WAIT_1' | 'FIN_WAIT_2' | 'CLOSING' | 'TIME_WAIT'
  | 'CLOSE_WAIT' | 'LAST_ACK' | 'CLOSED';

export const TCP_STATES: readonly TcpState[] = [
  'LISTEN', 'SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING',
  'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED',
];

export type TcpEvent =
  /** This endpoint sent a SYN (active open). */
  | 'sendSyn'
  /** It sent a SYN+ACK (passive open answered). */
  | 'sendSynAck'
  /** It received a SYN+ACK. */
  | 'recvSynAck'
  /** It received an ACK (of its SYN, for SYN_RECEIVED). */
  | 'recvAck'
  /** It sent its FIN (first transmission). */
  | 'sendFin'
  /** It received the peer's FIN (first transmission). */
  | 'recvFin'
  /** It received an ACK covering its own FIN. */
  | 'recvAckOfFin'
  | 'sendRst'
  | 'recvRst'
  /** A timer ran out: 2 x MSL in TIME_WAIT. */
  | 'timeout'
  /** A new connection took over the 4-tuple (a SYN accepted on it): the old socket is gone. */
  | 'reuse';

type Table = Partial<Record<TcpState, Partial<Record<TcpEvent, TcpState>>>>;

/**
 * (state, event) -> next state. A missing entry means the event does not change the state (e.g. a
 * retransmitted FIN re-acknowledged in TIME_WAIT; the caller restarts the TIME_WAIT timer itself).
 */
export const TRANSITIONS: Table = {
  LISTEN: { sendSynAck: 'SYN_RECEIVED', sendRst: 'CLOSED' },
  SYN_SENT: {
    recvSynAck: 'ESTABLISHED', sendRst: 'CLOSED', recvRst: 'CLOSED',
    // A simultaneous open: SYN_SENT -> SYN_RECEIVED when the peer's SYN crosses ours.
    sendSynAck: 'SYN_RECEIVED', sendFin: 'FIN_WAIT_1',
  },
  SYN_RECEIVED: {
    recvAck: 'ESTABLISHED', recvAckOfFin: 'FIN_WAIT_2', sendFin: 'FIN_WAIT_1',
    recvFin: 'CLOSE_WAIT', sendRst: 'CLOSED', recvRst: 'CLOSED',
  },
  ESTABLISHED: { sendFin: 'FIN_WAIT_1', recvFin: 'CLOSE_WAIT', sendRst: 'CLOSED', recvRst: 'CLOSED' },
  FIN_WAIT_1: {
    recvAckOfFin: 'FIN_WAIT_2',
    // Both FINs crossed: neither side had seen the other's before sending its own.
    recvFin: 'CLOSING',
    sendRst: 'CLOSED', recvRst: 'CLOSED',
  },
  FIN_WAIT_2: { recvFin: 'TIME_WAIT', sendRst: 'CLOSED', recvRst: 'CLOSED' },
  CLOSING: { recvAckOfFin: 'TIME_WAIT', sendRst: 'CLOSED', recvRst: 'CLOSED' },
  // RFC 1337: a RST reaching TIME_WAIT kills it on Linux (tcp_rfc1337=0, the default).
  TIME_WAIT: { timeout: 'CLOSED', recvRst: 'CLOSED', sendRst: 'CLOSED', reuse: 'CLOSED' },
  CLOSE_WAIT: { sendFin: 'LAST_ACK', sendRst: 'CLOSED', recvRst: 'CLOSED' },
  LAST_ACK: { recvAckOfFin: 'CLOSED', sendRst: 'CLOSED', recvRst: 'CLOSED' },
  CLOSED: {},
};

/** Every event, in the order of TcpEventId. */
export const TCP_EVENTS: readonly TcpEvent[] = [
  'sendSyn', 'sendSynAck', 'recvSynAck', 'recvAck', 'sendFin', 'recvFin', 'recvAckOfFin', 'sendRst',
  'recvRst', 'timeout', 'reuse',
];

/**
 * A state as its index in TCP_STATES, and an event as its index in TCP_EVENTS: the replay runs
 * millions of transitions, and a lookup in a table of small integers costs a fraction of one by
 * name.
 */
export const enum StateId {
  None = -1,
  LISTEN, SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT,
  CLOSE_WAIT, LAST_ACK, CLOSED,
}

export const enum TcpEventId {
  sendSyn, sendSynAck, recvSynAck, recvAck, sendFin, recvFin, recvAckOfFin, sendRst, recvRst,
  timeout, reuse,
}

/** TRANSITIONS as one array: NEXT_STATE[from * TCP_EVENTS.length + event], StateId.None for none. */
const NEXT_STATE: Int8Array = (() => {
  const table = new Int8Array(TCP_STATES.length * TCP_EVENTS.length).fill(StateId.None);
  TCP_STATES.forEach((from, i) => TCP_EVENTS.forEach((event, e) => {
    const to = nextState(from, event);
    if (to !== null) table[i * TCP_EVENTS.length + e] = TCP_STATES.indexOf(to);
  }));
  return table;
})();

export function nextState(state: TcpState, event: TcpEvent): TcpState | null {
  // Whatever state the old socket was in, a connection that took over its 4-tuple ends it.
  if (event === 'reuse') return state === 'CLOSED' ? null : 'CLOSED';
  return TRANSITIONS[state]?.[event] ?? null;
}

/** nextState() by index: the state an event leads to, or StateId.None when it changes nothing. */
export function nextStateId(state: StateId, event: TcpEventId): StateId {
  return state === StateId.None ? StateId.None : NEXT_STATE[state * TCP_EVENTS.length + event];
}

/** States in which the endpoint still holds a socket that has begun closing. */
export const CLOSING_STATES: ReadonlySet<TcpState> = new Set<TcpState>([
  'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK',
]);
