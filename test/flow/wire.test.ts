// A connection packed into numbers (src/flow/wire.ts) and read back on another thread must judge
// to the very verdict the connection itself gives: every capture, every connection.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeConnection, DEFAULT_CLOSE_OPTIONS } from '../../src/close/index.js';
import { newDirection } from '../../src/flow/connection.js';
import type { DirectionFacts } from '../../src/flow/types.js';
import { DIRECTION_WORDS, packConnection, packedSize, readDirection, WireConnection, writeDirection } from '../../src/flow/wire.js';
import { readInput } from '../../src/pipeline/index.js';

const CAPTURES = join(process.cwd(), 'captures');

/** Verdicts (with their segment logs) made from each connection directly and from its packed copy. */
async function bothWays(file: string): Promise<{ direct: string[]; wire: string[]; sizes: number[] }> {
  const direct: string[] = [], wire: string[] = [], sizes: number[] = [];
  const conn = new WireConnection();
  const json = (v: ReturnType<typeof analyzeConnection>): string => JSON.stringify({ ...v, segments: v.segments?.toArray() ?? null });
  await readInput(file, 0, (c) => {
    direct.push(json(analyzeConnection(c, DEFAULT_CLOSE_OPTIONS, true)));
    // Packed after a stretch of garbage, as a connection sits inside a shared buffer.
    const size = packedSize(c);
    const p = new Float64Array(7 + size).fill(NaN);
    assert.equal(packConnection(p, 7, c), 7 + size, 'packConnection fills exactly packedSize numbers');
    assert.equal(conn.load(p, 7), 7 + size, 'load ends where the connection does');
    wire.push(json(analyzeConnection(conn, DEFAULT_CLOSE_OPTIONS, true)));
    sizes.push(size);
  });
  return { direct, wire, sizes };
}

test('every connection of every capture judges the same from its packed copy', async () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  assert.ok(files.length > 10);
  let connections = 0;
  for (const f of files) {
    const { direct, wire } = await bothWays(join(CAPTURES, f));
    assert.deepEqual(wire, direct, f);
    connections += direct.length;
  }
  assert.ok(connections > 500, `${connections} connections compared`);
});

test('one reused WireConnection loads different connections in turn without leftovers', async () => {
  // busy.pcap: 600 connections of various shapes; load them all into one buffer, read in order.
  const file = join(CAPTURES, 'busy.pcap');
  const { direct, sizes } = await bothWays(file);
  const p = new Float64Array(sizes.reduce((a, b) => a + b, 0));
  let end = 0;
  await readInput(file, 0, (c) => { end = packConnection(p, end, c); });
  assert.equal(end, p.length);
  const conn = new WireConnection();
  const again: string[] = [];
  for (let at = 0; at < end;) {
    at = conn.load(p, at);
    const v = analyzeConnection(conn, DEFAULT_CLOSE_OPTIONS, true);
    again.push(JSON.stringify({ ...v, segments: v.segments?.toArray() ?? null }));
  }
  assert.deepEqual(again, direct);
});

test('a direction\'s facts round-trip field by field, and every field is packed', () => {
  const keys = Object.keys(newDirection()) as (keyof DirectionFacts)[];
  assert.ok(keys.length <= DIRECTION_WORDS, 'DIRECTION_WORDS has room for every field');
  const facts = newDirection() as unknown as Record<string, number | boolean>;
  // Distinct values: a field written to the wrong slot or not at all shows.
  keys.forEach((k, i) => { facts[k] = typeof facts[k] === 'boolean' ? i % 2 === 0 : 1e15 + i * 7919; });
  const p = new Float64Array(DIRECTION_WORDS);
  writeDirection(p, 0, facts as unknown as DirectionFacts);
  const back = newDirection();
  readDirection(p, 0, back);
  assert.deepEqual(back, facts);
});
