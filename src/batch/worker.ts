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

port.on('message', (job: AnalyzeJob) => {
  const writer = new RecordWriter(RECORD_BATCH + 64 * 1024);
  const flush = (): void => {
    if (writer.length === 0) return;
    const records = writer.take();
    post({ type: 'records', index: job.index, records }, [records.buffer as ArrayBuffer]);
  };
  analyzeInput(job.file, job.index, (v) => {
    encodeVerdict(writer, v, recordKey(job.index, v.id));
    if (writer.length >= RECORD_BATCH) flush();
  }, {
    close: job.close,
    flow: job.flow,
    keepSegments: false,
    firstId: 1,
    reuseVerdicts: true,
    onProgress: (p) => post({ type: 'progress', index: job.index, sourceBytes: p.sourceBytes }),
  }).then((result) => {
    flush();
    post({ type: 'done', index: job.index, result });
  }, (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', index: job.index, message: e.message, stack: e.stack ?? '' });
  });
});
