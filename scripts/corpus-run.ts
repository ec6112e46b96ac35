// Robustness run over directories of captures: by default the 830 files of tcpdump's test suite in
// ../shared/corpus/tcpdump and every capture under captures/, each taken through the whole pipeline
// (reader, decoder, flow table, close stage, and every report format; see scripts/pipeline-check.ts).
// Prints one line per file and totals per directory; exits 1 if any file crashed (an exception, or
// a violated invariant), hung past the time limit, or grew memory past the bound.
//
//   node dist/scripts/corpus-run.js [directory...] [--reader-only] [--timeout-ms N]
//
// --reader-only runs only the capture reader, as the first version of this script did. Each file is
// run in a worker thread (scripts/guarded.ts): a hang or a memory blow-up is a result, not a stuck run.

import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCapture, type CaptureProblem } from '../src/capture/index.js';
import { DEFAULT_LIMITS, GuardedWorker, type GuardedOutcome } from './guarded.js';

export const DEFAULT_CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpus/tcpdump', import.meta.url));
/** The repository's own captures (from the build directory: dist/scripts -> captures). */
export const CAPTURES_DIR = fileURLToPath(new URL('../../captures', import.meta.url));
export const DEFAULT_TIMEOUT_MS = 5000;

export type CorpusStatus = 'ok' | 'warning' | 'error' | 'crash' | 'timeout' | 'memory';
export type CorpusMode = 'reader' | 'pipeline';

export interface CorpusFileResult {
  /** File name relative to the directory run. */
  file: string;
  status: CorpusStatus;
  packets: number;
  bytes: number;
  /** Connections reported (pipeline mode; 0 in reader mode). */
  connections?: number;
  /** The error (status 'error'), the first warning (status 'warning'), or null. */
  problem: CaptureProblem | null;
  /** Exception or invariant text for 'crash', limit for 'timeout' and 'memory'. */
  crash: string | null;
  ms: number;
}

export interface CorpusSummary {
  dir: string;
  mode: CorpusMode;
  results: CorpusFileResult[];
  fullyRead: number;
  withWarning: number;
  withError: number;
  crashed: number;
  timedOut: number;
  outOfMemory: number;
}

/** Reads one file with the reader alone; exported for tests that want to run it in-process. */
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

/** Every regular file under `dir`, sorted, as paths relative to it; null when it does not exist. */
export function listFiles(dir: string, recursive: boolean): string[] | null {
  const out: string[] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const st = statSync(path);
      if (st.isFile()) out.push(relative(dir, path));
      else if (recursive && st.isDirectory()) walk(path);
    }
  };
  try {
    walk(dir);
  } catch {
    return null;
  }
  return out;
}

/** Capture files by name, for directories that also hold scripts and notes (captures/). */
export function looksLikeCapture(name: string): boolean {
  return /\.(pcap|pcapng|cap|dmp)(\.gz)?$/i.test(name);
}

export interface CorpusOptions {
  timeoutMs?: number;
  mode?: CorpusMode;
  /** Walk subdirectories too. */
  recursive?: boolean;
  /** Keep only the files this accepts (by path relative to the directory). */
  select?: (file: string) => boolean;
  onResult?: (result: CorpusFileResult) => void;
}

