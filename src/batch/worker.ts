// Worker thread: analyses the inputs it is sent, one at a time, with the ordinary pipeline. The
// segment logs are dropped (keepSegments false): batch reports do not draw ladders, and the logs
// are most of a verdict's size.

import { parentPort } from 'node:worker_threads';
import type { Verdict } from '../close/index.js';
import { analyzeInput } from '../pipeline/index.js';
import { VERDICT_BATCH, type AnalyzeJob, type WorkerMessage } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/batch/worker.js runs only as a worker thread');

const post = (m: WorkerMessage): void => port.postMessage(m);

port.on('message', (job: AnalyzeJob) => {
  let batch: Verdict[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    post({ type: 'verdicts', index: job.index, verdicts: batch });
    batch = [];
  };
  analyzeInput(job.file, job.index, (v) => {
    batch.push(v);
    if (batch.length >= VERDICT_BATCH) flush();
  }, {
    close: job.close,
    flow: job.flow,
    keepSegments: false,
    firstId: 1,
    onProgress: (p) => post({ type: 'progress', index: job.index, sourceBytes: p.sourceBytes }),
  }).then((result) => {
    flush();
    post({ type: 'done', index: job.index, result });
  }, (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', index: job.index, message: e.message, stack: e.stack ?? '' });
  });
});
