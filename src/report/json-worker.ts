// Worker thread: writes the JSON of the batches of records it is sent (json-batch.ts) into the
// batch's output buffer and says how much it wrote.

import { parentPort, workerData } from 'node:worker_threads';
import { BatchFormatter, type BatchJob, type BatchReply, type FormatterSetup } from './json-batch.js';

const port = parentPort;
if (port === null) throw new Error('src/report/json-worker.js runs only as a worker thread');

const formatter = new BatchFormatter(workerData as FormatterSetup);

/**
 * Connections formatted to warm up: V8 compiles the writer as it runs it, and cold, the first few
 * thousand connections take ~5x as long (~90 ms), which the main thread would wait for.
 */
const WARM_UP = 4000;

port.on('message', (job: BatchJob) => {
  let reply: BatchReply;
  try {
    const records = Buffer.from(job.records, 0, job.length);
    const idOffsets = new Float64Array(job.idOffsets);
    if (job.warmUp) {
      let into: Buffer | null = null;
      for (let n = 0; n < WARM_UP; n += job.count) into = formatter.format(records, job.count, idOffsets, false, into).bytes;
      reply = { type: 'ready' };
    } else {
      const { bytes, length } = formatter.format(records, job.count, idOffsets, job.first, job.out && Buffer.from(job.out));
      reply = { type: 'done', seq: job.seq, out: bytes.buffer as SharedArrayBuffer, outLength: length };
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { type: 'failed', seq: job.seq, message: e.message, stack: e.stack ?? '' };
  }
  port.postMessage(reply);
});
