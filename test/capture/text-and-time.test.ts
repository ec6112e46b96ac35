// sanitizeText, and the exact 64-bit timestamp split checked against BigInt arithmetic.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeText } from '../../src/capture/index.js';
import { emptyCaptureRecord } from '../../src/capture/reader-state.js';
import { scaleFromTsresol, setTimestamp } from '../../src/capture/timestamp.js';

describe('sanitizeText', () => {
  const cases: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['caf\u00e9 \u65e5\u672c', 'caf\u00e9 \u65e5\u672c'],
    ['red\u001b[31mtext\u001b[0m', 'redtext'],
    ['title\u001b]0;pwned\u0007!', 'title!'],
    ['osc st\u001b]8;;http://x\u001b\\link', 'osc stlink'],
    ['lone \u001b escape', 'lone  escape'],
    ['c1\u0085\u009b2Jx', 'c1x'],
    ['del\u007f', 'del'],
    ['bell\u0007 nul\u0000', 'bell nul'],
    ['multi\r\nline\ttext', 'multi line text'],
    ['abc\u202edcba\u202c', 'abcdcba'],
    ['\u2066isolate\u2069 \u200fmark\u200e \u061c', 'isolate mark '],
  ];
  for (const [input, expected] of cases) {
    // The test name itself must not carry the characters under test to the terminal.
    const shown = JSON.stringify(input).replace(/[^ -~]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    it(`cleans ${shown}`, () => assert.equal(sanitizeText(input), expected));
  }
});

describe('pcapng timestamps', () => {
  function reference(high: number, low: number, tsresol: number, offset: number): [number, number] {
    const exponent = BigInt(tsresol & 0x7f);
    const units = (tsresol & 0x80) === 0 ? 10n ** exponent : 1n << exponent;
    const ts = (BigInt(high) << 32n) | BigInt(low);
    return [Number(ts / units) + offset, Number(((ts % units) * 1_000_000_000n) / units)];
  }

  it('matches BigInt arithmetic for every resolution on random and edge values', () => {
    const record = emptyCaptureRecord();
    const resolutions = [0, 1, 3, 6, 9, 10, 12, 15, 19, 0x80, 0x80 | 10, 0x80 | 20, 0x80 | 24, 0x80 | 30, 0x80 | 32, 0x80 | 40, 0x80 | 63];
    const words = [0, 1, 0xfffff, 0x100000, 0x3b9ac9ff, 0x3b9aca00, 0x7fffffff, 0x80000000, 0xffffffff];
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed;
    };
    for (let i = 0; i < 2000; i++) words.push(i % 2 === 0 ? random() : random() >>> (random() % 32));
    for (const tsresol of resolutions) {
      const scale = scaleFromTsresol(tsresol, 7);
      for (let i = 0; i < words.length; i++) {
        const high = words[i];
        const low = words[(i * 7 + 3) % words.length];
        setTimestamp(record, high, low, scale);
        assert.deepEqual([record.tsSec, record.tsNsec], reference(high, low, tsresol, 7), `tsresol ${tsresol} high ${high} low ${low}`);
      }
    }
  });
});
