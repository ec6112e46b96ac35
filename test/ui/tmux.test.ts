// The built UI in a real terminal: tmux runs it in a pane, the test types keys and reads the
// screen. It opens a capture from captures/, filters to a finding, opens a connection and reads its
// ladder and states, goes back, follows a resize, quits, and checks that the terminal is as it was
// (the shell's screen back, the same stty settings). Skips when tmux is not installed.
//
// Runs the built CLI as a user would: `finscope <capture>` on a terminal opens the UI.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { generate } from '../../bench/generate.js';
import { loadCapture } from './synthetic-capture.js';

const ROOT = process.cwd();
const TMUX = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
const HAVE_TMUX = TMUX.status === 0;
// A server of our own: nothing the user runs in tmux is touched, and it is killed at the end.
const SOCKET = `finscope-ui-test-${process.pid}`;
const SESSION = 'ui';

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION);
}

/** The screen once it shows `pattern` (or passes the check); a busy machine gets 20 s. */
async function waitFor(pattern: RegExp | ((screen: string) => boolean), what: string, timeoutMs = 20_000): Promise<string> {
  const ok = typeof pattern === 'function' ? pattern : (x: string) => pattern.test(x);
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = screen();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
}

const keys = (...k: string[]): void => { tmux('send-keys', '-t', SESSION, ...k); };
const typeText = (text: string): void => { tmux('send-keys', '-t', SESSION, '-l', text); };

