// One input with --jobs 2 runs its close stage on a worker thread (src/batch/split.ts): the report
// is the one --jobs 1 gives, byte for byte, for files and for stdin.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { recordKey, WorkerFailure } from '../../src/batch/protocol.js';
import { analyzeSplit } from '../../src/batch/split.js';
import { DEFAULT_CLOSE_OPTIONS, type CloseOptions } from '../../src/close/index.js';
import { analyzeInput } from '../../src/pipeline/index.js';
import { VerdictStore } from '../../src/store/verdict-store.js';
import { capture, run } from './fixtures.js';

test('a lone input gives the same report with its close stage on a worker', () => {
  for (const name of ['busy.pcap', 'port-pressure-tw-reuse.pcap', 'lost-final-ack-server.pcap']) {
    for (const format of ['json', 'csv', 'text']) {
      const one = run(['report', '-j', '1', '-f', format, capture(name)]);
      const two = run(['report', '-j', '2', '-f', format, capture(name)]);
      assert.equal(one.code, 0, one.stderr);
      assert.equal(two.code, 0, two.stderr);
      assert.equal(two.stdout, one.stdout, `${name} ${format}`);
    }
  }
});

test('stdin alone is split too, and gives the same report', () => {
  const bytes = readFileSync(capture('busy.pcap'));
  const one = run(['report', '-j', '1', '-f', 'ndjson', '-'], { input: bytes });
  const two = run(['report', '-j', '2', '-f', 'ndjson', '-'], { input: bytes });
  assert.equal(two.code, 0, two.stderr);
  assert.equal(two.stdout, one.stdout);
  assert.equal(two.stdout.trim().split('\n').length, 600);
});

test('a broken input split across two threads still reports what was read before the damage', () => {
  const one = run(['report', '-j', '1', '-f', 'json', capture('truncated.pcap')]);
  const two = run(['report', '-j', '2', '-f', 'json', capture('truncated.pcap')]);
  assert.equal(two.code, one.code);
  assert.equal(two.stdout, one.stdout);
  assert.ok(JSON.parse(two.stdout).connections.length > 0);
});

test('small buffers: the flow stage waits for the worker, and the verdicts are the same', async () => {
  const file = capture('busy.pcap');
  const here = new VerdictStore();
  const alone = await analyzeInput(file, 0, (v) => here.add(v, recordKey(0, v.id)));
  const split = new VerdictStore();
  // ~10 connections a buffer: 60 buffers, at most 4 in flight, so the main thread waits many times.
  const result = await analyzeSplit(file, 0, { close: DEFAULT_CLOSE_OPTIONS, flow: {}, jobs: 2 }, split, 2048);
  assert.deepEqual(result.flow, alone.flow);
  assert.equal(split.length, 600);
  assert.deepEqual(JSON.stringify([...split]), JSON.stringify([...here]));
});

test('a close worker that fails is an error of the run, not a hang', async () => {
  // A BigInt TIME_WAIT passes the flow stage's comparisons but throws in the close stage's
  // arithmetic: the worker fails on its first connection while the main thread goes on reading.
  const close = { ...DEFAULT_CLOSE_OPTIONS, timeWaitUs: 60_000_000n } as unknown as CloseOptions;
  const started = Date.now();
  await assert.rejects(
    analyzeSplit(capture('busy.pcap'), 0, { close, flow: {}, jobs: 2 }, new VerdictStore(), 2048),
    (e: unknown) => e instanceof WorkerFailure && /busy\.pcap/.test(e.message) && e.workerStack.length > 0,
  );
  assert.ok(Date.now() - started < 20_000, 'it ends promptly');
});
