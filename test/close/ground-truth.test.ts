// The lab logged the wall-clock moment each program called close() or shutdown() (captures/
// scenarios.json). finscope only sees packets at one point of the path; placing each side's state
// changes at that endpoint's own time (capture time ± its one-way delay from the handshake) must
// put the FIN-sending transition within a few milliseconds of the real socket call, for the side
// next to the capture point and for the side a whole path away.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeInputs } from '../../src/pipeline/index.js';

const CAPTURES = join(process.cwd(), 'captures');
// One close may be off by the path's jitter: the lab's delay is a user-space relay, which adds
// milliseconds when the machine is busy. The method itself is judged on the median error.
const TOLERANCE_US = 15_000;
const MEDIAN_TOLERANCE_US = 3_000;
const errors: number[] = [];

interface Op { t: number; op: string }
interface Scenario {
  file: string;
  vantage: string;
  groundTruth: { connections: { client?: string; clientOps?: Op[]; serverOps?: Op[] }[] };
}

const scenarios = existsSync(join(CAPTURES, 'scenarios.json'))
  ? (JSON.parse(readFileSync(join(CAPTURES, 'scenarios.json'), 'utf8')) as Scenario[])
  : [];

// Every single-interface capture, whatever its vantage (mid-stream ones measure the round trip on
// data and its ACK). A capture on two interfaces keeps each packet's first copy, taken at two
// different points, so one delay per side does not describe it.
const timed = scenarios.filter((s) => /\.pcap(ng)?$/.test(s.file) && !s.file.includes('two-interfaces') &&
  existsSync(join(CAPTURES, s.file)) &&
  s.groundTruth.connections.some((c) => (c.clientOps ?? []).concat(c.serverOps ?? []).some((o) => o.op === 'close' || o.op === 'shutdown-wr')));

test('there are lab captures with socket-call times to check against', () => {
  assert.ok(timed.length >= 10, `${timed.length} scenarios`);
});

let checkedCloses = 0;
for (const s of timed) {
  test(`${s.file}: FIN transitions at the moment each program closed`, async () => {
    const { verdicts } = await analyzeInputs([join(CAPTURES, s.file)]);
    const usedPorts = new Map<number, number>();
    for (const gc of s.groundTruth.connections) {
      // connect() that failed (EADDRNOTAVAIL) has no address.
      if (typeof gc.client !== 'string') continue;
      const port = Number(gc.client.slice(gc.client.lastIndexOf(':') + 1));
      // A reused 4-tuple: the n-th logged connection on a port is our n-th connection on it.
      const nth = usedPorts.get(port) ?? 0;
      usedPorts.set(port, nth + 1);
      const v = verdicts.filter((x) => x.client.port === port)[nth];
      if (v === undefined) continue;
      for (const [side, ops] of [['client', gc.clientOps ?? []], ['server', gc.serverOps ?? []]] as const) {
        const call = ops.find((o) => o.op === 'close' || o.op === 'shutdown-wr');
        const fin = v.sides[side].changes.find((c) => c.cause === 'sendFin');
        if (call === undefined || fin === undefined) continue;
        const errorUs = fin.atUs - call.t * 1e6;
        assert.ok(Math.abs(errorUs) <= TOLERANCE_US,
          `#${v.id} ${side} ${fin.state} ${(errorUs / 1000).toFixed(2)} ms from its ${call.op}() (vantage ${s.vantage})`);
        checkedCloses++;
        errors.push(Math.abs(errorUs));
      }
    }
  });
}

test('the timing checks above compared real closes, with a median error of a few milliseconds at most', () => {
  assert.ok(checkedCloses >= 20, `${checkedCloses} closes checked`);
  const sorted = [...errors].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  assert.ok(median <= MEDIAN_TOLERANCE_US, `median error ${(median / 1000).toFixed(2)} ms over ${sorted.length} closes`);
});
