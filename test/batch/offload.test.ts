// One input on two threads (src/batch/offload.ts): the main thread judges what the worker has no
// room for and everything a failed worker had, and the report is the one a single thread writes.
// (The packing itself: test/flow/connection-codec.test.ts.)

import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from '../../bench/generate.js';
import { CloseOffload, START_AFTER } from '../../src/batch/offload.js';
import { SPLIT_FROM } from '../../src/batch/parallel.js';
import { DEFAULT_CLOSE_OPTIONS } from '../../src/close/index.js';
import type { FlowConnection } from '../../src/flow/connection.js';
import { analyzeInput } from '../../src/pipeline/index.js';
import { VerdictStore } from '../../src/store/verdict-store.js';
import { capture, run, tempDir } from './fixtures.js';

/** The store's verdicts in key order, as text. */
function storeTexts(store: VerdictStore): string[] {
  return [...store].map((v) => JSON.stringify(v));
}

test('the main thread judges what the worker has no room for, and the store ends as with one thread', async () => {
  const file = capture('busy.pcap');
  const plain = new VerdictStore();
  await analyzeInput(file, 0, (v) => plain.add(v), { reuseVerdicts: true, firstId: 1 });

  const store = new VerdictStore();
  // Batches of ~10 connections, one out at a time: a capture read in one go finishes most of its
  // connections in one burst, so many must be judged here.
  const offload = new CloseOffload(0, DEFAULT_CLOSE_OPTIONS, store, { batchWords: 2048, slots: 1, startAfter: 0 });
  await analyzeInput(file, 0, (v) => offload.keep(v), { reuseVerdicts: true, firstId: 1, offload });
  await offload.finish();
  assert.ok(offload.offloaded > 0 && offload.judgedHere > 0, `${offload.offloaded} offloaded, ${offload.judgedHere} here`);
  assert.equal(offload.offloaded + offload.judgedHere, plain.length);
  assert.deepEqual(storeTexts(store), storeTexts(plain));
  // The capture-host votes counted on the worker add up to those counted here.
  assert.deepEqual(store.hostVotesByInput(), plain.hostVotesByInput());
});

test('at the end of the input the main thread waits for the worker rather than judging the live connections itself', async () => {
  // 10 s of the benchmark's synthetic traffic: most of its connections are still live (in
  // TIME_WAIT) when it ends.
  const file = join(tempDir('finscope-offload-'), 'end.pcap');
  generate({ packets: 50_000, link: 'ethernet', rate: 500, seed: 5, snaplen: 160, out: file });
  const plain = new VerdictStore();
  const result = await analyzeInput(file, 0, (v) => plain.add(v), { reuseVerdicts: true, firstId: 1 });
  const run = async (wait: boolean): Promise<CloseOffload> => {
    const store = new VerdictStore();
    const offload = new CloseOffload(0, DEFAULT_CLOSE_OPTIONS, store, { batchWords: 2048, slots: 2, startAfter: 0 });
    const o = { offer: (c: FlowConnection): boolean => offload.offer(c), waitForRoom: () => (wait ? offload.waitForRoom() : null) };
    await analyzeInput(file, 0, (v) => offload.keep(v), { reuseVerdicts: true, firstId: 1, offload: o });
    await offload.finish();
    assert.deepEqual(storeTexts(store), storeTexts(plain));
    return offload;
  };
  const hurried = await run(false);
  const patient = await run(true);
  assert.ok(result.flow.connections > 2000, `${result.flow.connections} connections`);
  assert.ok(hurried.judgedHere > result.flow.connections / 2, `without waiting, ${hurried.judgedHere} judged here`);
  assert.ok(patient.judgedHere < hurried.judgedHere / 4, `waiting, ${patient.judgedHere} judged here against ${hurried.judgedHere}`);
});

