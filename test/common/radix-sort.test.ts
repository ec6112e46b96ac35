// The radix sorts behind the report's percentiles (sortValues) and the terminal UI's sorted list
// (sortIndicesByValue) must order exactly as the built-in sorts they replace, on every kind of double.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortIndicesByValue, sortValues } from '../../src/common/radix-sort.js';

let x = 987654321;
const next = (): number => (x = (x * 1103515245 + 12345) % 2147483648);
const kinds: Record<string, (i: number) => number> = {
  microseconds: () => next() % 60_000_000,
  'pressure events': (i) => 2 * (1_795_512_454_000_000 + next() % 15_000_000) + (i & 1),
  mixed: (i) => [-0, 0, Infinity, -Infinity, -next(), next() / 7, -next() / 3, 1e300, -1e-300, 5e-324][i % 10],
  'low bits only': () => 2 ** 40 + (next() & 0xff),
  'high bits only': () => 2 ** (next() % 60),
  'few distinct': () => next() % 7 - 3,
  equal: () => 42,
  ascending: (i) => i * 3,
  descending: (i) => -i * 3,
};
const SIZES = [0, 1, 4095, 4096, 4097, 65_536, 100_003];

test('sortValues orders doubles exactly as Float64Array sort does, small and large', () => {
  for (const [kind, value] of Object.entries(kinds)) {
    for (const n of SIZES) {
      const a = Float64Array.from({ length: n }, (_, i) => value(i));
      const expected = a.slice().sort();
      // Sorted where it sits, as the bags sort a subarray of their buffer.
      const holder = new Float64Array(n + 3);
      holder.set(a, 2);
      const view = holder.subarray(2, 2 + n);
      sortValues(view);
      assert.ok(view.every((v, i) => Object.is(v, expected[i])), `${kind}, ${n} values`);
      assert.equal(holder[0], 0);
      assert.equal(holder[n + 2], 0);
    }
  }
});

test('sortIndicesByValue orders indices as a comparator sort with ties by index does', () => {
  for (const [kind, value] of Object.entries(kinds)) {
    for (const n of SIZES) {
      // Values for a larger array than is sorted: only the kept indices (every third) are read.
      const values = Float64Array.from({ length: 3 * n }, (_, i) => value(i));
      const kept = Uint32Array.from({ length: n }, (_, i) => 3 * i);
      const expected = kept.slice().sort((a, b) => values[a] - values[b] || a - b);
      const got = sortIndicesByValue(kept, values);
      assert.equal(got, kept, 'sorted in place');
      assert.deepEqual([...got], [...expected], `${kind}, ${n} indices`);
    }
  }
});
