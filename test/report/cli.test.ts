// The batch CLI as a user and a CI job meet it: exit codes and their precedence, --fail-on,
// --output atomicity (also when killed), `| head`, the npm bin through a symlink, help examples.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProgressLine } from '../../src/batch/progress.js';
import { SEVERITY } from '../../src/close/index.js';
import { buildTree, capture, CLI, run, tempDir } from '../batch/fixtures.js';

/** Many copies of busy.pcap: a report big enough to be caught while it is being written. */
function bigArchive(copies = 40): string {
  const dir = tempDir('finscope-big-');
  for (let i = 0; i < copies; i++) copyFileSync(capture('busy.pcap'), join(dir, `busy-${String(i).padStart(3, '0')}.pcap`));
  return dir;
}

test('exit codes: 0, 1 when --fail-on matches, 3 when an input broke, 2 for usage; 2 over 3 over 1', () => {
  const tree = buildTree();
  const busy = capture('busy.pcap');
  const corrupt = join(tree.root, 'corrupt.pcap');
  // What busy.pcap finds decides the gate rows (finding severities are the close stage's to tune).
  const found = JSON.parse(run(['report', '-f', 'json', busy]).stdout).summary.findingsByCode as Record<string, { severity: string }>;
  const present = Object.keys(found);
  assert.ok(present.length > 0, 'busy.pcap has findings (time-wait-reuse)');
  const absent = Object.keys(SEVERITY).filter((c) => !(c in found));
  const has = (sev: string): boolean => Object.values(found).some((x) => x.severity === sev);
  const rows: [string[], number][] = [
    [['report', busy], 0],
    [['report', '--fail-on', present[0], busy], 1],
    [['report', '--fail-on', absent.slice(0, 2).join(','), busy], 0],
    [['report', '--fail-on', `${absent[0]}, ${present[0]}`, busy], 1],
    [['report', '--fail-on', 'info', busy], 1],
    [['report', '--fail-on', 'warning', busy], has('warning') || has('error') ? 1 : 0],
    [['report', '--fail-on', 'error', busy], has('error') ? 1 : 0],
    [['report', '--fail-on', present[0], busy, corrupt], 3],
    [['report', busy, corrupt], 3],
    [['report', busy, join(tree.root, 'nothing-*.pcap')], 3],
    [['report', tempDir()], 3], // nothing found: a gate over a wrong path must not pass
    [['report', '--fail-on', 'no-such-code', busy], 2],
    [['report', '--fail-on', 'no-such-code', busy, corrupt], 2],
    [['report', '-f', 'yaml', busy], 2],
    [['report', '--jobs', '0', busy], 2],
    [['report', '--at', 'yesterday-ish', busy], 2],
    [['merge', '--fail-on', 'bogus', 'x.json'], 2],
  ];
  for (const [args, code] of rows) {
    const r = run(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack traces');
  }
  const gate = run(['report', '--fail-on', present[0], busy]);
  assert.match(gate.stderr, new RegExp(`--fail-on ${present[0]} matched: ${present[0]} \\d+`));
  assert.match(run(['report', '--fail-on', 'nope', busy]).stderr, /unknown finding code "nope"/);
});

test('--output writes the report whole, atomically, and leaves no temporary file', () => {
  const dir = tempDir();
  const out = join(dir, 'report.json');
  const r = run(['report', '-f', 'json', '-o', out, capture('busy.pcap')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).connections.length, 600);
  assert.deepEqual(readdirSync(dir), ['report.json']);
});

test('--output into a named pipe writes through it and leaves the pipe a pipe (as -o /dev/null must)', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'pipe');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // A reader on the pipe, as `-o /dev/stdout` or a consumer process would be.
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let got = '';
  reader.stdout.on('data', (d: Buffer) => { got += d.toString('utf8'); });
  const readerDone = new Promise<void>((resolve) => reader.on('close', () => resolve()));
  const r = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'report', '-f', 'json', '-o', fifo, capture('busy.pcap')], { stdio: 'ignore' });
    child.on('exit', (code) => resolve(code));
  });
  // A report that went anywhere but through the pipe leaves the reader waiting for a writer.
  const timer = setTimeout(() => reader.kill(), 10_000);
  await readerDone;
  clearTimeout(timer);
  assert.equal(r, 0);
  assert.equal(JSON.parse(got).connections.length, 600);
  assert.ok(lstatSync(fifo).isFIFO(), 'the pipe was not replaced by a file');
  assert.deepEqual(readdirSync(dir), ['pipe']);
});

