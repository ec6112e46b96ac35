// Inputs analysed side by side: a pool of worker threads, each taking the next input in order
// when it finishes one. stdin is read on the main thread (a worker's process.stdin is not the
// terminal's). With one job everything runs on the main thread; one input (or stdin alone) with
// more jobs is read on the main thread and judged by a worker beside it (offload.ts). Same
// pipeline, same renumbering, hence the same report.

import { Worker } from 'node:worker_threads';
import type { CloseOptions } from '../close/index.js';
import { WorkerFailure } from '../common/worker-failure.js';
import type { FlowOptions } from '../flow/index.js';
import { analyzeInput, type InputResult } from '../pipeline/index.js';
import { VerdictStore } from '../store/verdict-store.js';
import { CloseOffload } from './offload.js';
import { recordKey, type AnalyzeJob, type WorkerMessage } from './protocol.js';
import { renumberStore } from './renumber.js';
import type { InputSpec } from './types.js';

interface CollectedInput {
  result: InputResult;
}

export interface ProgressEvent {
  /** Input whose bytes moved, or whose analysis finished. */
  index: number;
  /** Source bytes read so far for that input. */
  sourceBytes: number;
  done: boolean;
}

export interface ParallelOptions {
  close: CloseOptions;
  flow: Partial<FlowOptions>;
  jobs: number;
  /**
   * With more than one job and one input at a time: an input at least this many bytes (stdin and
   * other streams always) has its close stage on a worker thread. Default SPLIT_FROM.
   */
  splitFrom?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ParallelResult {
  inputs: InputResult[];
  /** In id order, numbered as one sequential run over the inputs numbers them. */
  verdicts: VerdictStore;
}

export { WorkerFailure };

/**
 * Inputs from this size have their close stage on a worker thread (with more than one job). The
 * worker costs ~0.2 s to start and saves ~0.6 s per 100 MB of capture: a 10 MB capture took
 * 1.15 s split against 0.95 s on one thread.
 */
export const SPLIT_FROM = 16 * 1024 * 1024;

/**
 * Analyses one input on this thread; with `split`, its close stage runs on a worker thread beside
 * it (offload.ts).
 */
async function analyzeHere(spec: InputSpec, index: number, options: ParallelOptions, store: VerdictStore, into: CollectedInput[],
  split = false): Promise<void> {
  const offload = split ? new CloseOffload(index, options.close, store) : undefined;
  let result: InputResult;
  try {
    result = await analyzeInput(spec.path, index, offload !== undefined ? (v) => offload.keep(v) : (v) => store.add(v, recordKey(index, v.id)), {
      close: options.close, flow: options.flow, keepSegments: false, firstId: 1, signal: options.signal, reuseVerdicts: true,
      offload,
      onProgress: (p) => options.onProgress?.({ index, sourceBytes: p.sourceBytes, done: false }),
    });
  } finally {
    await offload?.finish();
  }
  into[index] = { result };
  options.onProgress?.({ index, sourceBytes: result.info.sourceBytesRead, done: true });
}

export async function analyzeParallel(specs: InputSpec[], options: ParallelOptions): Promise<ParallelResult> {
  const collected: CollectedInput[] = new Array(specs.length);
  // Every input's verdicts, as compact records keyed (input, id within the input).
  const store = new VerdictStore();
  const jobs = Math.max(1, Math.min(options.jobs, specs.filter((s) => s.path !== '-').length));
  if (jobs <= 1) {
    // One input (or only stdin) and more than one job: its flow and close stages on two threads,
    // unless it is small enough that starting the worker would cost more than it saves.
    const splitFrom = options.splitFrom ?? SPLIT_FROM;
    for (let i = 0; i < specs.length && options.signal?.aborted !== true; i++) {
      const size = specs[i].size;
      await analyzeHere(specs[i], i, options, store, collected, options.jobs > 1 && (size === null || size >= splitFrom));
    }
  } else {
    await runPool(specs, options, jobs, store, collected);
  }
  // An abort leaves later inputs unread; the report covers the ones that were.
  const done = collected.filter((c) => c !== undefined);
  renumberStore(store, done.map((c) => c.result), specs.length);
  return { inputs: done.map((c) => c.result), verdicts: store };
}

/**
 * Inputs a worker may have in hand: the one it analyses and the next ones, waiting in its own
 * queue so that it never waits for this thread between two small inputs. Only inputs smaller than
 * QUEUE_BELOW wait there: a large one queued behind another could leave the other worker idle
 * at the end. Over 2000 captures of a few kilobytes, the workers waited half their time.
 */
const IN_HAND = 4;
const QUEUE_BELOW = 4 * 1024 * 1024;
const isSmall = (spec: InputSpec): boolean => spec.size !== null && spec.size < QUEUE_BELOW;

function runPool(specs: InputSpec[], options: ParallelOptions, jobs: number, store: VerdictStore, collected: CollectedInput[]): Promise<void> {
  const queue = specs.map((_, i) => i).filter((i) => specs[i].path !== '-');
  const local = specs.map((_, i) => i).filter((i) => specs[i].path === '-');
  const workers: Worker[] = [];
  let failure: Error | null = null;

  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let localDone = local.length === 0;
    const finishIfIdle = (): void => {
      if (running > 0 || !localDone) return;
      for (const w of workers) void w.terminate();
      if (failure !== null) reject(failure);
      else resolve();
    };
    const fail = (error: Error): void => {
      if (failure === null) failure = error;
      queue.length = 0;
      for (const w of workers) void w.terminate();
    };
    const onAbort = (): void => { queue.length = 0; };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    /** Sends `worker` inputs until it has one, or up to IN_HAND while the next ones are small. */
    const fill = (worker: Worker, inHand: number): number => {
      while (queue.length > 0 && (inHand === 0 || (inHand < IN_HAND && isSmall(specs[queue[0]])))) {
        const index = queue.shift()!;
        const job: AnalyzeJob = { type: 'job', index, file: specs[index].path, close: options.close, flow: options.flow };
        worker.postMessage(job);
        inHand++;
      }
      return inHand;
    };

    for (let k = 0; k < jobs; k++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      workers.push(worker);
      /** Inputs sent to it and not done. */
      let inHand = 0;
      const stopped = (): void => {
        if (inHand === 0) return;
        inHand = 0;
        running--;
        finishIfIdle();
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'records') {
          store.addRecords(Buffer.from(m.records.buffer, m.records.byteOffset, m.records.byteLength));
        } else if (m.type === 'progress') {
          options.onProgress?.({ index: m.index, sourceBytes: m.sourceBytes, done: false });
        } else if (m.type === 'done') {
          if (inHand === 0) return;
          collected[m.index] = { result: m.result };
          options.onProgress?.({ index: m.index, sourceBytes: m.result.info.sourceBytesRead, done: true });
          inHand = fill(worker, inHand - 1);
          if (inHand === 0) { running--; void worker.terminate(); finishIfIdle(); }
        } else {
          fail(new WorkerFailure(`while analysing ${specs[m.index].path}: ${m.message}`, m.stack));
          stopped();
        }
      });
      worker.on('error', (error) => {
        fail(error);
        stopped();
      });
      worker.on('exit', () => {
        // A worker that dies mid-input (out of memory, killed) without an 'error' event.
        if (inHand > 0) fail(new Error('a worker thread exited while analysing an input'));
        stopped();
      });
      inHand = fill(worker, 0);
      if (inHand > 0) running++;
      else void worker.terminate();
    }

    (async () => {
      for (const i of local) {
        if (options.signal?.aborted === true || failure !== null) break;
        await analyzeHere(specs[i], i, options, store, collected);
      }
    })().catch((error: unknown) => fail(error as Error)).finally(() => {
      localDone = true;
      finishIfIdle();
    });
    finishIfIdle();
  });
}
