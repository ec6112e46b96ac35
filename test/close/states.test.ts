// The replay looks transitions up by index (StateId, TcpEventId) in a table built from TRANSITIONS:
// the indexes must name the states and events they stand for, and the table must say what
// nextState() says for every pair.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  nextState, nextStateId, StateId, TCP_EVENTS, TCP_STATES, TcpEventId,
} from '../../src/close/states.js';

// Each enum member by hand, with the name it must index.
const NUMBERINGS: { enumName: string; names: readonly string[]; ids: Record<string, number> }[] = [
  { enumName: 'StateId', names: TCP_STATES, ids: {
    LISTEN: StateId.LISTEN, SYN_SENT: StateId.SYN_SENT, SYN_RECEIVED: StateId.SYN_RECEIVED, ESTABLISHED: StateId.ESTABLISHED,
    FIN_WAIT_1: StateId.FIN_WAIT_1, FIN_WAIT_2: StateId.FIN_WAIT_2, CLOSING: StateId.CLOSING, TIME_WAIT: StateId.TIME_WAIT,
    CLOSE_WAIT: StateId.CLOSE_WAIT, LAST_ACK: StateId.LAST_ACK, CLOSED: StateId.CLOSED } },
  { enumName: 'TcpEventId', names: TCP_EVENTS, ids: {
    sendSyn: TcpEventId.sendSyn, sendSynAck: TcpEventId.sendSynAck, recvSynAck: TcpEventId.recvSynAck, recvAck: TcpEventId.recvAck,
    sendFin: TcpEventId.sendFin, recvFin: TcpEventId.recvFin, recvAckOfFin: TcpEventId.recvAckOfFin, sendRst: TcpEventId.sendRst,
    recvRst: TcpEventId.recvRst, timeout: TcpEventId.timeout, reuse: TcpEventId.reuse } },
];

for (const { enumName, names, ids } of NUMBERINGS) {
  test(`${enumName} numbers every name in its list's order`, () => {
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(Object.keys(ids).sort(), [...names].sort());
    for (const [name, id] of Object.entries(ids)) assert.equal(names[id], name);
  });
}

test('nextStateId agrees with nextState for every state and event', () => {
  TCP_STATES.forEach((state, s) => TCP_EVENTS.forEach((event, e) => {
    const to = nextStateId(s, e);
    assert.equal(to === StateId.None ? null : TCP_STATES[to], nextState(state, event), `${state} + ${event}`);
  }));
  TCP_EVENTS.forEach((_, e) => assert.equal(nextStateId(StateId.None, e), StateId.None));
});
