// The timeline counts each instant the way summarize() counts its histogram; checked against a
// brute-force count with stateAt on real verdicts, and at the end against the report's histogram.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { stateAt, type TcpState, type Verdict } from '../../src/close/index.js';
import { summarize } from '../../src/report/summary.js';
import { captureSpan } from '../../src/ui/data.js';
import { computeTimeline, histogramAt, HISTOGRAM_STATES, instantIndex } from '../../src/ui/timeline.js';
import { loadCapture, syntheticVerdicts } from './synthetic-capture.js';

function bruteForce(verdicts: Verdict[], host: string | null, atUs: number): Map<TcpState, number> {
  const out = new Map<TcpState, number>();
  for (const v of verdicts) {
    for (const [ip, side] of [[v.client.ip, v.sides.client], [v.server.ip, v.sides.server]] as const) {
      if (host !== null && ip !== host) continue;
      const s = atUs >= v.startUs ? stateAt(side.changes, atUs) : null;
      if (s !== null) out.set(s, (out.get(s) ?? 0) + 1);
    }
  }
  return out;
}

async function check(verdicts: Verdict[], startUs: number, endUs: number, buckets: number): Promise<void> {
  for (const host of [null, verdicts[0]?.server.ip ?? null]) {
    const t = computeTimeline(verdicts, host, startUs, endUs, buckets);
    assert.equal(t.instants.length, buckets);
    assert.equal(t.instants[buckets - 1], endUs);
    for (let i = 0; i < buckets - 1; i++) {
      const expected = bruteForce(verdicts, host, t.instants[i]);
      for (const { state, count } of histogramAt(t, i)) assert.equal(count, expected.get(state) ?? 0, `${state} at instant ${i}`);
    }
    // The last instant is the report's histogram at the end of the capture.
    const summary = summarize(verdicts, startUs, endUs, { host: host ?? undefined, portRange: [32768, 60999] });
    if (host !== null || summary.host === null) {
      for (const { state, count } of histogramAt(t, buckets - 1)) assert.equal(count, summary.histogram[state] ?? 0, `${state} at the end`);
    }
  }
}

describe('computeTimeline', () => {
  it('matches stateAt at every instant on the synthetic scenarios', async () => {
    const { input, verdicts } = await syntheticVerdicts({ count: 45, spacingUs: 400_000 });
    const { startUs, endUs } = captureSpan([input]);
    for (const buckets of [1, 2, 7, 60, 200]) await check(verdicts, startUs, endUs, buckets);
  });

  it('matches stateAt on a real capture of 600 connections', async () => {
    const { input, verdicts } = await loadCapture(join(process.cwd(), 'captures', 'busy.pcap'));
    const { startUs, endUs } = captureSpan([input]);
    await check(verdicts, startUs, endUs, 50);
  });

  it('handles a capture of one instant and an empty one', () => {
    const t = computeTimeline([], null, 5, 5, 10);
    assert.equal(t.instants.length, 10);
    assert.ok(t.peaks.every((p) => p === 0));
    assert.equal(HISTOGRAM_STATES.length, t.counts.length);
  });

  it('finds the nearest instant', () => {
    const t = computeTimeline([], null, 0, 100, 10);
    assert.equal(instantIndex(t, null), 9);
    assert.equal(instantIndex(t, 10), 0);
    assert.equal(instantIndex(t, 14), 0);
    assert.equal(instantIndex(t, 16), 1);
    assert.equal(instantIndex(t, 1e9), 9);
  });
});
