// Runs the built CLI (or any module) in a child process under a V8 heap limit and reports its peak
// resident set, for tests that must show memory stays bounded whatever the input claims. The peak is
// the kernel's (getrusage ru_maxrss), written by a preloaded module when the child exits, so it
// counts Buffers and zlib's memory, not only the JavaScript heap.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The CLI of the same build as this file (dist/, or a private build folder). */
export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface MeasuredRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the child, MiB (null when it died before writing it). */
  maxRssMb: number | null;
  ms: number;
}

export interface MeasureOptions {
  /** --max-old-space-size for the child, MiB. */
  heapMb?: number;
  /** Killed (SIGKILL) after this long. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  stdin?: Buffer;
  /** Node options before the script (e.g. ['--input-type=module', '-e', code] with args []). */
  nodeArgs?: string[];
}

const PRELOAD = `
import { writeFileSync } from 'node:fs';
process.on('exit', () => {
  const file = process.env.FINSCOPE_TEST_MAXRSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
`;

/** Runs `node [--max-old-space-size] [nodeArgs] args...` and measures it. */
export function measuredRun(args: string[], options: MeasureOptions = {}): Promise<MeasuredRun> {
  const dir = mkdtempSync(join(tmpdir(), 'finscope-rss-'));
  const preload = join(dir, 'maxrss.mjs');
  const rssFile = join(dir, 'maxrss');
  writeFileSync(preload, PRELOAD);
  const nodeArgs = [
    ...(options.heapMb !== undefined ? [`--max-old-space-size=${options.heapMb}`] : []),
    '--import', pathToFileURL(preload).href,
    ...(options.nodeArgs ?? []),
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], {
      env: { ...process.env, ...options.env, FINSCOPE_TEST_MAXRSS_FILE: rssFile },
      stdio: [options.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    if (options.stdin !== undefined) {
      // A child that stops reading early (it should, on a gzip bomb) closes the pipe: EPIPE is fine.
      child.stdin!.on('error', () => {});
      child.stdin!.end(options.stdin);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let maxRssMb: number | null = null;
      try { maxRssMb = Number(readFileSync(rssFile, 'utf8')) / 1024; } catch { /* killed */ }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, maxRssMb, ms: performance.now() - started });
    });
  });
}

/** The built CLI, measured. */
export function measuredCli(args: string[], options: MeasureOptions = {}): Promise<MeasuredRun> {
  return measuredRun([CLI, ...args], options);
}
