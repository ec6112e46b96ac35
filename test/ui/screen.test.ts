// Whole screens from frame(): exactly the terminal's height, never wider than it, at 80x24, on a
// wide terminal and on a tiny one, for every view; and what each view shows on real captures.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import { prepareData, type UiData } from '../../src/ui/data.js';
import { keyToAction } from '../../src/ui/keys.js';
import { lineText, lineWidth, screenText } from '../../src/ui/lines.js';
import { loadingLines, progressBar, timeLeftUs, type LoadingState } from '../../src/ui/loading.js';
import { findingRows, sparkline } from '../../src/ui/overview.js';
import { Derived, errorLine, frame, type Size } from '../../src/ui/screen.js';
import { initialState, reduce, type UiState } from '../../src/ui/state.js';
import { loadCapture, syntheticVerdicts } from './synthetic-capture.js';

let synthetic: UiData;
let busy: UiData;
before(async () => {
  const s = await syntheticVerdicts({ count: 90, spacingUs: 50_000 });
  synthetic = prepareData([s.input], s.verdicts, { portRange: [32768, 60999] });
  const b = await loadCapture(join(process.cwd(), 'captures', 'busy.pcap'));
  busy = prepareData([b.input], b.verdicts, { portRange: [32768, 60999] });
});

/** Presses keys (Ink-style names or characters) and returns the state and the screen text. */
function press(data: UiData, size: Size, keys: string[], start: UiState = initialState()): { state: UiState; text: string; lines: string[] } {
  const d = new Derived(data);
  let s = start;
  const named: Record<string, object> = {
    Tab: { tab: true }, Enter: { return: true }, Esc: { escape: true }, Down: { downArrow: true }, Up: { upArrow: true },
    Left: { leftArrow: true }, Right: { rightArrow: true }, PgDn: { pageDown: true }, PgUp: { pageUp: true },
  };
  for (const k of keys) {
    const events: [string, object][] = named[k] !== undefined ? [['', named[k]]] : [...k].map((c) => [c, {}]);
    for (const [input, key] of events) {
      const a = keyToAction(input, key, s);
      if (a !== null) s = reduce(s, a, frame(d, s, size).context);
    }
  }
  const f = frame(d, s, size);
  return { state: s, text: screenText(f.lines), lines: f.lines.map(lineText) };
}

const SIZES: Size[] = [{ columns: 80, rows: 23 }, { columns: 200, rows: 59 }, { columns: 40, rows: 10 }, { columns: 120, rows: 30 }];
const JOURNEYS: [string, string[]][] = [
  ['overview', []],
  ['overview, instant moved', ['Left', 'Left', 'H']],
  ['connections', ['Tab']],
  ['connections sorted and scrolled', ['Tab', 's', 'PgDn', 'Down']],
  ['filter line with an error', ['/', 'stat x', 'Enter']],
  ['detail', ['Tab', 'Down', 'Down', 'Enter']],
  ['detail scrolled', ['Tab', 'Down', 'Down', 'Down', 'Enter', 'PgDn', 'Down']],
  ['help', ['?']],
];

describe('frame: size', () => {
  for (const size of SIZES) {
    for (const [name, keys] of JOURNEYS) {
      it(`${name} at ${size.columns}x${size.rows} fills the height and stays inside the width`, () => {
        const d = new Derived(synthetic);
        let s = initialState();
        for (const k of keys) {
          const key = { Tab: { tab: true }, Enter: { return: true }, Down: { downArrow: true }, Left: { leftArrow: true }, PgDn: { pageDown: true } }[k];
          const events: [string, object][] = key !== undefined ? [['', key]] : [...k].map((c) => [c, {}]);
          for (const [input, kk] of events) {
            const a = keyToAction(input, kk, s);
            if (a !== null) s = reduce(s, a, frame(d, s, size).context);
          }
        }
        const f = frame(d, s, size);
        assert.equal(f.lines.length, size.rows);
        for (const line of f.lines) assert.ok(lineWidth(line) <= size.columns, `${lineWidth(line)} > ${size.columns}: ${lineText(line)}`);
      });
    }
  }
});

