import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DecodeKind, isSupportedLinkType, LINK_TYPE_NAMES, TCP_SYN } from '../../src/decode/index.js';
import {
  ethernet, ipv4, ipv6, linkFrame, loop, nullLoopback, sll, sll2, tcp, tcpPacket,
} from '../helpers/frames.js';
import { decodeFrame } from './decode-helper.js';

const segment = tcp({ srcPort: 1234, dstPort: 80, seq: 42, flags: TCP_SYN });
const v4 = ipv4({ payload: segment });
const v6 = ipv6({ payload: segment });

describe('link types', () => {
  const rows: Array<{ name: string; linkType: number; frame: Buffer; ipVersion: 4 | 6 }> = [
    { name: 'Ethernet IPv4', linkType: 1, frame: ethernet(v4), ipVersion: 4 },
    { name: 'Ethernet IPv6', linkType: 1, frame: ethernet(v6), ipVersion: 6 },
    { name: 'SLL IPv4', linkType: 113, frame: sll(v4), ipVersion: 4 },
    { name: 'SLL IPv6', linkType: 113, frame: sll(v6, { packetType: 4 }), ipVersion: 6 },
    { name: 'SLL2 IPv4', linkType: 276, frame: sll2(v4), ipVersion: 4 },
    { name: 'SLL2 IPv6', linkType: 276, frame: sll2(v6, { interfaceIndex: 7 }), ipVersion: 6 },
    { name: 'NULL little-endian AF_INET', linkType: 0, frame: nullLoopback(v4), ipVersion: 4 },
    { name: 'NULL big-endian AF_INET', linkType: 0, frame: nullLoopback(v4, { byteOrder: 'big' }), ipVersion: 4 },
    { name: 'NULL AF_INET6 24 (NetBSD/OpenBSD)', linkType: 0, frame: nullLoopback(v6, { family: 24 }), ipVersion: 6 },
    { name: 'NULL AF_INET6 28 (FreeBSD)', linkType: 0, frame: nullLoopback(v6, { family: 28 }), ipVersion: 6 },
    { name: 'NULL AF_INET6 30 (Darwin)', linkType: 0, frame: nullLoopback(v6, { family: 30 }), ipVersion: 6 },
    { name: 'NULL big-endian AF_INET6 30', linkType: 0, frame: nullLoopback(v6, { family: 30, byteOrder: 'big' }), ipVersion: 6 },
    { name: 'LOOP AF_INET', linkType: 108, frame: loop(v4), ipVersion: 4 },
    { name: 'LOOP AF_INET6 24', linkType: 108, frame: loop(v6), ipVersion: 6 },
    { name: 'RAW (101) IPv4', linkType: 101, frame: v4, ipVersion: 4 },
    { name: 'RAW (101) IPv6', linkType: 101, frame: v6, ipVersion: 6 },
    { name: 'DLT_RAW 12 IPv4', linkType: 12, frame: v4, ipVersion: 4 },
    { name: 'DLT_RAW 12 IPv6', linkType: 12, frame: v6, ipVersion: 6 },
    { name: 'DLT_RAW 14 IPv4', linkType: 14, frame: v4, ipVersion: 4 },
    { name: 'DLT_RAW 14 IPv6', linkType: 14, frame: v6, ipVersion: 6 },
    { name: 'IPV4 (228)', linkType: 228, frame: v4, ipVersion: 4 },
    { name: 'IPV6 (229)', linkType: 229, frame: v6, ipVersion: 6 },
  ];
  for (const row of rows) {
    it(`decodes TCP over ${row.name}`, () => {
      const view = decodeFrame(row.linkType, row.frame);
      assert.equal(view.kind, DecodeKind.Tcp, view.problem);
      assert.equal(view.linkType, row.linkType);
      assert.equal(view.ipVersion, row.ipVersion);
      assert.equal(view.srcPort, 1234);
      assert.equal(view.dstPort, 80);
      assert.equal(view.seq, 42);
      assert.equal(view.flags, TCP_SYN);
      assert.equal(view.payloadLength, 0);
      assert.equal(view.ipOffset, 7 + row.frame.length - (row.ipVersion === 4 ? v4 : v6).length);
      assert.ok(isSupportedLinkType(row.linkType));
    });
  }

  it('linkFrame builds every supported link type', () => {
    for (const linkType of [0, 1, 12, 14, 101, 108, 113, 276]) {
      assert.equal(decodeFrame(linkType, linkFrame(linkType, v4)).kind, DecodeKind.Tcp, `link ${linkType}`);
    }
  });

  it('calls unknown link types unsupported, and names them', () => {
    for (const linkType of [105, 127, 9, 239, 65535]) {
      const view = decodeFrame(linkType, v4);
      assert.equal(view.kind, DecodeKind.UnsupportedLink);
      assert.equal(isSupportedLinkType(linkType), false);
    }
    assert.equal(LINK_TYPE_NAMES[1], 'EN10MB');
    assert.equal(LINK_TYPE_NAMES[113], 'LINUX_SLL');
    assert.equal(LINK_TYPE_NAMES[276], 'LINUX_SLL2');
    assert.equal(LINK_TYPE_NAMES[0], 'NULL');
    assert.equal(LINK_TYPE_NAMES[108], 'LOOP');
    assert.equal(LINK_TYPE_NAMES[101], 'RAW');
    assert.equal(LINK_TYPE_NAMES[228], 'IPV4');
    assert.equal(LINK_TYPE_NAMES[229], 'IPV6');
  });

  it('treats a wrong version nibble on raw links as malformed', () => {
    const bad = Buffer.from(v4);
    bad[0] = 0x55;
    for (const linkType of [101, 12, 14, 228]) {
      const view = decodeFrame(linkType, bad);
      assert.equal(view.kind, DecodeKind.Malformed);
      assert.equal(view.problem, 'ip-version');
    }
    assert.equal(decodeFrame(229, v4).problem, 'ip-version');
    assert.equal(decodeFrame(228, v6).problem, 'ip-version');
    assert.equal(decodeFrame(1, ethernet(v6, { etherType: 0x0800 })).problem, 'ip-version');
  });
});