/** Runs every regular file of `dir`; null when the directory does not exist. */
export async function runCorpus(dir: string, options: CorpusOptions = {}): Promise<CorpusSummary | null> {
  const names = listFiles(dir, options.recursive ?? false);
  if (names === null) return null;
  const mode = options.mode ?? 'reader';
  const guard = new GuardedWorker({ ...DEFAULT_LIMITS, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  const results: CorpusFileResult[] = [];
  try {
    for (const file of names) {
      if (options.select !== undefined && !options.select(file)) continue;
      const path = join(dir, file);
      const result = mode === 'reader'
        ? fromOutcome(file, await guard.run({ mode: 'reader', path, file }), (r) => r)
        : fromOutcome(file, await guard.run({ mode: 'pipeline', request: { path, name: file, merge: true, chunkSeed: results.length + 1, split: true } }),
          (r) => ({ file, status: r.status, packets: r.packets, bytes: r.bytes, connections: r.connections, problem: r.problem, crash: r.crash, ms: r.ms }));
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await guard.close();
  }
  const count = (status: CorpusStatus): number => results.filter((r) => r.status === status).length;
  return {
    dir, mode, results,
    fullyRead: count('ok'), withWarning: count('warning'), withError: count('error'),
    crashed: count('crash'), timedOut: count('timeout'), outOfMemory: count('memory'),
  };
}

function fromOutcome<R>(file: string, outcome: GuardedOutcome<R>, convert: (r: R) => CorpusFileResult): CorpusFileResult {
  if (outcome.kind === 'done') return convert(outcome.result);
  const status: CorpusStatus = outcome.kind === 'died' ? 'crash' : outcome.kind;
  return { file, status, packets: 0, bytes: 0, problem: null, crash: outcome.message, ms: outcome.ms };
}

export function formatResult(r: CorpusFileResult): string {
  const where = r.problem !== null ? ` ${r.problem.kind} at offset ${r.problem.offset}: ${r.problem.message}` : '';
  const crash = r.crash !== null ? ` ${r.crash}` : '';
  const connections = r.connections !== undefined ? ` connections=${r.connections}` : '';
  return `${r.status.padEnd(7)} ${r.file}  packets=${r.packets}${connections} bytes=${r.bytes}${where}${crash} (${r.ms.toFixed(1)} ms)`;
}

/** Files that crashed, hung, blew memory, or came close enough to the time limit to exceed it. */
export function failedFiles(s: CorpusSummary, slowMs: number): CorpusFileResult[] {
  return s.results.filter((r) => r.status === 'crash' || r.status === 'timeout' || r.status === 'memory' || r.ms > slowMs);
}

/** Files that hit the time limit or came close enough to exceed it. */
export function slowFiles(s: CorpusSummary, slowMs: number): CorpusFileResult[] {
  return s.results.filter((r) => r.status === 'timeout' || r.ms > slowMs);
}

export function formatSummary(s: CorpusSummary, slowMs: number): string {
  return [
    `${s.dir} (${s.mode === 'reader' ? 'reader only' : 'whole pipeline and every report format'})`,
    `  files: ${s.results.length}`,
    `  fully read: ${s.fullyRead}`,
    `  read with warning: ${s.withWarning}`,
    `  ended with error: ${s.withError}`,
    `  crashed: ${s.crashed}`,
    `  out of memory: ${s.outOfMemory}`,
    `  timed out or slower than ${slowMs} ms: ${slowFiles(s, slowMs).length}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const dirs: string[] = [];
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  let mode: CorpusMode = 'pipeline';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--timeout-ms') timeoutMs = Number(argv[++i]);
    else if (argv[i] === '--reader-only') mode = 'reader';
    else dirs.push(resolve(argv[i]));
  }
  const runs = dirs.length > 0
    ? dirs.map((dir) => ({ dir, recursive: false, select: undefined }))
    : [{ dir: DEFAULT_CORPUS_DIR, recursive: false, select: undefined }, { dir: CAPTURES_DIR, recursive: true, select: looksLikeCapture }];
  const summaries: CorpusSummary[] = [];
  for (const run of runs) {
    const summary = await runCorpus(run.dir, { timeoutMs, mode, recursive: run.recursive, select: run.select, onResult: (r) => console.log(formatResult(r)) });
    if (summary === null) console.log(`corpus directory ${run.dir} not found; skipped`);
    else summaries.push(summary);
  }
  for (const s of summaries) console.log(formatSummary(s, timeoutMs));
  return summaries.some((s) => failedFiles(s, timeoutMs).length > 0) ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
