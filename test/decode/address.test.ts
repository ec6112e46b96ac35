import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatAddress } from '../../src/decode/index.js';
import { addressWords } from '../helpers/frames.js';

function words(...values: number[]): Uint32Array {
  return Uint32Array.from([...values, 0, 0, 0, 0].slice(0, 4));
}

describe('formatAddress', () => {
  it('writes IPv4 dotted quads', () => {
    assert.equal(formatAddress(4, words(0x0a000001)), '10.0.0.1');
    assert.equal(formatAddress(4, words(0)), '0.0.0.0');
    assert.equal(formatAddress(4, words(0xffffffff)), '255.255.255.255');
    assert.equal(formatAddress(4, words(0xc0000201)), '192.0.2.1');
  });

  // RFC 5952 section 4 examples and rules, plus edges of the zero-run search.
  const rows: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], // 4.1 leading zeros, 4.2.1 longest run
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2 one zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3 the first of equal runs
    ['2001:DB8:0:0:AAAA:0:0:1', '2001:db8::aaaa:0:0:1'], // 4.3 lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['0:0:1:0:0:0:0:0', '0:0:1::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'], // section 5: IPv4-mapped in dotted form
    ['0:0:0:0:0:ffff:0:0', '::ffff:0.0.0.0'],
    ['0:0:0:0:ffff:0:c000:201', '::ffff:0:c000:201'], // not mapped: plain hex
    ['0:0:0:0:0:0:c000:201', '::c000:201'], // deprecated IPv4-compatible: plain hex
    ['64:ff9b:0:0:0:0:c000:201', '64:ff9b::c000:201'],
    ['2001:db8:85a3:0:0:8a2e:370:7334', '2001:db8:85a3::8a2e:370:7334'],
  ];
  for (const [input, expected] of rows) {
    it(`writes ${input} as ${expected}`, () => {
      assert.equal(formatAddress(6, Uint32Array.from(addressWords(input))), expected);
    });
  }
});
