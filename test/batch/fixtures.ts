// Builds archive-like directory trees from the real captures in captures/, in a temp dir: plain,
// gzipped and pcapng captures, one broken half-way, one truncated, files that are not captures,
// a symlink loop, a dangling link and a FIFO. Tests never read captures/ directly while other work
// adds files there: they copy what they need first.

import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const ROOT = process.cwd();
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const CAPTURES = join(ROOT, 'captures');

export function capture(name: string): string {
  return join(CAPTURES, name);
}

export function tempDir(prefix = 'finscope-batch-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface RunResult { code: number; stdout: string; stderr: string; signal: NodeJS.Signals | null }

export function run(args: string[], options: { input?: Buffer; cwd?: string } = {}): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input, cwd: options.cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 30,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** A pcapng to put in the tree: shipped, or converted with tshark, or null (the row is skipped). */
export function pcapngSource(dir: string): string | null {
  const shipped = capture('dumpcap.pcapng');
  if (existsSync(shipped)) return shipped;
  const out = join(dir, 'converted.pcapng');
  try {
    execFileSync('tshark', ['-r', capture('close-client-first.pcap'), '-F', 'pcapng', '-w', out], { stdio: 'ignore' });
    return out;
  } catch {
    return null;
  }
}

/** close-client-first.pcap with the caplen of its 5th record set absurdly high: breaks half-way. */
export function brokenHalfWay(): Buffer {
  const bytes = Buffer.from(readFileSync(capture('close-client-first.pcap')));
  let at = 24;
  for (let i = 0; i < 4; i++) at += 16 + bytes.readUInt32LE(at + 8);
  bytes.writeUInt32LE(0x7fffffff, at + 8);
  return bytes;
}

const CASE_CAPTURES = ['abortive-close.pcap', 'long-close-wait.pcap', 'lost-final-ack-client.pcap', 'time-wait-assassination.pcap'];

export interface Tree {
  root: string;
  /** Inputs the walk must find, in walk order (relative to root). */
  inputs: string[];
  /** Skipped entries (relative path -> reason). */
  skipped: Record<string, string>;
  hasPcapng: boolean;
}

export function buildTree(): Tree {
  const root = tempDir('finscope-tree-');
  const scratch = tempDir('finscope-scratch-');
  const plain = readFileSync(capture('close-client-first.pcap'));
  writeFileSync(join(root, 'a-plain.pcap'), plain);
  writeFileSync(join(root, 'b-busy.pcap.gz'), gzipSync(readFileSync(capture('busy.pcap'))));
  const ng = pcapngSource(scratch);
  if (ng !== null) copyFileSync(ng, join(root, 'c-dumpcap.pcapng'));
  writeFileSync(join(root, 'corrupt.pcap'), brokenHalfWay());
  // Captures with warnings and errors, when the lab has made them (worst-connection tables).
  const cases = CASE_CAPTURES.filter((name) => existsSync(capture(name)));
  if (cases.length > 0) mkdirSync(join(root, 'd-cases'));
  for (const name of cases) copyFileSync(capture(name), join(root, 'd-cases', name));
  writeFileSync(join(root, 'empty.pcap'), Buffer.alloc(0));
  writeFileSync(join(root, 'notes.txt'), 'captures from the incident of the 24th\n');
  const sub = join(root, 'sub');
  mkdirSync(sub);
  writeFileSync(join(sub, 'renamed.bin'), plain);
  writeFileSync(join(sub, 'text.gz'), gzipSync(Buffer.from('not a capture at all\n')));
  writeFileSync(join(sub, 'truncated.pcap'), plain.subarray(0, plain.length - 10));
  symlinkSync('..', join(sub, 'loop'));
  symlinkSync('nowhere', join(sub, 'dangling'));
  const fifo = spawnSync('mkfifo', [join(sub, 'fifo')]);
  const skipped: Record<string, string> = {
    'empty.pcap': 'empty', 'notes.txt': 'not-a-capture', 'sub/dangling': 'broken-symlink',
    'sub/loop': 'symlink-loop', 'sub/text.gz': 'not-a-capture',
  };
  if (fifo.status === 0) skipped['sub/fifo'] = 'special-file';
  const inputs = ['a-plain.pcap', 'b-busy.pcap.gz', ...(ng !== null ? ['c-dumpcap.pcapng'] : []), 'corrupt.pcap',
    ...cases.sort().map((name) => `d-cases/${name}`), 'sub/renamed.bin', 'sub/truncated.pcap'];
  return { root, inputs, skipped, hasPcapng: ng !== null };
}
