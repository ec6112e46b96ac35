// The report does not depend on the number of jobs: same bytes out for --jobs 1 and --jobs 2 in
// every format, ids renumbered by input order (busy.pcap's time-wait-reuse details name other
// connections by id, and those ids must be renumbered too).

import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';
import { buildTree, capture, CAPTURES, run, tempDir } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

test('--jobs 1 and --jobs 2 give the same report in every format', () => {
  const tree = buildTree();
  for (const format of ['json', 'ndjson', 'csv', 'markdown', 'text']) {
    const one = run(['report', '-j', '1', '-f', format, '--all', tree.root, capture('busy.pcap')]);
    const two = run(['report', '-j', '2', '-f', format, '--all', tree.root, capture('busy.pcap')]);
    assert.equal(one.code, 3, one.stderr); // the tree holds a capture broken half-way
    assert.equal(two.code, one.code);
    assert.equal(two.stdout, one.stdout, format);
  }
});

test('ids run by input order then first packet, and ids named in details follow the renumbering', () => {
  const tree = buildTree();
  const doc = JSON.parse(run(['report', '-j', '2', '-f', 'json', tree.root, capture('busy.pcap')]).stdout) as Json;
  const ids = doc.connections.map((c: Json) => c.id);
  assert.deepEqual(ids, ids.map((_: number, k: number) => k + 1));
  let expectedInput = 0;
  for (const c of doc.connections) {
    assert.ok(c.inputIndex >= expectedInput, 'inputs in order');
    expectedInput = c.inputIndex;
  }
  const byId = new Map<number, Json>(doc.connections.map((c: Json) => [c.id, c]));
  let checked = 0;
  for (const c of doc.connections) {
    for (const f of c.findings) {
      const m = /connection #(\d+)/.exec(f.detail);
      if (m === null) continue;
      assert.equal(Number(m[1]), c.reusedById, 'the detail names the connection that reused the 4-tuple');
      assert.equal(byId.get(c.reusedById)?.previousId, c.id);
      checked++;
    }
  }
  assert.ok(checked > 0, 'busy.pcap has time-wait-reuse findings');
});

test('stdin is read on the main thread next to the workers', () => {
  const tree = buildTree();
  const bytes = readFileSync(capture('close-client-first.pcap'));
  const one = run(['report', '-j', '1', '-f', 'json', tree.root, '-'], { input: bytes });
  const two = run(['report', '-j', '2', '-f', 'json', tree.root, '-'], { input: bytes });
  assert.equal(two.stdout, one.stdout);
  const doc = JSON.parse(two.stdout);
  assert.equal(doc.inputs.at(-1).file, '-');
  assert.ok(doc.inputs.at(-1).packets > 0);
  assert.equal(run(['report', '-', '-'], { input: bytes }).code, 2, 'stdin twice is a usage error');
});

test('many small inputs, several waiting in each worker at once: the same report as one job', () => {
  // Each worker gets up to four small inputs ahead (parallel.ts, IN_HAND): their records, results
  // and progress must still land under the right input.
  const dir = tempDir();
  const names = readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap')).sort();
  for (let k = 0; k < 48; k++) {
    const name = names[k % names.length];
    const to = join(dir, `${String(k).padStart(2, '0')}-${name}`);
    if (k % 3 === 0) writeFileSync(`${to}.gz`, gzipSync(readFileSync(join(CAPTURES, name))));
    else copyFileSync(join(CAPTURES, name), to);
  }
  const one = run(['report', '-j', '1', '-f', 'json', dir]);
  const two = run(['report', '-j', '2', '-f', 'json', dir]);
  assert.equal(two.code, one.code, two.stderr);
  assert.equal(two.stdout, one.stdout);
  const doc = JSON.parse(two.stdout) as Json;
  assert.equal(doc.inputs.length, 48);
  assert.ok(doc.connections.length > 200, `${doc.connections.length} connections`);
});
