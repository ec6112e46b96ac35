// Worker thread: analyses the inputs it is sent, one at a time, with the ordinary pipeline. The
// segment logs are dropped (keepSegments false): batch reports do not draw ladders. Verdicts go
// back as compact records (src/store/record.ts), the form the coordinator's VerdictStore keeps.

import { parentPort } from 'node:worker_threads';
import { analyzeInput } from '../pipeline/index.js';
import { encodeVerdict, RecordWriter } from '../store/record.js';
import { RECORD_BATCH, recordKey, type AnalyzeJob, type WorkerMessage } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/batch/worker.js runs only as a worker thread');

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

// Inputs are analysed one at a time, in the order they come; the coordinator may send the next
// ones before this one is done (parallel.ts, IN_HAND).
const queue: AnalyzeJob[] = [];
let busy = false;
port.on('message', (job: AnalyzeJob) => {
  queue.push(job);
  if (!busy) void runQueue();
});

async function runQueue(): Promise<void> {
  busy = true;
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) await run(job);
  busy = false;
}

/** One writer for every input: a small input's records go out as a copy of their own size. */
const writer = new RecordWriter(RECORD_BATCH + 64 * 1024);
/** Records fewer bytes than this are copied into their message; more, and the buffer is handed over. */
const COPY_BELOW = 64 * 1024;

function flush(index: number): void {
  const n = writer.length;
  if (n === 0) return;
  let records: Uint8Array;
  if (n < COPY_BELOW) {
    records = new Uint8Array(n);
    records.set(writer.buf.subarray(0, n));
    writer.length = 0;
  } else {
    records = writer.take();
  }
  post({ type: 'records', index, records }, [records.buffer as ArrayBuffer]);
}

function run(job: AnalyzeJob): Promise<void> {
  return analyzeInput(job.file, job.index, (v) => {
    encodeVerdict(writer, v, recordKey(job.index, v.id));
    if (writer.length >= RECORD_BATCH) flush(job.index);
  }, {
    close: job.close,
    flow: job.flow,
    keepSegments: false,
    firstId: 1,
    reuseVerdicts: true,
    onProgress: (p) => post({ type: 'progress', index: job.index, sourceBytes: p.sourceBytes }),
  }).then((result) => {
    flush(job.index);
    post({ type: 'done', index: job.index, result });
  }, (error: unknown) => {
    writer.length = 0;
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', index: job.index, message: e.message, stack: e.stack ?? '' });
  });
}
