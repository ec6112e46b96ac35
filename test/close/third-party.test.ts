// Behaviour of other stacks and capture setups, on third-party captures from ../shared (skipped
// when it is not there): things the Linux lab cannot produce.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { analyzeInputs } from '../../src/pipeline/index.js';

const PPTP = '/work/shared/corpus/tcpdump/pptp.pcap';
const SSH = '/work/shared/conformance/zeek/traces/ssh__ssh.pcap';

test('a frame the capture holds twice (same IP ID, 119 µs apart) is a duplicate, not a FIN retransmission', { skip: !existsSync(PPTP) && 'no corpus' }, async () => {
  const { verdicts } = await analyzeInputs([PPTP]);
  const v = verdicts.find((x) => x.server.port === 1723 || x.client.port === 1723);
  assert.ok(v, 'the PPTP control connection');
  const server = v.client.port === 1723 ? v.directions.client : v.directions.server;
  assert.equal(server.fin?.count, 1, 'one FIN transmission');
  assert.ok(!v.findings.some((f) => f.code === 'fin-retransmitted' || f.code === 'lost-final-ack'));
});

test('a BSD stack re-sending its FIN with the ACK of the peer\'s FIN in a simultaneous close is not a lost ACK', { skip: !existsSync(SSH) && 'no conformance set' }, async () => {
  const { verdicts } = await analyzeInputs([SSH]);
  const v = verdicts.find((x) => x.client.port === 57191);
  assert.ok(v);
  assert.equal(v.activeCloser, 'both');
  assert.ok(v.findings.some((f) => f.code === 'simultaneous-close'));
  assert.ok(!v.findings.some((f) => f.code === 'lost-final-ack' || f.code === 'fin-retransmitted'));
  // Both FINs crossed: both sides pass through CLOSING into TIME_WAIT (which ran out before the
  // capture ended, 60 s later).
  for (const side of ['client', 'server'] as const) {
    const states: string[] = v.sides[side].changes.map((c) => c.state);
    assert.deepEqual(states.slice(-4), ['FIN_WAIT_1', 'CLOSING', 'TIME_WAIT', 'CLOSED'], side);
  }
});

test('a FIN re-sent after the capture saw its ACK is reported as such, not as a stall', { skip: !existsSync(SSH) && 'no conformance set' }, async () => {
  const { verdicts } = await analyzeInputs([SSH]);
  const v = verdicts.find((x) => x.client.port === 52294);
  assert.ok(v);
  const f = v.findings.find((x) => x.code === 'fin-retransmitted');
  assert.ok(f);
  assert.match(f.detail, /although the capture saw it acknowledged/);
});
