// The worker thread of scripts/guarded.ts: runs one job at a time and posts its result back.

import { parentPort } from 'node:worker_threads';
import { readCorpusFile } from './corpus-run.js';
import type { GuardedJob } from './guarded.js';
import { checkInput } from './pipeline-check.js';

const port = parentPort;
if (port === null) throw new Error('scripts/guarded-worker.js runs only as a worker thread');

port.on('message', (job: GuardedJob) => {
  const answer = job.mode === 'reader' ? readCorpusFile(job.path, job.file) : checkInput(job.request);
  void answer.then((result) => port.postMessage(result));
});