test('the worker starts only after the first START_AFTER connections, judged here', async () => {
  // A capture of few connections never starts it; one of many hands it all but the first ones.
  const dir = tempDir('finscope-offload-');
  const many = join(dir, 'many.pcap');
  generate({ packets: 60_000, link: 'ethernet', rate: 500, seed: 7, snaplen: 160, out: many });
  for (const [file, starts] of [[capture('busy.pcap'), false], [many, true]] as const) {
    const plain = new VerdictStore();
    const result = await analyzeInput(file, 0, (v) => plain.add(v), { reuseVerdicts: true, firstId: 1 });
    const store = new VerdictStore();
    const offload = new CloseOffload(0, DEFAULT_CLOSE_OPTIONS, store);
    await analyzeInput(file, 0, (v) => offload.keep(v), { reuseVerdicts: true, firstId: 1, offload });
    await offload.finish();
    assert.deepEqual(storeTexts(store), storeTexts(plain));
    const n = result.flow.connections;
    assert.equal(n > START_AFTER, starts, `${file}: ${n} connections`);
    if (!starts) {
      assert.equal(offload.started, false, `${n} connections`);
      assert.equal(offload.judgedHere, n);
    } else {
      assert.equal(offload.started, true, `${n} connections`);
      assert.ok(offload.judgedHere >= START_AFTER && offload.offloaded > 0, `${offload.judgedHere} here, ${offload.offloaded} offloaded`);
    }
  }
});

test('a close-stage worker that dies loses nothing: the main thread judges what it had', async () => {
  const file = capture('busy.pcap');
  const plain = new VerdictStore();
  await analyzeInput(file, 0, (v) => plain.add(v), { reuseVerdicts: true, firstId: 1 });
  const worker = (o: CloseOffload): { terminate(): Promise<number> } => (o as unknown as { worker: { terminate(): Promise<number> } }).worker;

  // Killed with batches out: they are judged here when it is found dead.
  const store = new VerdictStore();
  const offload = new CloseOffload(0, DEFAULT_CLOSE_OPTIONS, store, { batchWords: 2048, slots: 3, startAfter: 0 });
  let offers = 0;
  const killing = {
    offer: (c: FlowConnection): boolean => {
      if (++offers === 40) void worker(offload).terminate();
      return offload.offer(c);
    },
    waitForRoom: () => offload.waitForRoom(),
  };
  await analyzeInput(file, 0, (v) => offload.keep(v), { reuseVerdicts: true, firstId: 1, offload: killing });
  await offload.finish();
  assert.match(String(offload.workerFailure), /exited/);
  assert.deepEqual(storeTexts(store), storeTexts(plain));

  // Dead before the first connection: everything is judged here.
  const late = new VerdictStore();
  const dead = new CloseOffload(0, DEFAULT_CLOSE_OPTIONS, late, { startAfter: 0 });
  await worker(dead).terminate();
  await new Promise((resolve) => setImmediate(resolve));
  await analyzeInput(file, 0, (v) => dead.keep(v), { reuseVerdicts: true, firstId: 1, offload: dead });
  await dead.finish();
  assert.equal(dead.offloaded, 0);
  assert.deepEqual(storeTexts(late), storeTexts(plain));
});

test('one input with --jobs 2 (two threads) gives the report --jobs 1 gives', () => {
  // Big enough to be split (SPLIT_FROM): the deterministic synthetic capture of the benchmark, every
  // finding in it, several link types.
  const dir = tempDir('finscope-offload-');
  const big = join(dir, 'synthetic.pcap');
  generate({ packets: 170_000, link: 'mix', rate: 500, seed: 3, snaplen: 160, out: big });
  assert.ok(statSync(big).size >= SPLIT_FROM, `${statSync(big).size} bytes`);
  for (const format of ['json', 'text']) {
    const one = run(['report', '-j', '1', '-f', format, big]);
    const two = run(['report', '-j', '2', '-f', format, big]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, one.stdout, format);
  }
  // --merge: one flow table over the inputs, its connections judged beside it; verdicts of two
  // inputs, each counted for its own (the per-input summaries).
  for (const format of ['json', 'text']) {
    const args = ['report', '--merge', '-f', format, big, capture('busy.pcap')];
    const one = run([...args, '-j', '1']);
    const two = run([...args, '-j', '2']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.stdout, one.stdout, `--merge ${format}`);
  }
  // stdin is split whatever its size: a small capture, gzipped, read on the main thread.
  const gz = readFileSync(capture('close-client-first.pcap.gz'));
  const one = run(['report', '-j', '1', '-f', 'json', '-'], { input: gz });
  const two = run(['report', '-j', '2', '-f', 'json', '-'], { input: gz });
  assert.equal(two.stdout, one.stdout);
  assert.ok(JSON.parse(two.stdout).connections.length > 0);
});
