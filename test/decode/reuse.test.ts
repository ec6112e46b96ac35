// One PacketView is reused for every packet and layers are reset lazily (src/decode/clear.ts):
// nothing from an earlier packet may show through in a later one.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DecodeKind, decodePacket, PacketView, TCP_SYN } from '../../src/decode/index.js';
import { ethernet, ipv4, ipv6, tcp, tcpPacket, udp } from '../helpers/frames.js';

function decodeInto(view: PacketView, frame: Buffer, capturedLength = frame.length): DecodeKind {
  return decodePacket(view, 1, frame, 0, capturedLength);
}

const syn = tcpPacket({
  tcp: {
    srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TCP_SYN, window: 5, payload: 6,
    options: [{ kind: 'mss', value: 1460 }, { kind: 'window-scale', shift: 7 }, { kind: 'sack-permitted' },
      { kind: 'timestamps', tsVal: 8, tsEcr: 9 }, { kind: 'sack', blocks: [[10, 11]] }],
  },
});

function assertTcpClear(view: PacketView): void {
  assert.deepEqual(
    [view.srcPort, view.dstPort, view.seq, view.ack, view.flags, view.window, view.tcpHeaderLength,
      view.payloadLength, view.capturedPayloadLength, view.tcpOffset],
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    [view.mss, view.windowScale, view.sackPermitted, view.sackBlockCount, view.hasTimestamp],
    [-1, -1, false, 0, false],
  );
}

function assertIpClear(view: PacketView): void {
  assert.equal(view.ipVersion, 0);
  assert.deepEqual([view.ipProtocol, view.ttl, view.ipTotalLength, view.ipHeaderLength, view.ipId, view.ipOffset], [0, 0, 0, 0, -1, 0]);
  assert.deepEqual([...view.src, ...view.dst], [0, 0, 0, 0, 0, 0, 0, 0]);
}

describe('a reused PacketView', () => {
  it('clears TCP and IP fields when the next packet is ARP', () => {
    const view = new PacketView();
    assert.equal(decodeInto(view, syn), DecodeKind.Tcp);
    assert.equal(view.mss, 1460);
    assert.equal(decodeInto(view, ethernet(Buffer.alloc(28), { etherType: 0x0806 })), DecodeKind.Arp);
    assertTcpClear(view);
    assertIpClear(view);
  });

  it('clears TCP fields but keeps IP fields for UDP', () => {
    const view = new PacketView();
    decodeInto(view, syn);
    assert.equal(decodeInto(view, ethernet(ipv4({ protocol: 17, ttl: 9, payload: udp() }))), DecodeKind.Udp);
    assertTcpClear(view);
    assert.equal(view.ipVersion, 4);
    assert.equal(view.ttl, 9);
  });

  it('drops options the next segment does not carry', () => {
    const view = new PacketView();
    decodeInto(view, syn);
    assert.equal(decodeInto(view, tcpPacket({ tcp: { options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsVal: 1, tsEcr: 2 }] } })), DecodeKind.Tcp);
    assert.deepEqual([view.mss, view.windowScale, view.sackPermitted, view.sackBlockCount], [-1, -1, false, 0]);
    assert.equal(view.tsVal, 1);
    decodeInto(view, tcpPacket());
    assert.equal(view.hasTimestamp, false);
  });

  it('zeroes IPv6 address words when an IPv4 packet follows', () => {
    const view = new PacketView();
    decodeInto(view, ethernet(ipv6({ src: '2001:db8::1', dst: 'fe80::2', payload: tcp() })));
    decodeInto(view, tcpPacket({ src: '10.0.0.9', dst: '10.0.0.10' }));
    assert.deepEqual([...view.src], [0x0a000009, 0, 0, 0]);
    assert.deepEqual([...view.dst], [0x0a00000a, 0, 0, 0]);
  });

  it('leaves nothing behind after truncated and malformed TCP headers', () => {
    const view = new PacketView();
    decodeInto(view, syn);
    assert.equal(decodeInto(view, syn, 14 + 20 + 10), DecodeKind.Truncated);
    assert.equal(view.srcPort, 0);
    assert.equal(view.mss, -1);
    decodeInto(view, syn);
    assert.equal(decodeInto(view, ethernet(ipv4({ payload: tcp({ dataOffset: 3, srcPort: 77 }) }))), DecodeKind.Malformed);
    assert.equal(view.srcPort, 77);
    assert.equal(view.payloadLength, 0);
    assert.equal(view.mss, -1);
  });

  it('clears IP fields after a packet that stops at the link layer', () => {
    const view = new PacketView();
    decodeInto(view, syn);
    assert.equal(decodeInto(view, syn, 10), DecodeKind.Truncated);
    assertIpClear(view);
    assertTcpClear(view);
  });

  it('sees a new buffer when the record buffer changes', () => {
    const view = new PacketView();
    const a = tcpPacket({ tcp: { srcPort: 100 } });
    const b = tcpPacket({ tcp: { srcPort: 200 } });
    decodeInto(view, a);
    assert.equal(view.srcPort, 100);
    decodeInto(view, b);
    assert.equal(view.srcPort, 200);
    assert.equal(view.data, b);
  });
});
