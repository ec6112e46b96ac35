// Runs jobs (read one capture, or check one input through the whole pipeline) in a worker thread
// under a time limit and a memory bound, so that a hang or a blow-up is a result, not a stuck run.
//
// A timer cannot interrupt a synchronous infinite loop, but the main thread can terminate the
// worker, report the job as timed out, and go on with a new worker. Memory is bounded twice: the
// worker's V8 heap by resourceLimits (it dies with ERR_WORKER_OUT_OF_MEMORY past it), and the whole
// process's resident set by a watchdog here, which also sees Buffers (outside the V8 heap: a frame
// window grown to gigabytes would not show in the heap).

import { Worker } from 'node:worker_threads';
import type { CorpusFileResult } from './corpus-run.js';
import type { CheckRequest, CheckResult } from './pipeline-check.js';

export type GuardedJob =
  | { mode: 'reader'; path: string; file: string }
  | { mode: 'pipeline'; request: CheckRequest };

export type GuardedAnswer<J extends GuardedJob> = J extends { mode: 'reader' } ? CorpusFileResult : CheckResult;

export interface GuardLimits {
  timeoutMs: number;
  /** V8 old-generation limit of the worker, MiB. */
  heapMb: number;
  /** Resident set of the whole process, MiB, above what it was when the worker started. */
  rssGrowthMb: number;
}

export const DEFAULT_LIMITS: GuardLimits = { timeoutMs: 5000, heapMb: 512, rssGrowthMb: 1024 };

export type GuardedOutcome<R> =
  | { kind: 'done'; result: R; ms: number; peakRssGrowthMb: number }
  | { kind: 'timeout' | 'memory' | 'died'; message: string; ms: number; peakRssGrowthMb: number };

const WATCH_INTERVAL_MS = 25;

/** One worker thread, reused from job to job until a job kills it. One job at a time. */
export class GuardedWorker {
  private worker: Worker | null = null;

  constructor(private readonly limits: GuardLimits = DEFAULT_LIMITS) {}

  run<J extends GuardedJob>(job: J): Promise<GuardedOutcome<GuardedAnswer<J>>> {
    const worker = this.worker ??= this.start();
    const baseline = process.memoryUsage.rss();
    let peak = 0;
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (outcome: GuardedOutcome<GuardedAnswer<J>>): void => {
        clearTimeout(timer);
        clearInterval(watch);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (outcome.kind !== 'done') {
          // A stuck or broken worker may be in any state: the next job gets a fresh one.
          this.worker = null;
          void worker.terminate();
        }
        resolve(outcome);
      };
      const elapsed = (): number => performance.now() - started;
      const mb = (): number => Math.round(peak / (1024 * 1024));
      const onMessage = (result: GuardedAnswer<J>): void => done({ kind: 'done', result, ms: elapsed(), peakRssGrowthMb: mb() });
      const onError = (error: Error & { code?: string }): void => done({
        kind: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'died',
        message: `worker died: ${error.code ?? error.name}: ${error.message}`, ms: elapsed(), peakRssGrowthMb: mb(),
      });
      const onExit = (code: number): void => done({ kind: 'died', message: `worker exited with code ${code}`, ms: elapsed(), peakRssGrowthMb: mb() });
      const timer = setTimeout(() => done({
        kind: 'timeout', message: `no result after ${this.limits.timeoutMs} ms`, ms: elapsed(), peakRssGrowthMb: mb(),
      }), this.limits.timeoutMs);
      const watch = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss() - baseline);
        if (peak > this.limits.rssGrowthMb * 1024 * 1024) {
          done({ kind: 'memory', message: `resident set grew by ${mb()} MiB (bound ${this.limits.rssGrowthMb} MiB)`, ms: elapsed(), peakRssGrowthMb: mb() });
        }
      }, WATCH_INTERVAL_MS);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./guarded-worker.js', import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: this.limits.heapMb },
    });
    // Between jobs nobody listens: a worker that dies then is replaced before the next job.
    worker.on('error', () => {});
    worker.on('exit', () => { if (this.worker === worker) this.worker = null; });
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
