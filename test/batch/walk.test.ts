// The directory walk and glob expansion over a real tree: captures recognised by magic (also inside
// gzip and under other names), sorted order, loops, dangling links and FIFOs reported, never a hang.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { expandGlob, matchPath, matchSegment, resolveInputs, sniffFile } from '../../src/batch/index.js';
import { buildTree, capture, run, tempDir } from './fixtures.js';

test('a directory is walked in sorted order and captures are recognised by their first bytes', async () => {
  const tree = buildTree();
  const resolved = await resolveInputs([tree.root]);
  assert.deepEqual(resolved.inputs.map((i) => relative(tree.root, i.path)), tree.inputs);
  assert.ok(resolved.inputs.every((i) => i.origin === 'directory' && typeof i.size === 'number' && i.size > 0));
  const skipped = Object.fromEntries(resolved.skipped.map((x) => [relative(tree.root, x.path), x.reason]));
  assert.deepEqual(skipped, tree.skipped);
});

test('the walk ends on a symlink loop and on links that point at each other', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'a/b'), { recursive: true });
  const { symlinkSync } = await import('node:fs');
  symlinkSync('../..', join(dir, 'a/b/up'));
  symlinkSync('y', join(dir, 'a/x'));
  symlinkSync('x', join(dir, 'a/y'));
  writeFileSync(join(dir, 'a/b/one.pcap'), (await import('node:fs')).readFileSync(capture('close-client-first.pcap')));
  const started = Date.now();
  const resolved = await resolveInputs([dir]);
  assert.ok(Date.now() - started < 10_000);
  assert.deepEqual(resolved.inputs.map((i) => relative(dir, i.path)), ['a/b/one.pcap']);
  const reasons = resolved.skipped.map((x) => `${relative(dir, x.path)} ${x.reason}`).sort();
  assert.deepEqual(reasons, ['a/b/up symlink-loop', 'a/x symlink-loop', 'a/y symlink-loop']);
});

test('a file named explicitly is an input whatever it holds; a directory reached twice is walked once', async () => {
  const tree = buildTree();
  const resolved = await resolveInputs([join(tree.root, 'notes.txt'), tree.root, join(tree.root, 'sub')]);
  assert.deepEqual(resolved.inputs.map((i) => [relative(tree.root, i.path), i.origin]),
    [['notes.txt', 'argument'], ...tree.inputs.map((p) => [p, 'directory'])]);
  assert.ok(resolved.skipped.some((x) => x.reason === 'duplicate' && relative(tree.root, x.path) === 'sub'));
});

test('sniffing: every pcap magic, pcapng, gzip inside, gzip of text, damaged gzip', async () => {
  const dir = tempDir();
  const cases: [string, Buffer, string][] = [
    ['us-le', Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 0, 0]), 'capture'],
    ['us-be', Buffer.from([0xa1, 0xb2, 0xc3, 0xd4, 0, 0]), 'capture'],
    ['ns-le', Buffer.from([0x4d, 0x3c, 0xb2, 0xa1, 0, 0]), 'capture'],
    ['ns-be', Buffer.from([0xa1, 0xb2, 0x3c, 0x4d, 0, 0]), 'capture'],
    ['modified', Buffer.from([0xa1, 0xb2, 0xcd, 0x34, 0, 0]), 'capture'],
    ['pcapng', Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0]), 'capture'],
    ['gz-pcap', gzipSync(Buffer.from([0xd4, 0xc3, 0xb2, 0xa1, 1, 2, 3, 4])), 'capture'],
    ['gz-text', gzipSync(Buffer.from('hello world')), 'not-a-capture'],
    ['gz-empty', gzipSync(Buffer.alloc(0)), 'empty'],
    ['gz-damaged', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff]), 'damaged-gzip'],
    ['text', Buffer.from('#!/bin/sh\n'), 'not-a-capture'],
    ['tiny', Buffer.from([0xd4]), 'not-a-capture'],
  ];
  for (const [name, bytes, kind] of cases) {
    writeFileSync(join(dir, name), bytes);
    assert.equal((await sniffFile(join(dir, name))).kind, kind, name);
  }
});

test('glob segments: *, ?, [..], escapes and leading dots', () => {
  const rows: [string, string, boolean][] = [
    ['*.pcap', 'a.pcap', true], ['*.pcap', 'a.pcapng', false], ['*.pcap*', 'a.pcap.gz', true],
    ['*', '.hidden', false], ['.*', '.hidden', true], ['?.pcap', 'a.pcap', true], ['?.pcap', 'ab.pcap', false],
    ['[ab].pcap', 'b.pcap', true], ['[!ab].pcap', 'c.pcap', true], ['[!ab].pcap', 'a.pcap', false],
    ['[a-c]x', 'bx', true], ['[a-c]x', 'dx', false], ['[]]', ']', true], ['\\*', '*', true], ['\\*', 'a', false],
    ['a[', 'a[', true], ['trace-2024-0[1-3]-*', 'trace-2024-02-17.pcap', true], ['(x)+.pcap', '(x)+.pcap', true],
  ];
  for (const [pattern, name, expected] of rows) assert.equal(matchSegment(pattern, name), expected, `${pattern} ~ ${name}`);
  assert.ok(matchPath('a/**/*.pcap', 'a/x.pcap'));
  assert.ok(matchPath('a/**/*.pcap', 'a/b/c/x.pcap'));
  assert.ok(!matchPath('a/**/*.pcap', 'a/.git/x.pcap'));
  assert.ok(!matchPath('a/*/x.pcap', 'a/b/c/x.pcap'));
});

test('globs are expanded by finscope in walk order, and a pattern matching nothing is reported', async () => {
  const tree = buildTree();
  const { matches } = await expandGlob(join(tree.root, '**', '*.pcap'));
  const cases = tree.inputs.filter((p) => p.startsWith('d-cases/'));
  assert.deepEqual(matches.map((m) => relative(tree.root, m)), ['a-plain.pcap', 'corrupt.pcap', ...cases, 'empty.pcap', 'sub/truncated.pcap']);
  const resolved = await resolveInputs([join(tree.root, '**/*.pcap*'), join(tree.root, 'nothing-*.pcap')]);
  assert.deepEqual(resolved.inputs.map((i) => relative(tree.root, i.path)), tree.inputs.filter((p) => p.includes('.pcap')));
  assert.ok(resolved.skipped.some((x) => x.reason === 'no-match' && x.path.endsWith('nothing-*.pcap')));
});

test('the CLI expands a quoted glob itself (relative to the working directory)', () => {
  const tree = buildTree();
  const r = run(['report', '-f', 'json', 'sub/*.pcap', '*.pcap.gz'], { cwd: tree.root });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.inputs.map((i: { file: string }) => i.file), ['sub/truncated.pcap', 'b-busy.pcap.gz']);
});
