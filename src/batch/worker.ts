// Worker thread: analyses the inputs it is sent, one at a time, with the ordinary pipeline. The
// segment logs are dropped (keepSegments false): batch reports do not draw ladders. Each input's
// verdicts go into a VerdictStore of this thread, as compact records (src/store/record.ts) spilled
// to its own file, which the coordinator's store adopts when the input is done: the coordinator
// neither copies nor writes them. (Streamed to it instead, on the benchmark's two 3 M-packet
// captures, the coordinator's copying and writing took a core's time that the two workers needed:
// the pool took 8.8 s against 8.1 s without them.)

import { parentPort } from 'node:worker_threads';
import { analyzeInput } from '../pipeline/index.js';
import { SpillFile } from '../store/spill.js';
import { VerdictStore } from '../store/verdict-store.js';
import { recordKey, type AnalyzeJob, type WorkerMessage } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/batch/worker.js runs only as a worker thread');

const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

port.on('message', (job: AnalyzeJob) => {
  // The coordinator opened the spill file and closes it (see VerdictStore.export): not closed here.
  const store = new VerdictStore({ spillFile: SpillFile.adopt(job.spill) });
  analyzeInput(job.file, job.index, (v) => store.add(v, recordKey(job.index, v.id)), {
    close: job.close,
    flow: job.flow,
    keepSegments: false,
    firstId: 1,
    reuseVerdicts: true,
    onProgress: (p) => post({ type: 'progress', index: job.index, sourceBytes: p.sourceBytes }),
  }).then((result) => {
    post({ type: 'done', index: job.index, result, part: store.export() });
  }, (error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', index: job.index, message: e.message, stack: e.stack ?? '' });
  });
});
