// Differential test against Zeek's conn.log: conn_state of every TCP connection Zeek logged for the
// captures in ../shared/conformance/zeek, compared with ours (src/close/zeek.ts) over the real
// capture -> decode -> flow pipeline. The full report: node dist/scripts/zeek-conformance.js.
// The endpoint-machine cases below are Zeek's own rules (TCPSessionAdapter.cc, main.zeek) that the
// shared captures happen not to show.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/index.js';
import {
  connStateFromEndpoints, newZeekEndpoints, zeekEndpointStep, type ZeekEndpoints,
} from '../../src/close/zeek.js';
import { conformanceAvailable, formatReport, runConformance } from '../helpers/zeek-conformance.js';

/** The floor asked of the differential test; the report says which rows miss it and why. */
const MIN_AGREEMENT = 0.95;

test('conn_state agrees with Zeek on the shared conformance pairs', { skip: !conformanceAvailable() && 'no /work/shared/conformance/zeek' }, async (t) => {
  const report = await runConformance();
  for (const line of formatReport(report).split('\n')) t.diagnostic(line);
  assert.ok(report.compared > 0, 'no row was compared');
  const agreement = report.agreed / report.compared;
  assert.ok(agreement >= MIN_AGREEMENT,
    `conn_state agreement ${report.agreed}/${report.compared} (${(agreement * 100).toFixed(1)}%) is below ${MIN_AGREEMENT * 100}%`);
});

const S = TCP_SYN, SA = TCP_SYN | TCP_ACK, A = TCP_ACK, FA = TCP_FIN | TCP_ACK, R = TCP_RST, RA = TCP_RST | TCP_ACK;

/** [direction (0 = originator), flags, payload length] per packet. */
type Packet = [0 | 1, number, number];

function run(packets: Packet[]): ZeekEndpoints {
  const m = newZeekEndpoints();
  for (const [d, flags, len] of packets) zeekEndpointStep(m, d, flags, len);
  return m;
}

const machineCases: { name: string; packets: Packet[]; history: string; state: string; sizes?: [number, number] }[] = [
  { name: 'handshake, data, FIN both ways', packets: [[0, S, 0], [1, SA, 0], [0, A, 0], [0, A, 10], [1, A, 20], [0, FA, 0], [1, FA, 0], [0, A, 0]], history: 'ShADadFf', state: 'SF' },
  { name: 'FIN, then RST from the same side, then the peer FIN: a normal close', packets: [[0, S, 0], [1, SA, 0], [0, A, 0], [0, FA, 0], [0, R, 0], [1, FA, 0]], history: 'ShAFRf', state: 'SF' },
  { name: 'RST after both FINs changes nothing', packets: [[0, S, 0], [1, SA, 0], [0, A, 0], [0, FA, 0], [1, FA, 0], [1, R, 0]], history: 'ShAFfr', state: 'SF' },
  { name: 'originator FIN unanswered', packets: [[0, S, 0], [1, SA, 0], [0, A, 0], [0, FA, 0]], history: 'ShAF', state: 'S2' },
  { name: 'responder FIN unanswered', packets: [[0, S, 0], [1, SA, 0], [0, A, 0], [1, FA, 0]], history: 'ShAf', state: 'S3' },
  { name: 'SYN then RST from the originator', packets: [[0, S, 0], [0, R, 0]], history: 'SR', state: 'RSTOS0' },
  { name: 'SYN, data, RST from the originator: still RSTOS0 (D is not in [HAFGIQ])', packets: [[0, S, 0], [0, A, 5], [0, R, 0]], history: 'SDR', state: 'RSTOS0' },
  { name: 'mid-stream RST from the originator only', packets: [[0, R, 0]], history: 'R', state: 'OTH' },
  { name: 'SYN-ACK then RST from the responder', packets: [[1, SA, 0], [1, R, 0]], history: 'hr', state: 'RSTRH' },
  { name: 'SYN-ACK then FIN from the responder', packets: [[1, SA, 0], [1, FA, 0]], history: 'hf', state: 'SHR' },
  { name: 'SYN then FIN, no answer', packets: [[0, S, 0], [0, FA, 0]], history: 'SF', state: 'SH' },
  { name: 'SYN refused', packets: [[0, S, 0], [1, RA, 0]], history: 'Sr', state: 'REJ' },
  { name: 'both sides RST, no payload either way: REJ', packets: [[0, S, 0], [1, SA, 0], [0, R, 0], [1, R, 0]], history: 'ShRr', state: 'REJ', sizes: [0, 0] },
  { name: 'both sides RST after payload: RSTR', packets: [[0, S, 0], [1, SA, 0], [0, A, 9], [0, R, 0], [1, R, 0]], history: 'ShDRr', state: 'RSTR', sizes: [9, 0] },
  { name: 'early empty ACK from the responder does not make it partial', packets: [[0, S, 0], [1, A, 0]], history: 'Sa', state: 'S0' },
  { name: 'data from the responder before its SYN-ACK makes it partial', packets: [[0, S, 0], [1, A, 4]], history: 'Sd', state: 'OTH' },
  { name: 'SYN-ACK seen without its SYN, then the ACK: established', packets: [[1, SA, 0], [0, A, 0]], history: 'hA', state: 'S1' },
  { name: 'SYN/SYN-ACK reversal: Zeek flips roles and calls it established', packets: [[0, SA, 0], [1, S, 0]], history: 'Hs', state: 'S1' },
  { name: 'mid-stream, FIN from both: SF without a handshake', packets: [[0, A, 5], [1, A, 5], [0, FA, 0], [1, FA, 0]], history: 'DdFf', state: 'SF' },
  { name: 'mid-stream, one side only, FIN: SH', packets: [[0, A, 5], [0, FA, 0]], history: 'DF', state: 'SH' },
];

for (const c of machineCases) {
  test(`Zeek endpoint machine: ${c.name} -> ${c.state}`, () => {
    const m = run(c.packets);
    const [origSize, respSize] = c.sizes ?? [1, 1];
    assert.equal(connStateFromEndpoints(m.state[0], m.state[1], c.history, origSize, respSize), c.state,
      `endpoints ${m.state.join('/')}`);
  });
}
