// A finished connection packed into numbers and read back on another thread
// (src/flow/connection-codec.ts, used by src/batch/offload.ts) is judged exactly as the original.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeConnection, DEFAULT_CLOSE_OPTIONS, type Verdict } from '../../src/close/index.js';
import { DIRECTION_FIELDS, PackedConnection, packConnection, packedSize } from '../../src/flow/connection-codec.js';
import { newDirection, type FlowConnection } from '../../src/flow/connection.js';
import type { FlowOptions } from '../../src/flow/index.js';
import { rebuild } from '../helpers/analyze-file.js';

const CAPTURES = join(process.cwd(), 'captures');
const capture = (name: string): string => join(CAPTURES, name);
const text = (v: Verdict): string => JSON.stringify({ ...v, segments: v.segments?.toArray() ?? null });

test('a connection packed and read back is judged as the original, on every capture', async () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  assert.ok(files.length > 10);
  let connections = 0;
  const endReasons = new Set<string>();
  const roleReasons = new Set<string>();
  for (const f of files) {
    // On a few, flow settings that end connections every other way: Zeek's timers, the cap on
    // live connections, and short TIME_WAIT and idle limits.
    const variants: Partial<FlowOptions>[] = [{}, { zeekBoundaries: true }, { maxLive: 3, timeWaitUs: 1000, idleUs: 200_000 }];
    for (const flow of variants) {
      const conns = (await rebuild(join(CAPTURES, f), { flow })).connections as FlowConnection[];
      const expected = conns.map((c) => text(analyzeConnection(c, DEFAULT_CLOSE_OPTIONS, true)));
      const packed = new Float64Array(conns.reduce((n, c) => n + packedSize(c), 0));
      let at = 0;
      for (const c of conns) {
        const next = packConnection(c, packed, at);
        assert.equal(next - at, packedSize(c), `${f}: packedSize is what packConnection writes`);
        at = next;
        endReasons.add(c.endReason);
        roleReasons.add(c.roleReason);
      }
      // One PackedConnection for all of them, as on the worker: nothing of one may stay in the next.
      const pc = new PackedConnection();
      const got: string[] = [];
      for (let k = 0; k < packed.length;) {
        k = pc.load(packed, k);
        got.push(text(analyzeConnection(pc, DEFAULT_CLOSE_OPTIONS, true)));
      }
      assert.deepEqual(got, expected, `${f} ${JSON.stringify(flow)}`);
      connections += conns.length;
    }
  }
  assert.ok(connections > 500, `${connections} connections compared`);
  assert.deepEqual([...endReasons].sort(), ['capture-end', 'closed-quiet', 'evicted', 'idle', 'reused']);
  assert.deepEqual([...roleReasons].sort(), ['first-sender', 'syn', 'syn-ack', 'well-known-port']);
});

test('every end reason and role reason survives packing, and so do long histories and logs', async () => {
  const c = (await rebuild(capture('busy.pcap'))).connections[0] as FlowConnection;
  const out = new Float64Array(packedSize(c));
  const pc = new PackedConnection();
  for (const reason of ['capture-end', 'closed-quiet', 'idle', 'reused', 'evicted', 'zeek-timeout'] as const) {
    c.endReason = reason;
    packConnection(c, out, 0);
    pc.load(out, 0);
    assert.equal(pc.endReason, reason);
  }
  for (const reason of ['syn', 'syn-ack', 'first-sender', 'well-known-port'] as const) {
    c.roleReason = reason;
    packConnection(c, out, 0);
    pc.load(out, 0);
    assert.equal(pc.roleReason, reason);
  }
  // Histories are looked up by a hash of their letters: "Aa" and "BB" share one (65 * 31 + 97 =
  // 66 * 31 + 66), and each must still come back as itself.
  const zeek = (c as unknown as { zeek: { history: string } }).zeek;
  for (const history of ['Aa', 'BB', 'Aa', 'ShADadFf', 'BB']) {
    zeek.history = history;
    const buf = new Float64Array(packedSize(c));
    packConnection(c, buf, 0);
    pc.load(buf, 0);
    assert.equal(pc.history, history);
  }
  // The longest history and log in the captures, loaded after a short one and before it again.
  const all: FlowConnection[] = [];
  for (const f of ['busy.pcap', 'fin-retransmitted.pcap', 'half-close.pcap', 'close-unread-data.pcap']) {
    all.push(...(await rebuild(capture(f))).connections as FlowConnection[]);
  }
  const longest = all.reduce((a, b) => (packedSize(b) > packedSize(a) ? b : a));
  const shortest = all.reduce((a, b) => (packedSize(b) < packedSize(a) ? b : a));
  assert.ok(longest.log.length > shortest.log.length && longest.history.length > shortest.history.length);
  for (const conn of [shortest, longest, shortest]) {
    const buf = new Float64Array(packedSize(conn));
    packConnection(conn, buf, 0);
    pc.load(buf, 0);
    assert.equal(pc.history, conn.history);
    assert.deepEqual(pc.log, conn.log);
    assert.deepEqual(pc.segmentLog().toArray(), conn.segmentLog().toArray());
  }
});

test('every field of both directions survives packing, each in its own place', async () => {
  const c = (await rebuild(capture('busy.pcap'))).connections[0] as FlowConnection;
  // DIRECTION_FIELDS names every field a direction has, once.
  assert.deepEqual([...DIRECTION_FIELDS].sort(), Object.keys(newDirection()).sort());
  DIRECTION_FIELDS.forEach((k, i) => {
    for (const d of [0, 1] as const) {
      const f = c.dirs[d] as unknown as Record<string, number | boolean>;
      f[k] = typeof f[k] === 'boolean' ? (i + d) % 2 === 0 : 1e12 + 100 * i + d;
    }
  });
  const out = new Float64Array(packedSize(c));
  packConnection(c, out, 0);
  const pc = new PackedConnection();
  pc.load(out, 0);
  assert.deepEqual(pc.dirs, c.dirs);
});
