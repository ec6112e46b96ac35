// The connection list: order (filter, sort keys, stable ties, missing values last), column widths
// that always fit, and the window of formatted rows.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import type { Verdict } from '../../src/close/index.js';
import { parseFilter } from '../../src/filter/index.js';
import {
  listColumns, listHeader, listOrder, listRow, listView, scrollTop, sortValue, SORT_KEYS, endpointsWidth,
} from '../../src/ui/connections.js';
import { badges, compactDuration } from '../../src/ui/format.js';
import { lineText, lineWidth } from '../../src/ui/lines.js';
import { SCENARIOS, syntheticVerdicts } from './synthetic-capture.js';

let verdicts: Verdict[] = [];
before(async () => { verdicts = (await syntheticVerdicts({ count: 27 })).verdicts; });

describe('listOrder', () => {
  it('keeps id order for start ascending and filters with the predicate', () => {
    assert.deepEqual([...listOrder(verdicts, null, 'start', false)], verdicts.map((_, i) => i));
    const r = parseFilter('finding lost-final-ack');
    assert.ok(r.ok);
    const kept = [...listOrder(verdicts, r.predicate, 'start', false)].map((i) => SCENARIOS[i % SCENARIOS.length]);
    assert.deepEqual(kept, ['lost-final-ack', 'lost-final-ack', 'lost-final-ack']);
  });

  for (const key of SORT_KEYS) {
    for (const descending of [false, true]) {
      it(`sorts by ${key} ${descending ? 'descending' : 'ascending'}, ties by id, connections without the value last`, () => {
        const order = [...listOrder(verdicts, null, key, descending)];
        assert.equal(new Set(order).size, verdicts.length);
        let seenMissing = false;
        for (let k = 1; k < order.length; k++) {
          const a = sortValue(verdicts[order[k - 1]], key), b = sortValue(verdicts[order[k]], key);
          if (Number.isNaN(a)) seenMissing = true;
          if (seenMissing) { assert.ok(Number.isNaN(b), 'missing values come last'); continue; }
          if (Number.isNaN(b)) continue;
          assert.ok(descending ? a >= b : a <= b, `${a} then ${b}`);
          if (a === b) assert.ok(order[k - 1] < order[k], 'ties keep id order');
        }
      });
    }
  }
});

describe('list layout', () => {
  it('fits every row and the header in widths from 40 to 250', () => {
    const natural = endpointsWidth(verdicts);
    for (let width = 40; width <= 250; width += 7) {
      const c = listColumns(width, natural);
      for (const v of verdicts) {
        for (const selected of [false, true]) {
          const line = listRow(v, c, width, verdicts[0].startUs, selected);
          assert.ok(lineWidth(line) <= width, `row at ${width}: ${lineText(line)}`);
        }
      }
    }
  });

  it('shows the full endpoints, the closer and the final states at 80 columns', () => {
    const c = listColumns(80, endpointsWidth(verdicts));
    const text = lineText(listRow(verdicts[0], c, 80, verdicts[0].startUs, true));
    assert.match(text, /^> +0\.000 10\.1\.0\.1:30000→10\.2\.0\.1:80 +c CLOSED\/CLOSED /);
    assert.match(lineText(listRow(verdicts[3], c, 80, verdicts[0].startUs, false)), /TW\/CLOSED +1m30s +1m30s long-cw \+1$/);
  });

  it('shows the sort key\'s time when sorted by one the row would not show', () => {
    const natural = endpointsWidth(verdicts);
    for (const [width, key, title] of [[80, 'duration', 'Dur↓'], [80, 'timeWait', 'TW↓'], [160, 'lastAck', 'LACK↓'], [80, 'closeWait', 'CW↓']] as const) {
      const c = listColumns(width, natural, key);
      assert.match(lineText(listHeader(c, width, key, true)), new RegExp(` ${title} `), `${key} at ${width}`);
    }
    const c = listColumns(80, natural, 'duration');
    assert.match(lineText(listRow(verdicts[3], c, 80, verdicts[0].startUs, false)), / 1m30s +1m30s /);
  });

  it('uses full state names and times of day when wide', () => {
    const c = listColumns(160, endpointsWidth(verdicts));
    assert.ok(c.wide);
    const text = lineText(listRow(verdicts[3], c, 160, verdicts[0].startUs, false));
    assert.match(text, /\d\d:\d\d:\d\d\.\d{6} .*client +TIME_WAIT +CLOSED .*long-close-wait/);
  });

  it('formats only the visible window and keeps the selection on screen', () => {
    const order = listOrder(verdicts, null, 'start', false);
    const view = listView(verdicts, order, {
      width: 80, height: 5, selected: 12, top: 0, captureStartUs: verdicts[0].startUs,
      naturalEndpoints: endpointsWidth(verdicts), sortKey: 'start', descending: false,
    });
    assert.equal(view.rows.length, 5);
    assert.equal(view.top, 8);
    assert.match(lineText(view.rows[4]), /^>/);
    assert.match(lineText(view.footer), /^#13 /);
  });

  it('scrolls as little as possible', () => {
    assert.equal(scrollTop(0, 3, 10, 100), 0);
    assert.equal(scrollTop(0, 10, 10, 100), 1);
    assert.equal(scrollTop(50, 40, 10, 100), 40);
    assert.equal(scrollTop(95, 99, 10, 100), 90);
    assert.equal(scrollTop(5, 0, 10, 3), 0);
  });
});

describe('badges and compact durations', () => {
  it('uses full codes when they fit, short labels when not, and +N past that', () => {
    const v = verdicts[3];
    assert.deepEqual(badges(v.findings, 40).map((b) => b.text), ['long-close-wait', 'long-fin-wait-2']);
    assert.deepEqual(badges(v.findings, 20).map((b) => b.text), ['long-cw', 'long-fw2']);
    assert.deepEqual(badges(v.findings, 10).map((b) => b.text), ['long-cw', '+1']);
    assert.equal(badges(v.findings, 40)[0].tone, 'warning');
    assert.deepEqual(badges([], 10), []);
  });

  it('writes durations in six cells at most', () => {
    const rows: [number, string][] = [[0, '0µs'], [850, '850µs'], [59_100, '59.1ms'], [99_999, '100ms'], [3_210_000, '3.21s'],
      [59_990_000, '1m00s'], [125_000_000, '2m05s'], [3_720_000_000, '1h02m'], [100 * 3_600_000_000, '4d04h']];
    for (const [us, text] of rows) {
      assert.equal(compactDuration(us), text);
      assert.ok(text.length <= 6);
    }
  });
});
