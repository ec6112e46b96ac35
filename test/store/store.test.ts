// The VerdictStore keeps verdicts as compact records, spills sorted runs to disk past its budget
// and reads them back in key order: what comes out must be exactly what went in, whatever the
// budget, the order of arrival, the id shift and the filter.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Verdict } from '../../src/close/index.js';
import { analyzeInput } from '../../src/pipeline/index.js';
import { quantizeVerdict } from '../../src/report/verdict-json.js';
import { MemoryBudget, NumberBag } from '../../src/store/number-bag.js';
import { decodeOutline, decodeVerdict, encodeVerdict, OutlineScratch, RecordWriter } from '../../src/store/record.js';
import { VerdictStore } from '../../src/store/verdict-store.js';

const CAPTURES = join(process.cwd(), 'captures');
const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort().map((f) => join(CAPTURES, f));

async function verdictsOf(file: string): Promise<Verdict[]> {
  const out: Verdict[] = [];
  await analyzeInput(file, 0, (v) => out.push(quantizeVerdict(v)), {});
  return out.sort((a, b) => a.id - b.id);
}

test('every verdict of every capture survives a record unchanged (segments aside)', async () => {
  let n = 0;
  for (const file of files) {
    for (const v of await verdictsOf(file)) {
      const w = new RecordWriter(64);
      encodeVerdict(w, v, v.id);
      assert.equal(w.length % 8, 0);
      assert.deepEqual(decodeVerdict(w.buf, 0), { ...v, segments: null }, `${file} #${v.id}`);
      n++;
    }
  }
  assert.ok(n > 500);
});

test('outlines decoded into one reused scratch are the outlines of new objects, record after record', async () => {
  // Every capture's records in one buffer, so that each outline follows a different one: more or
  // fewer changes and findings, other addresses.
  const w = new RecordWriter(64);
  const starts: number[] = [];
  for (const file of files) {
    for (const v of await verdictsOf(file)) {
      starts.push(w.length);
      encodeVerdict(w, v, v.id);
    }
  }
  const scratch = new OutlineScratch();
  const counts = new Set<string>();
  for (const order of [starts, [...starts].reverse()]) {
    for (const off of order) {
      const reused = decodeOutline(w.buf, off, scratch);
      assert.equal(reused, scratch.outline);
      assert.deepEqual(reused, decodeOutline(w.buf, off), `record at ${off}`);
      counts.add(`${reused.sides.client.changes.length}/${reused.findings.length}`);
    }
  }
  assert.ok(counts.size > 5, `${counts.size} shapes of changes and findings`);
});

test('records come back in key order, in memory and spilled in many runs', async () => {
  const all = (await Promise.all(files.map(verdictsOf))).flatMap((vs, k) => vs.map((v) => ({ ...v, input: k })));
  // Arrival in a scrambled order, keyed (input, id) as the batch stage keys them.
  const scrambled = all.map((v, i) => ({ v, r: (i * 7919) % all.length })).sort((a, b) => a.r - b.r).map((x) => x.v);
  for (const memoryBytes of [1 << 30, 20_000, 600]) {
    const store = new VerdictStore({ memoryBytes });
    for (const v of scrambled) store.add(v, v.input * 2 ** 32 + v.id);
    assert.equal(store.length, all.length);
    assert.deepEqual([...store], all.map((v) => ({ ...v, segments: null })), `budget ${memoryBytes}`);
    // Twice: reading does not consume.
    assert.equal([...store].length, all.length);
    store.close();
  }
});

test('ids shift by input, findings naming a connection follow, and filters and excluded inputs apply', async () => {
  const a = await verdictsOf(join(CAPTURES, 'time-wait-reuse.pcap'));
  const b = await verdictsOf(join(CAPTURES, 'busy.pcap'));
  const store = new VerdictStore({ memoryBytes: 50_000 });
  for (const v of b) store.add({ ...v, input: 1 }, 2 ** 32 + v.id);
  for (const v of a) store.add(v, v.id);
  store.setIdOffsets([0, a.length]);
  const out = [...store];
  assert.deepEqual(out.map((v) => v.id), [...a, ...b].map((_v, i) => i + 1));
  const named = out.filter((v) => v.input === 1 && v.findings.some((f) => f.detail.includes('connection #')));
  assert.ok(named.length > 0);
  for (const v of named) {
    const f = v.findings.find((x) => x.detail.includes('connection #'))!;
    assert.equal(Number(/#(\d+)/.exec(f.detail)![1]), v.reusedById, 'the shifted id in the detail is the reusing connection');
  }
  store.setFilter((v) => v.findings.length > 0);
  assert.equal(store.length, out.filter((v) => v.findings.length > 0).length);
  store.setFilter(() => true);
  store.excludeInputs(new Set([0]));
  assert.equal(store.length, b.length);
  assert.ok([...store].every((v) => v.input === 1));
});

test('number bags give every value back in ascending order whatever they spilled', () => {
  const budget = new MemoryBudget(1000);
  const bags = [new NumberBag(budget), new NumberBag(budget), new NumberBag(budget)];
  const values: number[][] = [[], [], []];
  let x = 12345;
  for (let i = 0; i < 20_000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const k = x % 3;
    const value = k === 2 && i % 97 === 0 ? Infinity : (x % 1_000_000) - 1000;
    bags[k].push(value);
    values[k].push(value);
  }
  assert.ok(budget.used <= 1000);
  bags.forEach((bag, k) => {
    assert.deepEqual([...bag.sorted()], values[k].slice().sort((p, q) => p - q));
    assert.equal(bag.count, values[k].length);
    assert.equal(bag.max, Math.max(...values[k]));
  });
  // take() past the last value keeps answering NaN (spilled runs and memory alike).
  const reader = bags[0].sorted(), expected = values[0].slice().sort((p, q) => p - q);
  for (const x of expected) assert.equal(reader.take(), x);
  assert.ok(Number.isNaN(reader.take()) && Number.isNaN(reader.take()));
  budget.close();
});

test('number bags past the radix threshold: runs of 50 000 values spilled and one in memory', () => {
  const budget = new MemoryBudget(50_000);
  const bag = new NumberBag(budget);
  const values: number[] = [];
  let x = 4242;
  for (let i = 0; i < 170_000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const value = i % 1001 === 0 ? Infinity : x % 3 === 0 ? x / 1000 : x;
    bag.push(value);
    values.push(value);
  }
  assert.deepEqual([...bag.sorted()], values.sort((p, q) => p - q));
  budget.close();
});
