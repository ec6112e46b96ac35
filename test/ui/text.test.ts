// Cell-width arithmetic: every line the UI draws is cut here, so it must count cells as terminals do.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fitLine, lineText, lineWidth, span } from '../../src/ui/lines.js';
import { displayWidth, fit, fitRight, formatBytes, groupDigits, truncate, truncateMiddle, wrap } from '../../src/ui/text.js';

describe('text cells', () => {
  it('counts ASCII, box drawing, CJK and combining marks as terminals do', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('│─→▁█'), 5);
    assert.equal(displayWidth('接続'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth(''), 0);
  });

  it('truncates with an ellipsis, never past the width, even across wide characters', () => {
    assert.equal(truncate('hello world', 5), 'hell…');
    assert.equal(truncate('hello', 5), 'hello');
    assert.equal(truncate('hello', 0), '');
    assert.equal(truncate('接続テスト', 5), '接続…');
    for (let w = 0; w < 12; w++) assert.ok(displayWidth(truncate('接続テストabc', w)) <= w);
  });

  it('cuts addresses in the middle so both ends stay readable', () => {
    assert.equal(truncateMiddle('10.10.0.1:40000→10.10.0.2:8080', 20), '10.10.0.1:….0.2:8080');
    assert.equal(displayWidth(truncateMiddle('10.10.0.1:40000→10.10.0.2:8080', 20)), 20);
  });

  it('fits to exact widths', () => {
    assert.equal(fit('ab', 4), 'ab  ');
    assert.equal(fitRight('ab', 4), '  ab');
    assert.equal(fit('abcdef', 4), 'abc…');
  });

  it('wraps at spaces with a hanging indent for list items', () => {
    assert.deepEqual(wrap('one two three four', 9), ['one two', 'three', 'four']);
    assert.deepEqual(wrap('  - alpha beta gamma', 12), ['  - alpha', '    beta', '    gamma']);
    assert.deepEqual(wrap('a\n\nb', 10), ['a', '', 'b']);
    for (const line of wrap('x'.repeat(30) + ' y', 10)) assert.ok(displayWidth(line) <= 10);
  });

  it('groups digits and prints byte counts', () => {
    assert.equal(groupDigits(1234567), '1 234 567');
    assert.equal(groupDigits(12), '12');
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(58_000), '58.0 kB');
    assert.equal(formatBytes(1_234_567), '1.23 MB');
  });

  it('cuts lines of spans to the width and shows where it cut', () => {
    const line = [span('abc', 'bold'), span('defg'), span('hij', 'dim')];
    assert.equal(lineText(fitLine(line, 10)), 'abcdefghij');
    assert.equal(lineText(fitLine(line, 7)), 'abcdef…');
    assert.equal(lineText(fitLine(line, 3)), 'ab…');
    assert.equal(lineWidth(fitLine(line, 12, 'plain')), 12);
    for (let w = 0; w < 14; w++) assert.ok(lineWidth(fitLine(line, w)) <= w);
  });
});
