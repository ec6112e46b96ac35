// A VerdictScratch makes every verdict of the same objects (the store encodes each one at once).
// Each verdict read when it is handed on must be the one a fresh set of objects gives, whatever
// the connection before it left in them: every capture, and both orders of the same connections.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeConnection, VerdictScratch, type Verdict } from '../../src/close/index.js';
import type { Connection } from '../../src/flow/index.js';
import { analyzeInput } from '../../src/pipeline/index.js';
import { rebuild } from '../helpers/analyze-file.js';

const CAPTURES = join(process.cwd(), 'captures');

const text = (v: Verdict): string => JSON.stringify({ ...v, segments: v.segments?.toArray() ?? null });

/** Each verdict as JSON when it is handed on, and how many distinct verdict objects there were. */
async function verdictsOf(file: string, reuseVerdicts: boolean, keepSegments = false): Promise<{ texts: string[]; objects: number }> {
  const texts: string[] = [];
  const objects = new Set<Verdict>();
  await analyzeInput(file, 0, (v) => {
    texts.push(text(v));
    objects.add(v);
  }, { reuseVerdicts, keepSegments });
  return { texts, objects: objects.size };
}

test('verdicts made of reused objects are the ones new objects give, on every capture', async () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  assert.ok(files.length > 10);
  let connections = 0;
  for (const f of files) {
    const fresh = await verdictsOf(join(CAPTURES, f), false);
    const reused = await verdictsOf(join(CAPTURES, f), true, false);
    assert.equal(fresh.objects, fresh.texts.length, `${f}: a new verdict each time without reuse`);
    if (reused.texts.length > 0) assert.equal(reused.objects, 1, `${f}: one verdict object with reuse`);
    assert.deepEqual(reused.texts, fresh.texts, f);
    connections += fresh.texts.length;
  }
  assert.ok(connections > 500, `${connections} connections compared`);
});

test('a reused scratch leaves nothing of one connection in the next, in either order', async () => {
  // Connections that differ in every optional part: SYNs, FINs, RSTs, retransmissions, findings.
  const conns: Connection[] = [];
  const files = ['busy.pcap', 'lost-final-ack-client.pcap', 'fin-retransmitted.pcap', 'syn-unanswered.pcap', 'syn-rejected.pcap',
    'in-between.pcap', 'time-wait-assassination.pcap', 'midstream.pcap', 'ipv6.pcap', 'half-close.pcap'];
  for (const f of files) conns.push(...(await rebuild(join(CAPTURES, f))).connections);
  assert.ok(conns.length > 20);
  const expected = conns.map((c) => text(analyzeConnection(c)));
  // The optional parts really vary between neighbours: some verdicts have them, some do not.
  const shapes = new Set(expected.map((t) => {
    const v = JSON.parse(t) as Verdict;
    return [v.vantage, v.directions.client.fin === null, v.directions.server.rst === null, v.handshakeGapsUs === null, v.findings.length].join();
  }));
  assert.ok(shapes.size >= 5, `${shapes.size} shapes`);
  for (const order of [conns, [...conns].reverse()]) {
    const scratch = new VerdictScratch();
    const got = order.map((c) => text(analyzeConnection(c, undefined, false, scratch)));
    const want = order === conns ? expected : [...expected].reverse();
    assert.deepEqual(got, want);
  }
});
