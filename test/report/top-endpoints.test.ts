// The summary's "endpoints behind the most findings" is picked in one pass (a flood has a finding
// for each of a million sources): it must be exactly the head of the full sort it replaced.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENDPOINTS_LISTED, topEndpoints } from '../../src/report/summary.js';

type Entry = { count: number; codes: Record<string, number> };

/** The definition: every endpoint, most findings first, ties in endpoint order. */
function fullSort(byEndpoint: Map<string, Entry>, limit: number): { endpoint: string; count: number; codes: Record<string, number> }[] {
  return [...byEndpoint].map(([endpoint, e]) => ({ endpoint, ...e }))
    .sort((a, b) => b.count - a.count || (a.endpoint < b.endpoint ? -1 : 1)).slice(0, limit);
}

/** Deterministic pseudo-random counts (mulberry32). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('topEndpoints equals the head of the full sort: few, many, ties, insertion orders', () => {
  for (const [size, spread, seed] of [[0, 1, 1], [1, 1, 2], [19, 3, 3], [20, 3, 4], [21, 3, 5], [500, 2, 6], [5000, 40, 7], [3000, 1, 8]] as const) {
    const next = random(seed);
    const byEndpoint = new Map<string, Entry>();
    for (let i = 0; i < size; i++) {
      // Addresses in an order unrelated to their text, so ties are broken against insertion order.
      const ip = `10.${Math.floor(next() * 256)}.${Math.floor(next() * 256)}.${i % 256}`;
      byEndpoint.set(`${ip}:${1000 + i}`, { count: 1 + Math.floor(next() * spread), codes: { 'syn-unanswered': 1 } });
    }
    for (const limit of [1, 5, ENDPOINTS_LISTED]) {
      assert.deepEqual(topEndpoints(byEndpoint, limit), fullSort(byEndpoint, limit), `${size} endpoints, limit ${limit}`);
    }
  }
});
