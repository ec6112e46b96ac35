// The built CLI as a user runs it: real captures in, exit codes and parseable output out.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = join(process.cwd(), 'dist', 'src', 'cli.js');
const CAPTURE = join(process.cwd(), 'captures', 'close-client-first.pcap');

function run(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('report --format json prints one document with the documented fields', () => {
  const r = run(['report', '--format', 'json', CAPTURE]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schema, 'finscope.report/1');
  assert.equal(doc.inputs.length, 1);
  assert.equal(doc.inputs[0].format, 'pcap');
  assert.ok(doc.connections.length >= 1);
  const c = doc.connections[0];
  for (const key of ['id', 'client', 'server', 'start', 'end', 'activeCloser', 'states', 'finalState', 'durations', 'zeek', 'findings', 'directions']) {
    assert.ok(key in c, `connection lacks ${key}`);
  }
  assert.equal(typeof c.start, 'number');
  assert.ok(c.end >= c.start);
  assert.ok(c.directions.client.packets > 0 && c.directions.server.packets > 0);
  assert.ok(c.directions.client.syn !== null, 'the client SYN is a fact with its time');
  assert.ok('histogram' in doc.summary && 'findingsByCode' in doc.summary);
});

test('the same capture from stdin gives the same connections', () => {
  const fromFile = JSON.parse(run(['report', '-f', 'json', CAPTURE]).stdout);
  const fromStdin = JSON.parse(run(['report', '-f', 'json', '-'], readFileSync(CAPTURE)).stdout);
  assert.deepEqual(fromStdin.connections.map((c: { states: unknown }) => c.states), fromFile.connections.map((c: { states: unknown }) => c.states));
});

test('a missing file is one clear line, exit 3, no stack trace', () => {
  const r = run(['report', '/nonexistent/x.pcap']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /x\.pcap/);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
});

test('a file cut in the middle of a record is analysed up to the cut (warning, exit 0)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finscope-cli-'));
  const bytes = readFileSync(CAPTURE);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const r = run(['report', '-f', 'json', cut]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.inputs[0].warnings[0].kind, 'truncated-record');
  assert.ok(doc.inputs[0].packets > 0);
  assert.ok(doc.connections.length >= 1);
});

test('usage errors exit 2', () => {
  assert.equal(run(['report', '--fin-wait2', 'soon', CAPTURE]).code, 2);
  assert.equal(run(['report', '--format', 'yaml', CAPTURE]).code, 2);
  assert.equal(run(['explain', 'no-such-code']).code, 2);
});

test('explain lists every code and explains one', () => {
  const list = run(['explain']);
  assert.equal(list.code, 0);
  for (const code of ['lost-final-ack', 'missing-peer-fin', 'time-wait-assassination', 'ephemeral-port-pressure']) assert.match(list.stdout, new RegExp(code));
  const one = run(['explain', 'long-fin-wait-2']);
  assert.match(one.stdout, /tcp_fin_timeout/);
});

test('a full disk is one clear line and exit 5, not an internal error', { skip: !existsSync('/dev/full') && 'no /dev/full' }, () => {
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" report "${CAPTURE}" > /dev/full`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 5, r.stderr);
  assert.match(r.stderr, /cannot write the report: ENOSPC/);
  assert.doesNotMatch(r.stderr, /internal error/);
});

test('a hostile file name (escape sequences, a newline) reaches no output raw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'finscope-names-'));
  const evil = join(dir, 'evil\u001b[2J\u001b]0;pwned\u0007\nname.pcap');
  writeFileSync(evil, readFileSync(CAPTURE));
  for (const format of ['text', 'json', 'ndjson', 'csv', 'markdown']) {
    const r = run(['report', '-f', format, dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /[\u001b\u0007]/, format);
    assert.match(r.stdout, /evil/, `${format} names the input`);
  }
});
