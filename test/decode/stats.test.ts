import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DecodeKind, DecodeStats, decodePacket, MAX_DECODE_EXAMPLES, PacketView } from '../../src/decode/index.js';
import { ethernet, ipv4, tcp, tcpPacket, udp } from '../helpers/frames.js';

function feed(stats: DecodeStats, linkType: number, frames: Buffer[], firstNumber = 1): void {
  const view = new PacketView();
  frames.forEach((frame, i) => {
    decodePacket(view, linkType, frame, 0, frame.length);
    stats.record(view, firstNumber + i);
  });
}

describe('DecodeStats', () => {
  const good = tcpPacket();
  const badIhl = ethernet(ipv4({ ihl: 3, payload: tcp() }));
  const cut = tcpPacket().subarray(0, 40);
  const tso = ethernet(ipv4({ totalLength: 0, payload: tcp({ options: Uint8Array.from([2, 0, 0, 0]), payload: 10 }) }));
  const dgram = ethernet(ipv4({ protocol: 17, payload: udp() }));

  it('counts kinds, reasons, anomalies and keeps examples', () => {
    const stats = new DecodeStats();
    feed(stats, 1, [good, badIhl, cut, tso, dgram, good]);
    assert.equal(stats.packets, 6);
    const json = stats.toJSON();
    assert.equal(json.packets, 6);
    assert.equal(json.byKind.tcp, 3);
    assert.equal(json.byKind.malformed, 1);
    assert.equal(json.byKind.truncated, 1);
    assert.equal(json.byKind.udp, 1);
    assert.equal(json.byKind['unsupported-link'], 0);
    assert.equal(Object.keys(json.byKind).length, 11);
    assert.deepEqual(json.malformedReasons, { 'ipv4-ihl': 1 });
    assert.deepEqual(json.truncatedReasons, { 'tcp-truncated': 1 });
    assert.deepEqual(json.anomalies, { 'ipv4-total-length-zero': 1, 'tcp-options': 1 });
    assert.deepEqual(json.examples, [
      { packetNumber: 2, kind: 'malformed', problem: 'ipv4-ihl' },
      { packetNumber: 3, kind: 'truncated', problem: 'tcp-truncated' },
    ]);
    assert.doesNotThrow(() => JSON.stringify(stats));
  });

  it('keeps only the first examples', () => {
    const stats = new DecodeStats();
    feed(stats, 1, new Array<Buffer>(MAX_DECODE_EXAMPLES + 20).fill(badIhl));
    assert.equal(stats.toJSON().malformedReasons['ipv4-ihl'], MAX_DECODE_EXAMPLES + 20);
    assert.equal(stats.examples.length, MAX_DECODE_EXAMPLES);
    assert.equal(stats.examples[0].packetNumber, 1);
  });

  it('merges another input', () => {
    const a = new DecodeStats();
    const b = new DecodeStats();
    feed(a, 1, [good, badIhl]);
    feed(b, 1, [badIhl, cut, tso], 1);
    feed(b, 999, [good], 4);
    a.merge(b);
    const json = a.toJSON();
    assert.equal(json.packets, 6);
    assert.equal(json.byKind.tcp, 2);
    assert.equal(json.byKind['unsupported-link'], 1);
    assert.deepEqual(json.malformedReasons, { 'ipv4-ihl': 2 });
    assert.equal(json.examples.length, 3);
    assert.equal(a.byKind[DecodeKind.Truncated], 1);
  });
});
