// JsonBytes writes a connection's JSON from its compact record: it must be byte for byte
// JSON.stringify(connectionJson(v, file)), the report's definition of a connection, on every
// capture, with ids shifted or not; and its numbers must be printed as JavaScript prints them.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Verdict } from '../../src/close/index.js';
import { analyzeInput } from '../../src/pipeline/index.js';
import { connectionJson } from '../../src/report/json.js';
import { JsonBytes } from '../../src/report/json-bytes.js';
import { quantizeVerdict } from '../../src/report/verdict-json.js';
import { encodeVerdict, RecordWriter } from '../../src/store/record.js';

const CAPTURES = join(process.cwd(), 'captures');

function written(w: JsonBytes, write: () => void): string {
  w.len = 0;
  write();
  return w.buf.toString('utf8', 0, w.len);
}

test('seconds from microseconds and whole numbers, as JSON.stringify prints them', () => {
  const w = new JsonBytes([]);
  const micros = [0, -0, 1, 5, 10, 999_999, 1_000_000, 1_000_001, 1_795_512_454_212_672, 1_795_512_454_000_000, 7_999_999_999_999_999,
    8e15, 9e15, 2 ** 53, 2 ** 53 + 2, -5, -1_000_000, 0.5, 1.5, NaN, Infinity, -Infinity, 1e22];
  let seed = 7;
  const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
  for (let i = 0; i < 50_000; i++) micros.push(Math.floor(random() * 8e15), Math.floor(random() * 1e7), Math.floor(random() * 2 ** 53));
  for (const us of micros) assert.equal(written(w, () => w.micros(us)), JSON.stringify(us / 1e6), `micros ${us}`);
  const whole = [0, -0, 1, 9, 10, 99, 100, 65535, 4_294_967_295, 4_294_967_296, 2 ** 53 - 1, 2 ** 53, -1, 1.5, NaN, Infinity, 1e21, 1e300];
  for (let i = 0; i < 50_000; i++) whole.push(Math.floor(random() * 2 ** 53), Math.floor(random() * 100_000));
  for (const x of whole) assert.equal(written(w, () => w.number(x)), JSON.stringify(x), `number ${x}`);
});

test('every connection of every capture, as connectionJson serialised, ids shifted or not', async () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  let n = 0;
  for (const f of files) {
    const file = join(CAPTURES, f);
    const verdicts: Verdict[] = [];
    await analyzeInput(file, 0, (v) => verdicts.push(quantizeVerdict(v)), {});
    const w = new JsonBytes([file]);
    const unnamed = new JsonBytes([]);
    for (const v of verdicts) {
      const r = new RecordWriter(64);
      encodeVerdict(r, v, v.id);
      assert.equal(written(w, () => w.connection(r.buf, 0, 0)), JSON.stringify(connectionJson(v, file)), `${f} #${v.id}`);
      assert.equal(written(unnamed, () => unnamed.connection(r.buf, 0, 0)), JSON.stringify(connectionJson(v)), `${f} #${v.id} without input`);
      const shifted = structuredClone(v);
      shifted.id += 1000;
      if (shifted.previousId !== null) shifted.previousId += 1000;
      if (shifted.reusedById !== null) shifted.reusedById += 1000;
      for (const x of shifted.findings) x.detail = x.detail.replace(/(connection #)(\d+)/g, (_m, p: string, id: string) => `${p}${Number(id) + 1000}`);
      assert.equal(written(w, () => w.connection(r.buf, 0, 1000)), JSON.stringify(connectionJson(shifted, file)), `${f} #${v.id} shifted`);
      n++;
    }
  }
  assert.ok(n > 500);
});
