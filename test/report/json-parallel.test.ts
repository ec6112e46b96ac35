// The JSON and NDJSON connections written by worker threads (json-parallel.ts) must be the bytes one
// thread writes, whatever the batch size; a closed sink stops the writing early; a worker's failure
// is an error, not a hang. The parallel path is forced here on the captures: the CLI takes it only
// for large reports.

import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeBatch, resolveInputs } from '../../src/batch/index.js';
import { DEFAULT_CLOSE_OPTIONS } from '../../src/close/index.js';
import { WorkerFailure } from '../../src/common/worker-failure.js';
import { writeJsonReport, writeNdjsonReport, type ConnectionWriteOptions } from '../../src/report/json.js';
import { writeConnectionsParallel } from '../../src/report/json-parallel.js';
import { buildModel, type ReportModel } from '../../src/report/model.js';
import type { Sink } from '../../src/report/sink.js';
import { H_CHANGES, H_LENGTH } from '../../src/store/record.js';
import type { VerdictStore } from '../../src/store/verdict-store.js';
import { CAPTURES, tempDir } from '../batch/fixtures.js';

/** Every capture of captures/ (copied first), analysed as separate inputs: ids are shifted. */
async function capturesModel(): Promise<ReportModel> {
  const dir = tempDir('finscope-json-parallel-');
  for (const f of readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f))) copyFileSync(join(CAPTURES, f), join(dir, f));
  const analysis = await analyzeBatch(await resolveInputs([dir]), { close: DEFAULT_CLOSE_OPTIONS, flow: {}, jobs: 2, merge: false });
  return buildModel(analysis, {
    os: 'linux', timeWaitUs: DEFAULT_CLOSE_OPTIONS.timeWaitUs, finWait2Us: DEFAULT_CLOSE_OPTIONS.finWait2LimitUs,
    closeWaitUs: DEFAULT_CLOSE_OPTIONS.closeWaitLimitUs, at: null, host: null, portRange: [32768, 60999],
    maxConnections: 500_000, idleUs: 300_000_000, zeekBoundaries: false, merge: false, filter: null,
  });
}

/** A sink that keeps what it is given, and goes away (like `| head`) after `closeAfter` bytes. */
class MemorySink {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  writesAfterClose = 0;
  isClosed = false;
  constructor(private readonly closeAfter = Infinity) {}
  async write(text: string): Promise<void> { await this.writeBytes(Buffer.from(text)); }
  async writeBytes(b: Uint8Array): Promise<void> {
    if (this.isClosed) { this.writesAfterClose++; return; }
    this.chunks.push(Buffer.from(b));
    this.bytes += b.length;
    if (this.bytes >= this.closeAfter) this.isClosed = true;
  }
  text(): string { return Buffer.concat(this.chunks).toString('utf8'); }
}

async function written(write: (sink: Sink, model: ReportModel, options: ConnectionWriteOptions) => Promise<void>, model: ReportModel, options: ConnectionWriteOptions): Promise<string> {
  const sink = new MemorySink();
  await write(sink as unknown as Sink, model, options);
  return sink.text();
}

test('JSON and NDJSON written by worker threads are the bytes one thread writes', async () => {
  const model = await capturesModel();
  assert.ok(model.verdicts.length > 500);
  for (const [name, write] of [['json', writeJsonReport], ['ndjson', writeNdjsonReport]] as const) {
    const serial = await written(write, model, { threads: 1 });
    if (name === 'json') assert.ok(JSON.parse(serial).connections.length === model.verdicts.length);
    // 300 bytes: a record a batch, every buffer grown; 4 KB: a few records each; the default.
    // Workers only, or this thread too (on the captures it formats most batches while the workers start).
    for (const batchBytes of [300, 4096, undefined]) {
      for (const threads of [2, 3]) {
        for (const formatHere of [false, true]) {
          const parallel = await written(write, model, { threads, parallelFrom: 0, batchBytes, formatHere });
          assert.ok(parallel === serial, `${name}, ${threads} threads, batches of ${batchBytes ?? 'default'} bytes, formatHere ${formatHere}: not the same bytes`);
        }
      }
    }
  }
});

test('a sink that closes stops the parallel writer early', async () => {
  const model = await capturesModel();
  const whole = (await written(writeNdjsonReport, model, { threads: 1 })).length;
  for (const formatHere of [false, true]) {
    const sink = new MemorySink(10_000);
    await writeNdjsonReport(sink as unknown as Sink, model, { threads: 2, parallelFrom: 0, batchBytes: 2048, formatHere });
    assert.ok(sink.isClosed);
    // What was out when it closed is dropped, not written: nothing past the window of batches.
    assert.ok(sink.bytes < 10_000 + 8 * 16_384, `${sink.bytes} bytes written of ${whole}`);
    assert.ok(sink.writesAfterClose <= 6, `${sink.writesAfterClose} writes after the sink closed`);
  }
});

test('a worker that fails is an error, not a hang', async () => {
  // One record whose counts point far past its end: the worker's read of it throws.
  const record = Buffer.alloc(512);
  record.writeUInt32LE(record.length, H_LENGTH);
  record.writeUInt16LE(60_000, H_CHANGES);
  let given = false;
  const cursor = { buf: record, off: 0, next: () => !given && (given = true) };
  const store = { cursor: () => cursor, idOffsetOf: () => 0 } as unknown as VerdictStore;
  const sink = new MemorySink();
  await assert.rejects(
    writeConnectionsParallel(store, { files: ['x.pcap'], separators: { first: '', between: '', after: '\n' } }, sink, { workers: 1, formatHere: false, batchBytes: 4096 }),
    (e: Error) => e instanceof WorkerFailure && /^while writing the connections: /.test(e.message) && e.workerStack.length > 0,
  );
});