describe('frame: content on a real capture (busy.pcap, 600 connections)', () => {
  const size = { columns: 80, rows: 23 };

  it('Overview: the capture, the histogram of the capture host at the end, findings, durations', () => {
    const { text, lines } = press(busy, size, []);
    assert.match(lines[0], /1 Overview .* 2 Connections .*busy\.pcap · 600 connections/);
    assert.match(text, /captures\/busy\.pcap +pcap · EN10MB · 6 000 packets · 600 connections/);
    assert.match(text, /Sockets of 10\.10\.0\.2 \(capture host\) at [\d:.]+ \(end\)/);
    const hist = busy.summary.histogram;
    for (const [state, n] of Object.entries(hist)) assert.match(text, new RegExp(`${state} +${n} █`));
    assert.match(text, /> info +time-wait-reuse +536/);
    assert.match(text, /FIN_WAIT_1 +\d/);
    assert.match(lines[lines.length - 1], /Enter lists the connections with time-wait-reuse/);
  });

  it('Overview: ← moves the instant back and the histogram follows', () => {
    const end = press(busy, size, []).text;
    const earlier = press(busy, size, ['Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left', 'Left']).text;
    assert.notEqual(earlier, end);
    assert.match(earlier, /at [\d:.]+ \(\+[\d.]+\w+\)/);
    assert.match(earlier, /\^/);
  });

  it('Enter on a finding lists its connections, filtered, with the count in the tab bar', () => {
    const { state, lines } = press(busy, size, ['Enter']);
    assert.equal(state.view, 'connections');
    assert.match(lines[0], /536 of 600 · finding time-wait-reuse/);
    assert.match(lines[1], /t\+s↑ +Client → Server/);
    assert.match(lines[2], /^> +[\d.]+ 10\.10\.0\.1:\d+→10\.10\.0\.2:8080 +[csb-] +\S+\/\S+ .*tw-reuse/);
    assert.match(lines[lines.length - 1], /sorted by start ↑ +1\/536/);
  });

  it('Detail: the ladder with both sides\' states and the explanation of the finding', () => {
    const { text } = press(busy, { columns: 100, rows: 60 }, ['Enter', 'Enter']);
    assert.match(text, /client +10\.10\.0\.1:\d+ +10\.10\.0\.2:8080 +server/);
    assert.match(text, /SYN_SENT │─+ SYN seq 0 ─+>│ LISTEN/);
    assert.match(text, /FIN_WAIT_1|CLOSE_WAIT/);
    assert.match(text, /TIME_WAIT/);
    assert.match(text, /info time-wait-reuse/);
    assert.match(text, /Likely causes:/);
  });

  it('the filter line points at a mistake and keeps the previous filter', () => {
    const { state, lines } = press(busy, size, ['Enter', '/', ' and stat X', 'Enter']);
    assert.equal(state.filter.text, 'finding time-wait-reuse');
    assert.match(lines[lines.length - 2], /\^ unknown condition "stat"|unknown condition "stat".*\^/);
    assert.match(lines[lines.length - 1], /^\/ finding time-wait-reuse and stat X/);
  });

  it('Help lists every key', () => {
    const { text } = press(busy, { columns: 100, rows: 80 }, ['?']);
    for (const key of ['Tab', 'PgUp PgDn', 'g G', 'Enter', 'Esc', 's / S', '/', 'q']) assert.ok(text.includes(key), key);
  });
});

describe('filter error line', () => {
  it('puts the caret under the fault and the message where it fits, never losing the caret', () => {
    assert.equal(lineText(errorLine('bad', 4, 40)), '    ^ bad');
    assert.equal(lineText(errorLine('a long message that will not fit after', 60, 80)), '                     a long message that will not fit after ^');
    const cut = lineText(errorLine('x'.repeat(200), 70, 80));
    assert.equal(cut.indexOf('^'), 70);
    assert.ok(cut.length <= 80);
    assert.equal(lineText(errorLine('m', 200, 80)).indexOf('^'), 79);
  });
});

describe('overview pieces', () => {
  it('orders findings by severity then count', () => {
    const rows = findingRows(synthetic.summary);
    const rank = { error: 3, warning: 2, info: 1 };
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rank[rows[i - 1].severity] > rank[rows[i].severity] || (rank[rows[i - 1].severity] === rank[rows[i].severity] && rows[i - 1].count >= rows[i].count));
    }
  });

  it('draws sparklines scaled to the peak, any non-zero value visible', () => {
    assert.equal(sparkline([0, 1, 4, 8], 8), ' ▁▄█');
    assert.equal(sparkline([1, 1000], 1000), '▁█');
    assert.equal(sparkline([0, 0], 0), '  ');
  });
});

describe('loading screen', () => {
  const base: LoadingState = {
    files: ['big.pcap'], input: 0, packets: 123_456, sourceBytes: 25_000_000, totalBytes: 100_000_000,
    connections: 812, startedMs: 0, nowMs: 2_000, phase: 'reading',
  };

  it('shows bytes and packets done, the rate and the time left', () => {
    const text = screenText(loadingLines(base, 80, 23));
    assert.match(text, /reading big\.pcap/);
    assert.match(text, /█+░+ +25%/);
    assert.match(text, /25\.0 MB of 100 MB · 123 456 packets · 61 728 packets\/s · about 6 s left/);
    assert.match(text, /812 connections so far/);
    assert.equal(timeLeftUs(base), 6_000_000);
  });

  it('shows a spinner and running counts for stdin', () => {
    const text = screenText(loadingLines({ ...base, files: ['-'], totalBytes: null }, 80, 23));
    assert.match(text, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] finscope reading stdin/);
    assert.match(text, /123 456 packets · 25\.0 MB · 61 728 packets\/s/);
    assert.doesNotMatch(text, /%/);
  });

  it('fits any size', () => {
    for (const [w, h] of [[20, 5], [80, 23], [200, 60]]) {
      const lines = loadingLines(base, w, h);
      assert.equal(lines.length, h);
      for (const l of lines) assert.ok(lineWidth(l) <= w);
    }
    assert.equal(progressBar(0.5, 10), '█████░░░░░');
  });
});
