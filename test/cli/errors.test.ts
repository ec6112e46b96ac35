// Errors a user can meet, through the built CLI: each is one line on stderr naming the file, a
// documented exit code, and never a stack trace; FINSCOPE_DEBUG=1 adds the trace only where there
// is one (an internal error), not to these.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { CLI } from '../helpers/measured-run.js';
import { writePcap } from '../helpers/pcap-writer.js';

const CAPTURE = join(process.cwd(), 'captures', 'close-client-first.pcap');
const dir = mkdtempSync(join(tmpdir(), 'finscope-errors-'));
chmodSync(dir, 0o755); // reachable by the unprivileged user of the permission test
after(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], options: { env?: NodeJS.ProcessEnv; stdinFd?: number; prefix?: string[] } = {}): Run {
  const [command, ...rest] = [...(options.prefix ?? []), process.execPath, CLI, ...args];
  const r = spawnSync(command, rest, {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...options.env },
    stdio: [options.stdinFd ?? 'ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const STACK_FRAME = /^\s+at .+[:(]\d+/m;

/** One stderr line, starting with `finscope: <path>: `, matching `pattern`, no stack trace. */
function assertOneLine(r: Run, path: string, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  assert.ok(lines[0].startsWith(`finscope: ${path}: `), lines[0]);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, STACK_FRAME);
}

/** The same line, the same exit code, with and without FINSCOPE_DEBUG=1: there is no trace to show. */
function assertError(args: string[], path: string, code: number, pattern: RegExp, options: Parameters<typeof run>[1] = {}): Run {
  const plain = run(args, options);
  assert.equal(plain.code, code, plain.stderr);
  assertOneLine(plain, path, pattern);
  const debug = run(args, { ...options, env: { ...options.env, FINSCOPE_DEBUG: '1' } });
  assert.equal(debug.code, code, debug.stderr);
  assertOneLine(debug, path, pattern);
  return plain;
}

describe('errors a user can meet', () => {
  it('file not found: exit 3', () => {
    const path = join(dir, 'no-such.pcap');
    const r = assertError(['report', path], path, 3, /no such file \(byte offset 0\)$/);
    assert.match(r.stdout, /error: no such file/, 'the report says it too');
  });

  it('a parent that is a file: exit 3', () => {
    const path = join(CAPTURE, 'x.pcap');
    assertError(['report', path], path, 3, /no such file \(a parent is not a directory\)/);
  });

  it('permission denied (chmod 000, as an unprivileged user): exit 3', (t) => {
    const path = join(dir, 'unreadable.pcap');
    writeFileSync(path, readFileSync(CAPTURE));
    chmodSync(path, 0o000);
    // root reads anything: drop to nobody with setpriv (util-linux) when we are root.
    let prefix: string[] | undefined;
    if (process.getuid?.() === 0) {
      const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', '0']);
      if (probe.status !== 0) {
        t.skip('running as root and setpriv cannot drop to nobody: root would read a chmod 000 file');
        return;
      }
      prefix = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    }
    assertError(['report', path], path, 3, /permission denied \(byte offset 0\)$/, { prefix });
  });

  it('not a capture: exit 3, saying what the first bytes are', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'hello, this is text\n');
    assertError(['report', path], path, 3, /unknown magic 0x68656c6c; not a pcap or pcapng file \(byte offset 0\)$/);
    const zip = join(dir, 'archive.zip');
    writeFileSync(zip, Buffer.from('PK\u0003\u0004rest of a zip', 'latin1'));
    assertError(['report', zip], zip, 3, /looks like a zip archive/);
  });

  it('empty file: exit 3', () => {
    const path = join(dir, 'empty.pcap');
    writeFileSync(path, '');
    assertError(['report', path], path, 3, /the input is empty \(byte offset 0\)$/);
  });

  it('empty file: the report has no instant to count sockets at, not the epoch', () => {
    const path = join(dir, 'empty-report.pcap');
    writeFileSync(path, '');
    for (const format of ['text', 'markdown']) {
      const r = run(['report', '-f', format, path]);
      assert.equal(r.code, 3);
      assert.match(r.stdout, /no packets, so no instant to count them at/i, format);
      assert.doesNotMatch(r.stdout, /1970/, format);
    }
  });

  it('a file cut inside its header: exit 3', () => {
    const path = join(dir, 'header-cut.pcap');
    writeFileSync(path, readFileSync(CAPTURE).subarray(0, 10));
    assertError(['report', path], path, 3, /file ends inside the pcap file header \(10 of 24 bytes\)/);
  });

  it('a directory on standard input: exit 3, not "empty"', () => {
    const fd = openSync(dir, 'r');
    try {
      assertError(['report', '-'], '-', 3, /standard input is a directory/, { stdinFd: fd });
    } finally {
      closeSync(fd);
    }
  });

  it('a directory holding no capture: exit 3 with one line', () => {
    const empty = join(dir, 'no-captures');
    mkdirSync(empty);
    writeFileSync(join(empty, 'README'), 'not a capture');
    const r = run(['report', empty]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr.split('\n').filter((l) => l !== '').length, 1, r.stderr);
    assert.match(r.stderr, /^finscope: .*no capture/);
    assert.doesNotMatch(r.stderr, STACK_FRAME);
  });

  it('-o into a directory that does not exist: exit 2 before any analysis', () => {
    const out = join(dir, 'missing', 'report.json');
    const r = run(['report', '-f', 'json', '-o', out, CAPTURE]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `finscope: -o ${out}: cannot write there: its directory does not exist\n`);
  });

  it('an unknown link type (147, USER0) is read to the end, every packet counted as unsupported-link, and said plainly', () => {
    const path = join(dir, 'user0.pcap');
    writeFileSync(path, writePcap({ linkType: 147, packets: Array.from({ length: 5 }, (_, i) => ({ tsSec: 1_700_000_000 + i, tsFrac: 0, data: Buffer.alloc(60, i) })) }));
    const text = run(['report', path]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr, '');
    assert.match(text.stdout, /USER0, 5 packets \(0 TCP; unsupported-link 5\)/);
    assert.match(text.stdout, /link type USER0 \(147\) is not one finscope decodes: 5 packets counted as unsupported-link, not analysed/);
    const json = run(['report', '-f', 'json', path]);
    assert.equal(json.code, 0, json.stderr);
    const input = JSON.parse(json.stdout).inputs[0];
    assert.equal(input.error, null);
    assert.equal(input.packets, 5);
    assert.deepEqual(input.linkTypes, [{ id: 147, name: 'USER0' }]);
    assert.equal(input.decode.byKind['unsupported-link'], 5);
  });
});

describe('internal errors', () => {
  // A bug is simulated by making stdout throw under the report writer, through the real main().
  const script = (debug: boolean): string => `
    process.env.FINSCOPE_DEBUG = ${JSON.stringify(debug ? '1' : '')};
    const { main } = await import(${JSON.stringify(pathToFileURL(CLI).href)});
    process.stdout.write = () => { throw new Error('simulated bug'); };
    process.exitCode = await main(['node', 'finscope', 'report', ${JSON.stringify(CAPTURE)}]);`;

  for (const debug of [false, true]) {
    it(`exit 4, one line and a hint${debug ? '; FINSCOPE_DEBUG=1 adds the stack trace' : ', no stack trace'}`, () => {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script(debug)], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 4, r.stderr);
      assert.match(r.stderr, /^finscope: internal error: simulated bug\n/);
      if (debug) assert.match(r.stderr, STACK_FRAME);
      else {
        assert.doesNotMatch(r.stderr, STACK_FRAME);
        assert.match(r.stderr, /set FINSCOPE_DEBUG=1 to see where/);
      }
    });
  }
});
