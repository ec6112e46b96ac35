// `finscope merge`: JSON reports of shards combine into exactly the report of one run over all
// their inputs (every format, byte for byte), whichever way the archive was cut.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTree, capture, run, tempDir } from '../batch/fixtures.js';

function report(args: string[], out: string): void {
  const r = run(['report', '-f', 'json', '-o', out, ...args]);
  assert.ok(r.code === 0 || r.code === 3, r.stderr);
}

test('merge of shard reports equals one run over all inputs, in every format', () => {
  const tree = buildTree();
  const dir = tempDir();
  // The same inputs, in one run and in three shards (as xargs -n would cut them).
  const inputs = [join(tree.root, 'a-plain.pcap'), capture('busy.pcap'), join(tree.root, 'sub'), join(tree.root, 'corrupt.pcap'), capture('close-client-first.pcap.gz')];
  const shards = [[inputs[0], inputs[1]], [inputs[2]], [inputs[3], inputs[4]]].map((args, k) => {
    const out = join(dir, `shard-${k}.json`);
    report(args, out);
    return out;
  });
  for (const format of ['json', 'text', 'csv', 'ndjson', 'markdown']) {
    const one = run(['report', '-f', format, '--all', ...inputs]);
    const merged = run(['merge', '-f', format, '--all', ...shards]);
    assert.equal(one.code, 3);
    assert.equal(merged.code, one.code, merged.stderr);
    assert.equal(merged.stdout, one.stdout, format);
  }
});

test('merge reads a report that is not in the streamed layout (pretty-printed by another tool)', () => {
  const dir = tempDir();
  const a = join(dir, 'a.json'), b = join(dir, 'b.json');
  report([capture('close-client-first.pcap')], a);
  report([capture('busy.pcap')], b);
  writeFileSync(b, JSON.stringify(JSON.parse(readFileSync(b, 'utf8')), null, 2));
  const merged = run(['merge', '-f', 'json', a, b]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(merged.stdout, run(['report', '-f', 'json', capture('close-client-first.pcap'), capture('busy.pcap')]).stdout);
});

test('merge refuses shards made with different options (exit 2) and reports unreadable ones (exit 3)', () => {
  const dir = tempDir();
  const a = join(dir, 'a.json'), b = join(dir, 'b.json'), bad = join(dir, 'bad.json');
  report([capture('close-client-first.pcap')], a);
  const r = run(['report', '-f', 'json', '-o', b, '--fin-wait2', '5s', capture('busy.pcap')]);
  assert.equal(r.code, 0, r.stderr);
  const mismatch = run(['merge', a, b]);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /finWait2/);
  writeFileSync(bad, '{"not": "a report"}');
  const partial = run(['merge', '-f', 'json', a, bad, join(dir, 'missing.json')]);
  assert.equal(partial.code, 3);
  assert.match(partial.stderr, /bad\.json: not a finscope JSON report/);
  assert.match(partial.stderr, /missing\.json: no such file/);
  assert.equal(JSON.parse(partial.stdout).inputs.length, 1, 'the readable shard is still reported');
});

test('--filter keeps the ids of the whole run, and merge --filter equals a filtered run', () => {
  const dir = tempDir();
  const inputs = [capture('close-client-first.pcap'), capture('busy.pcap')];
  const all = JSON.parse(run(['report', '-f', 'json', ...inputs]).stdout);
  const expr = 'port 8080 and id > 300';
  const filtered = run(['report', '-f', 'json', '--filter', expr, ...inputs]);
  assert.equal(filtered.code, 0, filtered.stderr);
  const doc = JSON.parse(filtered.stdout);
  assert.ok(doc.connections.length > 0 && doc.connections.length < all.connections.length);
  const byId = new Map(all.connections.map((c: { id: number }) => [c.id, c]));
  for (const c of doc.connections) assert.deepEqual(c, byId.get(c.id));
  assert.equal(doc.summary.connections, doc.connections.length);
  assert.equal(typeof doc.options.filter, 'string');
  const shards = inputs.map((input, k) => {
    const out = join(dir, `s${k}.json`);
    report([input], out);
    return out;
  });
  const merged = run(['merge', '-f', 'json', '--filter', expr, ...shards]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.equal(merged.stdout, filtered.stdout);
  assert.equal(run(['report', '--filter', 'port', ...inputs]).code, 2);
});