describe('VLAN tags', () => {
  const rows: Array<{ name: string; vlans: Array<{ id: number; tpid?: number }>; depth: number; id: number }> = [
    { name: '802.1Q', vlans: [{ id: 100 }], depth: 1, id: 100 },
    { name: '802.1ad QinQ', vlans: [{ id: 200, tpid: 0x88a8 }, { id: 300 }], depth: 2, id: 200 },
    { name: '0x9100 legacy QinQ', vlans: [{ id: 4000, tpid: 0x9100 }, { id: 5 }], depth: 2, id: 4000 },
    { name: 'triple stack', vlans: [{ id: 1, tpid: 0x88a8 }, { id: 2, tpid: 0x8100 }, { id: 3 }], depth: 3, id: 1 },
    { name: 'eight tags (the limit)', vlans: Array.from({ length: 8 }, (_, i) => ({ id: i + 10 })), depth: 8, id: 10 },
  ];
  for (const row of rows) {
    it(`strips ${row.name}`, () => {
      const frame = ethernet(v4, { vlans: row.vlans.map((v) => ({ ...v, priority: 5 })) });
      const view = decodeFrame(1, frame);
      assert.equal(view.kind, DecodeKind.Tcp, view.problem);
      assert.equal(view.vlanDepth, row.depth);
      assert.equal(view.vlanId, row.id);
      assert.equal(view.ipOffset, 7 + 14 + 4 * row.depth);
    });
  }

  it('calls nine tags malformed (vlan-depth)', () => {
    const view = decodeFrame(1, ethernet(v4, { vlans: Array.from({ length: 9 }, (_, i) => ({ id: i })) }));
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'vlan-depth');
  });

  it('follows tags in cooked captures too', () => {
    const tagged = Buffer.concat([Buffer.from([0x00, 0x64, 0x08, 0x00]), v4]);
    for (const [linkType, frame] of [[113, sll(tagged, { protocol: 0x8100 })], [276, sll2(tagged, { protocol: 0x8100 })]] as const) {
      const view = decodeFrame(linkType, frame);
      assert.equal(view.kind, DecodeKind.Tcp, view.problem);
      assert.equal(view.vlanId, 100);
    }
  });

  it('calls a tag cut by the capture truncated', () => {
    const frame = ethernet(v4, { vlans: [{ id: 7 }] });
    const view = decodeFrame(1, frame, 16);
    assert.equal(view.kind, DecodeKind.Truncated);
    assert.equal(view.problem, 'link-truncated');
  });

  it('leaves vlanId -1 without tags', () => {
    const view = decodeFrame(1, ethernet(v4));
    assert.equal(view.vlanDepth, 0);
    assert.equal(view.vlanId, -1);
  });
});