/** The command that opens the UI: the built CLI's default action. */
function uiCommand(): string[] {
  return [process.execPath, join(ROOT, 'dist', 'src', 'cli.js')];
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// CI=1 would put Ink in its non-interactive mode; a user's terminal has no CI variable.
const SHELL = 'env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color PS1="$ " bash --norc --noprofile';

describe('the UI in a real terminal (tmux)', { skip: HAVE_TMUX ? false : 'tmux is not installed (.ci/run installs it)' }, () => {
  const capture = join(ROOT, 'captures', 'busy.pcap');
  let finding = '';
  let work = '';

  before(async () => {
    // The finding to filter to: whichever the capture has most of.
    const { verdicts } = await loadCapture(capture);
    const counts = new Map<string, number>();
    for (const v of verdicts) for (const f of v.findings) counts.set(f.code, (counts.get(f.code) ?? 0) + 1);
    finding = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
    assert.ok(finding !== '', 'busy.pcap has findings to filter to');
    work = mkdtempSync(join(tmpdir(), 'finscope-tmux-'));
    tmux('new-session', '-d', '-s', SESSION, '-x', '100', '-y', '30', SHELL);
    tmux('set-option', '-t', SESSION, 'status', 'off');
  });

  // Each test starts from a fresh shell in a 100x30 pane (a failed test may have left the UI open).
  beforeEach(() => {
    tmux('resize-window', '-t', SESSION, '-x', '100', '-y', '30');
    tmux('respawn-pane', '-k', '-t', SESSION, SHELL);
  });

  after(() => {
    if (HAVE_TMUX) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  });

  it('opens a capture, filters to a finding, shows a ladder, goes back, quits and restores the terminal', async () => {
    const before = join(work, 'stty-before'), afterFile = join(work, 'stty-after');
    typeText(`clear; echo BEFORE-UI; stty -g > ${shellQuote(before)}; ${uiCommand().map(shellQuote).join(' ')} ${shellQuote(capture)}; echo EXIT=$?; stty -g > ${shellQuote(afterFile)}`);
    keys('Enter');

    // Overview.
    let s = await waitFor(/1 Overview[\s\S]*Sockets of/, 'the Overview');
    assert.match(s, /busy\.pcap/);
    assert.match(s, /Findings/);
    assert.doesNotMatch(s, /BEFORE-UI/, 'the UI has the screen to itself');

    // Filter to the finding with the / line, as a user would.
    keys('/');
    await waitFor(/Enter apply · Esc cancel[\s\S]*^\/\s*$/m, 'the filter line');
    typeText(`finding ${finding}`);
    keys('Enter');
    s = await waitFor(new RegExp(`\\d+ of 600 · finding ${finding}`), 'the filtered list');
    assert.match(s, /Client → Server/);
    assert.match(s, /^>/m, 'a selected row');

    // Open a connection: the ladder with each side's states.
    keys('Down', 'Enter');
    s = await waitFor(/3 Detail[\s\S]*SYN_SENT │/, 'the ladder');
    assert.match(s, /client +10\.10\.0\.1:\d+ +10\.10\.0\.2:8080 +server/);
    assert.match(s, /SYN_SENT │─+ SYN seq 0 ─+>│ LISTEN/);
    assert.match(s, /(FIN_WAIT_1|CLOSE_WAIT)/);
    assert.match(s, /(TIME_WAIT|LAST_ACK|CLOSED)/);

    // Back to the list, then a resize to 80x24: the frame follows.
    keys('Escape');
    await waitFor(/Client → Server[\s\S]*sorted by start/, 'the list again');
    tmux('resize-window', '-t', SESSION, '-x', '80', '-y', '24');
    // The narrow layout, whole: the tab bar on the first row, the header on the second, one status line.
    s = await waitFor((x) => {
      const lines = x.split('\n');
      return /1 Overview/.test(lines[0]) && /^t\+s↑ +Client → Server +1 Final c\/s/.test(lines[1] ?? '') &&
        x.match(/sorted by start/g)?.length === 1;
    }, 'the narrow layout after the resize');
    assert.ok(s.split('\n').every((l) => l.length <= 80));

    // Quit: the shell's screen comes back and the terminal settings are unchanged.
    keys('q');
    s = await waitFor(/EXIT=\d+/, 'the shell again');
    assert.match(s, /BEFORE-UI/);
    assert.match(s, /EXIT=0/);
    assert.doesNotMatch(s, /Client → Server|1 Overview/);
    await waitFor(/EXIT=0[\s\S]*\$ ?$/, 'the prompt', 5_000).catch(() => '');
    for (let i = 0; i < 50 && !existsSync(afterFile); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(afterFile, 'utf8'), readFileSync(before, 'utf8'), 'stty settings restored');
  });

  it('Ctrl-C leaves the terminal as it was and exits 130', async () => {
    const before = join(work, 'stty-before-2'), afterFile = join(work, 'stty-after-2');
    typeText(`clear; stty -g > ${shellQuote(before)}; ${uiCommand().map(shellQuote).join(' ')} ${shellQuote(capture)}; echo EXIT=$?; stty -g > ${shellQuote(afterFile)}`);
    keys('Enter');
    await waitFor(/1 Overview/, 'the Overview');
    keys('Tab');
    await waitFor(/Client → Server/, 'the list');
    keys('C-c');
    const s = await waitFor(/EXIT=\d+/, 'the shell again');
    assert.match(s, /EXIT=130/);
    assert.doesNotMatch(s, /Client → Server/);
    for (let i = 0; i < 50 && !existsSync(afterFile); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(afterFile, 'utf8'), readFileSync(before, 'utf8'));
  });

  it('reads the capture from stdin and the keys from the terminal', async () => {
    typeText(`clear; cat ${shellQuote(capture)} | ${uiCommand().map(shellQuote).join(' ')} -; echo EXIT=$?`);
    keys('Enter');
    const s = await waitFor(/1 Overview[\s\S]*Sockets of/, 'the Overview from stdin');
    assert.match(s, /stdin · 600 connections/);
    keys('q');
    assert.match(await waitFor(/EXIT=\d+/, 'the shell again'), /EXIT=0/);
  });

  it('a capture that would outgrow the heap: reading stops, what was read is shown and the stop said, exit 3, no V8 crash', async () => {
    // ~28 000 connections (~110 MB kept by the UI) against a 128 MB old generation. Before the
    // guard, V8 died with "heap out of memory" and a native stack trace.
    const big = join(work, 'many-connections.pcap');
    generate({ packets: 300_000, link: 'ethernet', rate: 500, seed: 3, snaplen: 160, out: big });
    // A second input after it: not read, and said so.
    typeText(`clear; ${[process.execPath, '--max-old-space-size=128', ...uiCommand().slice(1)].map(shellQuote).join(' ')} ${shellQuote(big)} ${shellQuote(capture)} 2>${shellQuote(join(work, 'heap.err'))}; echo EXIT=$?`);
    keys('Enter');
    const s = await waitFor(/1 Overview[\s\S]*Sockets of/, 'the Overview of what was read', 60_000);
    assert.match(s, /stopped reading after packet \d+/);
    const shown = Number(/ · ([\d ]+) connections\s*$/m.exec(s.split('\n')[0])?.[1].replace(/ /g, ''));
    assert.ok(shown > 0, 'connections read before the stop are shown');
    keys('q');
    assert.match(await waitFor(/EXIT=\d+/, 'the shell again'), /EXIT=3/);
    const err = readFileSync(join(work, 'heap.err'), 'utf8');
    assert.match(err, /many-connections\.pcap: the terminal UI stopped reading after packet \d+: keeping every connection would pass Node's/);
    assert.match(err, /the 1 input after this one not read/);
    assert.doesNotMatch(err, /busy\.pcap/);
    assert.doesNotMatch(err, /FATAL ERROR|heap out of memory|stack trace/i);
  });
});
