// Robustness run of the capture reader over a directory of third-party captures (default: the 830
// files of tcpdump's test suite in ../shared/corpus/tcpdump). Prints one line per file and totals;
// exits 1 if any file crashed the reader (any exception) or took longer than the time limit.
//
//   node dist/scripts/corpus-run.js [directory] [--timeout-ms N]
//
// Files are read in a worker thread: a timer cannot interrupt a synchronous infinite loop, but the
// main thread can terminate the worker, report the file as timed out, and go on with a new worker.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readCapture, type CaptureProblem } from '../src/capture/index.js';

export const DEFAULT_CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/tcpdump', import.meta.url));
export const DEFAULT_TIMEOUT_MS = 5000;

export type CorpusStatus = 'ok' | 'warning' | 'error' | 'crash' | 'timeout';

export interface CorpusFileResult {
  /** File name within the directory (also the name given to readCapture). */
  file: string;
  status: CorpusStatus;
  packets: number;
  bytes: number;
  /** The error (status 'error'), the first warning (status 'warning'), or null. */
  problem: CaptureProblem | null;
  /** Exception text for 'crash', limit for 'timeout'. */
  crash: string | null;
  ms: number;
}

export interface CorpusSummary {
  dir: string;
  results: CorpusFileResult[];
  fullyRead: number;
  withWarning: number;
  withError: number;
  crashed: number;
  timedOut: number;
}

interface WorkerRequest { path: string; file: string }

/** Reads one file as the worker does; exported for tests that want to run it in-process. */
export async function readCorpusFile(path: string, file: string): Promise<CorpusFileResult> {
  const started = performance.now();
  let lastPacket = 0;
  try {
    const info = await readCapture(path, (record) => {
      // A record pointing outside its buffer or out of order is a reader bug: count it as a crash.
      if (record.offset < 0 || record.offset + record.capturedLength > record.data.length) {
        throw new Error(`packet ${record.packetNumber} points outside its buffer`);
      }
      if (record.packetNumber !== ++lastPacket) throw new Error(`packet number ${record.packetNumber} out of order`);
    }, { file });
    const status: CorpusStatus = info.error !== null ? 'error' : info.warnings.length > 0 ? 'warning' : 'ok';
    return {
      file, status, packets: info.packets, bytes: info.bytesRead,
      problem: info.error ?? info.warnings[0] ?? null, crash: null, ms: performance.now() - started,
    };
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { file, status: 'crash', packets: lastPacket, bytes: 0, problem: null, crash: text, ms: performance.now() - started };
  }
}

/** Runs every regular file of `dir`; null when the directory does not exist. */
export async function runCorpus(
  dir: string,
  options: { timeoutMs?: number; onResult?: (result: CorpusFileResult) => void } = {},
): Promise<CorpusSummary | null> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return null;
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const results: CorpusFileResult[] = [];
  let worker: Worker | null = null;
  try {
    for (const file of names) {
      const path = join(dir, file);
      if (!statSync(path).isFile()) continue;
      worker ??= new Worker(new URL(import.meta.url), { workerData: { corpusWorker: true } });
      const result = await askWorker(worker, { path, file }, timeoutMs);
      if (result.status === 'timeout' || result.status === 'crash') {
        // A crashed or stuck worker may be in any state: start the next file with a fresh one.
        await worker.terminate();
        worker = null;
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await worker?.terminate();
  }
  const count = (status: CorpusStatus): number => results.filter((r) => r.status === status).length;
  return {
    dir, results,
    fullyRead: count('ok'), withWarning: count('warning'), withError: count('error'),
    crashed: count('crash'), timedOut: count('timeout'),
  };
}

function askWorker(worker: Worker, request: WorkerRequest, timeoutMs: number): Promise<CorpusFileResult> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const done = (result: CorpusFileResult): void => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      resolvePromise(result);
    };
    const onMessage = (result: CorpusFileResult): void => done(result);
    const onError = (error: Error): void => done({
      file: request.file, status: 'crash', packets: 0, bytes: 0, problem: null,
      crash: `worker died: ${error.message}`, ms: performance.now() - started,
    });
    const timer = setTimeout(() => done({
      file: request.file, status: 'timeout', packets: 0, bytes: 0, problem: null,
      crash: `no result after ${timeoutMs} ms`, ms: performance.now() - started,
    }), timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(request);
  });
}

export function formatResult(r: CorpusFileResult): string {
  const where = r.problem !== null ? ` ${r.problem.kind} at offset ${r.problem.offset}: ${r.problem.message}` : '';
  const crash = r.crash !== null ? ` ${r.crash}` : '';
  return `${r.status.padEnd(7)} ${r.file}  packets=${r.packets} bytes=${r.bytes}${where}${crash} (${r.ms.toFixed(1)} ms)`;
}

/** Files that hit the time limit or came close enough to exceed it. */
export function slowFiles(s: CorpusSummary, slowMs: number): CorpusFileResult[] {
  return s.results.filter((r) => r.status === 'timeout' || r.ms > slowMs);
}

export function formatSummary(s: CorpusSummary, slowMs: number): string {
  return [
    `files: ${s.results.length}`,
    `fully read: ${s.fullyRead}`,
    `read with warning: ${s.withWarning}`,
    `ended with error: ${s.withError}`,
    `crashed: ${s.crashed}`,
    `timed out or slower than ${slowMs} ms: ${slowFiles(s, slowMs).length}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let dir = DEFAULT_CORPUS_DIR;
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--timeout-ms') timeoutMs = Number(argv[++i]);
    else dir = resolve(argv[i]);
  }
  const summary = await runCorpus(dir, { timeoutMs, onResult: (r) => console.log(formatResult(r)) });
  if (summary === null) {
    console.log(`corpus directory ${dir} not found; nothing to do`);
    return 0;
  }
  console.log(formatSummary(summary, timeoutMs));
  return summary.crashed > 0 || slowFiles(summary, timeoutMs).length > 0 ? 1 : 0;
}

if (!isMainThread && (workerData as { corpusWorker?: boolean } | null)?.corpusWorker === true) {
  parentPort!.on('message', (request: WorkerRequest) => {
    void readCorpusFile(request.path, request.file).then((result) => parentPort!.postMessage(result));
  });
} else if (isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