test('--output through a symbolic link replaces the file it names, keeps the link and the file\'s mode', () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'real'));
  const target = join(dir, 'real', 'report.csv');
  writeFileSync(target, 'old\n');
  chmodSync(target, 0o640);
  const link = join(dir, 'latest.csv');
  symlinkSync(target, link);
  const r = run(['report', '-f', 'csv', '-o', link, capture('busy.pcap')]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  assert.match(readFileSync(target, 'utf8'), /^[a-z_]+,/);
  assert.equal(statSync(target).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(join(dir, 'real')), ['report.csv']);
});

/** Starts a report into `out`, waits for its temporary file, then sends `signal`. */
async function killWhileWriting(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; dir: string; out: string; sawTemp: boolean }> {
  const archive = bigArchive();
  const dir = tempDir();
  const out = join(dir, 'report.json');
  writeFileSync(out, 'the previous report\n');
  const child = spawn(process.execPath, [CLI, 'report', '-j', '1', '-f', 'json', '-o', out, archive], { stdio: 'ignore' });
  let sawTemp = false;
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, sig) => resolve([code, sig])));
  const poll = setInterval(() => {
    if (!sawTemp && readdirSync(dir).some((f) => f.endsWith('.tmp'))) {
      sawTemp = true;
      child.kill(signal);
    }
  }, 1);
  const [code, sig] = await exited;
  clearInterval(poll);
  return { code, signal: sig, dir, out, sawTemp };
}

test('SIGTERM while writing --output removes the temporary file and keeps the previous report', async () => {
  const r = await killWhileWriting('SIGTERM');
  assert.ok(r.sawTemp, 'the temporary file was seen (the report took long enough to write)');
  assert.equal(r.code, 143);
  assert.equal(readFileSync(r.out, 'utf8'), 'the previous report\n');
  assert.deepEqual(readdirSync(r.dir), ['report.json']);
});

test('SIGKILL while writing --output never leaves half a report in its place', async () => {
  const r = await killWhileWriting('SIGKILL');
  assert.ok(r.sawTemp);
  assert.equal(r.signal, 'SIGKILL');
  assert.equal(readFileSync(r.out, 'utf8'), 'the previous report\n');
});

test('piping into head ends quietly', () => {
  const archive = bigArchive(10);
  for (const format of ['ndjson', 'json', 'csv', 'text']) {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI}" report --all --limit 100000 -f ${format} "${archive}" | head -c 100 >/dev/null`], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `${format}: ${r.stderr}`);
    assert.equal(r.stderr, '', format);
  }
});

test('no progress line unless stderr is a terminal; the line itself counts files, bytes and time left', () => {
  const r = run(['report', capture('busy.pcap'), capture('close-client-first.pcap')]);
  assert.equal(r.stderr, '');
  let now = 0;
  const written: string[] = [];
  const line = new ProgressLine({ write: (s: string) => written.push(s), columns: 120 },
    [{ path: 'a', origin: 'argument', size: 1000 }, { path: 'b', origin: 'argument', size: 3000 }], () => now);
  now = 2000;
  line.update({ index: 0, sourceBytes: 1000, done: true });
  assert.equal(line.text(), 'finscope: 1/2 files, 1000 B of 3.9 KiB, about 6 s left');
  line.end();
  assert.equal(written.at(-1), '\r\x1b[K');
});

test('the npm bin: a shebang, and it runs through a symlink', () => {
  assert.equal(readFileSync(CLI, 'utf8').split('\n')[0], '#!/usr/bin/env node');
  const bin = join(tempDir(), 'bin');
  mkdirSync(bin);
  symlinkSync(CLI, join(bin, 'finscope'));
  const r = spawnSync(process.execPath, [join(bin, 'finscope'), 'report', '-f', 'json', capture('close-client-first.pcap')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).inputs.length, 1);
});

test('--help of every command shows examples', () => {
  for (const args of [['--help'], ['report', '--help'], ['merge', '--help'], ['explain', '--help']]) {
    const r = run(args);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:\n  finscope /, args.join(' '));
  }
  const help = run(['report', '--help']).stdout;
  for (const option of ['--jobs <n>', '--merge', '--fail-on <list>', '--format <format>', '--output <file>']) assert.ok(help.includes(option), option);
});