describe('non-IP link payloads', () => {
  const arp = Buffer.alloc(28, 1);
  const rows: Array<{ name: string; linkType: number; frame: Buffer; kind: DecodeKind }> = [
    { name: 'Ethernet ARP', linkType: 1, frame: ethernet(arp, { etherType: 0x0806 }), kind: DecodeKind.Arp },
    { name: 'ARP behind a VLAN tag', linkType: 1, frame: ethernet(arp, { etherType: 0x0806, vlans: [{ id: 9 }] }), kind: DecodeKind.Arp },
    { name: 'SLL ARP', linkType: 113, frame: sll(arp, { protocol: 0x0806 }), kind: DecodeKind.Arp },
    { name: 'SLL2 ARP', linkType: 276, frame: sll2(arp, { protocol: 0x0806 }), kind: DecodeKind.Arp },
    { name: 'LLDP', linkType: 1, frame: ethernet(Buffer.alloc(30), { etherType: 0x88cc }), kind: DecodeKind.OtherLink },
    { name: '802.3 length field (STP LLC)', linkType: 1, frame: ethernet(Buffer.alloc(38), { etherType: 38 }), kind: DecodeKind.OtherLink },
    { name: '802.3 length 1500', linkType: 1, frame: ethernet(Buffer.alloc(46), { etherType: 1500 }), kind: DecodeKind.OtherLink },
    { name: 'SLL 802.2 LLC (protocol 4)', linkType: 113, frame: sll(Buffer.alloc(20), { protocol: 4 }), kind: DecodeKind.OtherLink },
    { name: 'NULL AF 7 (OSI)', linkType: 0, frame: nullLoopback(v4, { family: 7 }), kind: DecodeKind.OtherLink },
    { name: 'NULL AF_INET6 10 (Linux value, not BSD)', linkType: 0, frame: nullLoopback(v6, { family: 10 }), kind: DecodeKind.OtherLink },
    { name: 'LOOP little-endian family is not a family', linkType: 108, frame: Buffer.concat([Buffer.from([2, 0, 0, 0]), v4]), kind: DecodeKind.OtherLink },
  ];
  for (const row of rows) {
    it(`counts ${row.name}`, () => {
      const view = decodeFrame(row.linkType, row.frame);
      assert.equal(view.kind, row.kind);
      assert.equal(view.ipVersion, 0);
    });
  }
});

describe('link headers cut short', () => {
  const rows: Array<[string, number, Buffer, number]> = [
    ['Ethernet', 1, ethernet(v4), 13],
    ['SLL', 113, sll(v4), 15],
    ['SLL2', 276, sll2(v4), 19],
    ['NULL', 0, nullLoopback(v4), 3],
    ['LOOP', 108, loop(v4), 3],
    ['RAW empty', 101, v4, 0],
  ];
  for (const [name, linkType, frame, cut] of rows) {
    it(`calls a ${name} header cut at ${cut} bytes truncated`, () => {
      const view = decodeFrame(linkType, frame, cut);
      assert.equal(view.kind, DecodeKind.Truncated);
      assert.match(view.problem, /truncated$/);
    });
  }

  it('never reads past the buffer even when capturedLength lies', () => {
    const frame = tcpPacket();
    const view = decodeFrame(1, frame, frame.length + 10_000);
    assert.equal(view.kind, DecodeKind.Tcp);
  });
});
