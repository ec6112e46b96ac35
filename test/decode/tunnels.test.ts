// Tunnels and PPPoE: the view must describe the inner IP/TCP, say how it got there
// (tunnelDepth, tunnelKind), keep ordinary UDP on tunnel ports as udp, and turn cut or lying inner
// headers into Truncated / Malformed with a reason. Hand-built frames first (every encapsulation,
// inner IPv4 and IPv6, bad headers, the depth bound, mutations), then corpus captures against
// tshark's inner TCP fields.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { readCapture } from '../../src/capture/index.js';
import {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, DecodeKind, decodePacket, DecodeStats, MAX_TUNNEL_DEPTH, PacketView, TCP_ACK,
  TCP_PSH, TCP_SYN, TUNNEL_ERSPAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_GTP_U, TUNNEL_IP_IN_IP, TUNNEL_IPV6_IN_IP,
  TUNNEL_KIND_NAMES, TUNNEL_NONE, TUNNEL_PPPOE, TUNNEL_TEREDO, TUNNEL_VXLAN,
} from '../../src/decode/index.js';
import { addressWords, ethernet, ipv4, ipv6, tcp, udp, xorshift32 } from '../helpers/frames.js';
import { findTshark } from '../helpers/tshark.js';
import {
  ETHERTYPE_PPPOE_SESSION, ETHERTYPE_VNTAG, erspan2, erspan3, geneve, gre, gtpU, ieee80211, PORT_GENEVE, PORT_GTP_U,
  PORT_TEREDO, PORT_VXLAN, ppp, pppoe, teredo, vntag, vxlan,
} from '../helpers/tunnel-frames.js';
import { decodeFrame } from './decode-helper.js';

const ETHERNET = 1;
const INNER_V4 = { src: '172.16.0.1', dst: '172.16.0.2' };
const INNER_V6 = { src: 'fd00::1', dst: 'fd00::2' };
const OUTER_V4 = { src: '192.0.2.1', dst: '192.0.2.2' };

function segment(payload = 100): Buffer {
  return tcp({ srcPort: 40404, dstPort: 443, seq: 0xdeadbeef, ack: 7, flags: TCP_ACK | TCP_PSH, payload });
}

function innerIp(version: 4 | 6, payload = 100): Buffer {
  return version === 4 ? ipv4({ ...INNER_V4, payload: segment(payload) }) : ipv6({ ...INNER_V6, payload: segment(payload) });
}

/** Outer Ethernet + IPv4 (or IPv6) + UDP to `dstPort`. */
function overUdp(payload: Uint8Array, dstPort: number, spec: { srcPort?: number; outer?: 4 | 6 } = {}): Buffer {
  const datagram = udp({ srcPort: spec.srcPort ?? 50000, dstPort, payload });
  return ethernet(spec.outer === 6
    ? ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: 17, payload: datagram })
    : ipv4({ ...OUTER_V4, protocol: 17, payload: datagram }));
}

function overIp(protocol: number, payload: Uint8Array, outer: 4 | 6 = 4): Buffer {
  return ethernet(outer === 6
    ? ipv6({ src: '2001:db8::a', dst: '2001:db8::b', nextHeader: protocol, payload })
    : ipv4({ ...OUTER_V4, protocol, payload }));
}

/** The inner TCP packet reached: inner addresses, ports, sequence, lengths, and how it was tunnelled. */
function assertInnerTcp(view: PacketView, version: 4 | 6, tunnelKind: number, depth = 1, payload = 100): void {
  assert.equal(view.problem, '');
  assert.equal(view.kind, DecodeKind.Tcp);
  assert.equal(view.ipVersion, version);
  const inner = version === 4 ? INNER_V4 : INNER_V6;
  assert.deepEqual([...view.src], addressWords(inner.src));
  assert.deepEqual([...view.dst], addressWords(inner.dst));
  assert.equal(view.srcPort, 40404);
  assert.equal(view.dstPort, 443);
  assert.equal(view.seq, 0xdeadbeef);
  assert.equal(view.flags, TCP_ACK | TCP_PSH);
  assert.equal(view.payloadLength, payload);
  assert.equal(view.capturedPayloadLength, payload);
  assert.equal(view.tunnelDepth, depth);
  assert.equal(view.tunnelKind, tunnelKind);
  assert.equal(view.anomalies, 0);
  // The IP header the view points at is the inner one.
  assert.equal(view.data[view.ipOffset] >>> 4, version);
  assert.equal(view.data.readUInt16BE(view.tcpOffset), 40404);
}

function assertNotTunnelled(view: PacketView, kind: DecodeKind): void {
  assert.equal(view.kind, kind, view.problem);
  assert.equal(view.tunnelDepth, 0);
  assert.equal(view.tunnelKind, TUNNEL_NONE);
}

describe('tunnels: each encapsulation, inner IPv4 and IPv6', () => {
  const rows: Array<{ name: string; kind: number; frame: (inner: 4 | 6) => Buffer }> = [
    { name: 'IP-in-IP (proto 4) / 6in4 (proto 41)', kind: -1, frame: (v) => overIp(v === 4 ? 4 : 41, innerIp(v)) },
    { name: 'the same inside IPv6 (DS-Lite, IPv6-in-IPv6)', kind: -1, frame: (v) => overIp(v === 4 ? 4 : 41, innerIp(v), 6) },
    { name: 'GRE', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(innerIp(v))) },
    { name: 'GRE with checksum, key and sequence', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(innerIp(v), { checksum: true, key: 9, sequence: 3 })) },
    { name: 'GRE transparent Ethernet bridging (0x6558)', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(ethernet(innerIp(v)), { key: 1 })) },
    { name: 'GRE over IPv6', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(innerIp(v)), 6) },
    { name: 'PPTP (GRE version 1, PPP)', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(ppp(innerIp(v)), { version: 1, protocol: 0x880b, key: 0x00400001, sequence: 2, ack: 1 })) },
    { name: 'PPTP with compressed PPP header', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(ppp(innerIp(v), { addressControl: false, compressed: true }), { version: 1, protocol: 0x880b, key: 1 })) },
    { name: 'ERSPAN type I (no sequence, no header)', kind: TUNNEL_ERSPAN, frame: (v) => overIp(47, gre(ethernet(innerIp(v)), { protocol: 0x88be })) },
    { name: 'ERSPAN type II', kind: TUNNEL_ERSPAN, frame: (v) => overIp(47, gre(erspan2(ethernet(innerIp(v))), { protocol: 0x88be, sequence: 77 })) },
    { name: 'ERSPAN type III', kind: TUNNEL_ERSPAN, frame: (v) => overIp(47, gre(erspan3(ethernet(innerIp(v))), { protocol: 0x22eb, sequence: 1 })) },
    { name: 'ERSPAN type III with platform subheader', kind: TUNNEL_ERSPAN, frame: (v) => overIp(47, gre(erspan3(ethernet(innerIp(v)), { optional: true }), { protocol: 0x22eb, sequence: 1 })) },
    { name: 'ERSPAN type III carrying an IP packet (frame type 2)', kind: TUNNEL_ERSPAN, frame: (v) => overIp(47, gre(erspan3(innerIp(v), { frameType: 2 }), { protocol: 0x22eb })) },
    { name: 'Aruba GRE (802.11 QoS data)', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(ieee80211(innerIp(v), v === 4 ? 0x0800 : 0x86dd), { protocol: 0x8200 })) },
    { name: 'Aruba GRE (802.11 A-MSDU, 4 addresses, HT control)', kind: TUNNEL_GRE, frame: (v) => overIp(47, gre(ieee80211(innerIp(v), v === 4 ? 0x0800 : 0x86dd, { amsdu: true, fourAddresses: true, htControl: true }), { protocol: 0x8210 })) },
    { name: 'VXLAN', kind: TUNNEL_VXLAN, frame: (v) => overUdp(vxlan(ethernet(innerIp(v))), PORT_VXLAN) },
    { name: 'VXLAN with an 802.1Q tag inside, over IPv6', kind: TUNNEL_VXLAN, frame: (v) => overUdp(vxlan(ethernet(innerIp(v), { vlans: [{ id: 30 }] })), PORT_VXLAN, { outer: 6 }) },
    { name: 'VXLAN on the source port', kind: TUNNEL_VXLAN, frame: (v) => overUdp(vxlan(ethernet(innerIp(v))), 9999, { srcPort: PORT_VXLAN }) },
    { name: 'Geneve (Ethernet)', kind: TUNNEL_GENEVE, frame: (v) => overUdp(geneve(ethernet(innerIp(v))), PORT_GENEVE) },
    { name: 'Geneve (IP) with options', kind: TUNNEL_GENEVE, frame: (v) => overUdp(geneve(innerIp(v), { options: Buffer.alloc(12, 0x11) }), PORT_GENEVE) },
    { name: 'GTP-U', kind: TUNNEL_GTP_U, frame: (v) => overUdp(gtpU(innerIp(v)), PORT_GTP_U, { srcPort: PORT_GTP_U }) },
    { name: 'GTP-U with sequence number (flags 0x32)', kind: TUNNEL_GTP_U, frame: (v) => overUdp(gtpU(innerIp(v), { sequence: 513 }), PORT_GTP_U) },
    { name: 'GTP-U with extension headers', kind: TUNNEL_GTP_U, frame: (v) => overUdp(gtpU(innerIp(v), { extensions: [[0x00, 0x09], [1, 2, 3, 4, 5]] }), PORT_GTP_U) },
    { name: 'PPPoE', kind: TUNNEL_PPPOE, frame: (v) => ethernet(pppoe(innerIp(v)), { etherType: ETHERTYPE_PPPOE_SESSION }) },
    { name: 'PPPoE over QinQ', kind: TUNNEL_PPPOE, frame: (v) => ethernet(pppoe(innerIp(v)), { etherType: ETHERTYPE_PPPOE_SESSION, vlans: [{ id: 10, tpid: 0x88a8 }, { id: 20 }] }) },
  ];
  for (const row of rows) {
    for (const version of [4, 6] as const) {
      it(`${row.name}, inner IPv${version}`, () => {
        const view = decodeFrame(ETHERNET, row.frame(version));
        const kind = row.kind >= 0 ? row.kind : version === 4 ? TUNNEL_IP_IN_IP : TUNNEL_IPV6_IN_IP;
        assertInnerTcp(view, version, kind);
      });
    }
  }

  it('Teredo on port 3544: bare, with origin indication, with authentication and origin', () => {
    const v6 = ipv6({ src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: INNER_V6.dst, payload: segment() });
    for (const spec of [{}, { origin: true }, { auth: { idLength: 3, authLength: 5 }, origin: true }]) {
      const view = decodeFrame(ETHERNET, overUdp(teredo(v6, spec), PORT_TEREDO, { srcPort: 1024 }));
      assert.equal(view.kind, DecodeKind.Tcp, JSON.stringify(spec));
      assert.equal(view.tunnelKind, TUNNEL_TEREDO);
      assert.equal(view.dstPort, 443);
      assert.deepEqual([...view.src], addressWords('2001:0:4136:e378:8000:63bf:3fff:fdd2'));
    }
  });

  it('Teredo between clients on other ports, recognised by the 2001:0::/32 prefix', () => {
    const v6 = ipv6({ src: '2001:0:4137:9e50:8000:f12a:b9c8:2815', dst: '2001:4860:0:2001::68', payload: segment() });
    const view = decodeFrame(ETHERNET, overUdp(v6, 32900, { srcPort: 3797 }));
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.tunnelKind, TUNNEL_TEREDO);
    // Without the prefix, IPv6 in UDP on an unknown port is left alone.
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(innerIp(6), 32900, { srcPort: 3797 })), DecodeKind.Udp);
  });

  it('WCCP redirection in GRE, with and without the version 2 redirect header', () => {
    for (const header of [Buffer.alloc(0), Buffer.from([0x00, 0x00, 0x00, 0x3d])]) {
      assertInnerTcp(decodeFrame(ETHERNET, overIp(47, gre(Buffer.concat([header, innerIp(4)]), { protocol: 0x883e }))), 4, TUNNEL_GRE);
    }
  });

  it('PPPoE length bounds the inner packet: padding an IP length claims is not payload', () => {
    // A bare ACK whose IP total length also counts the 6 bytes of Ethernet padding after it.
    const ack = ipv4({ ...INNER_V4, totalLength: 46, payload: Buffer.concat([tcp({ srcPort: 443, dstPort: 20394, flags: TCP_ACK }), Buffer.alloc(6)]) });
    const body = pppoe(ack);
    body.writeUInt16BE(2 + 40, 4);
    const view = decodeFrame(ETHERNET, ethernet(body, { etherType: ETHERTYPE_PPPOE_SESSION }));
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.payloadLength, 0);
    assert.equal(view.anomalies, ANOMALY_IP_LENGTH_EXCEEDS_FRAME);
    // A PPPoE length past the frame is ignored (the IP length decides).
    const long = pppoe(innerIp(4));
    long.writeUInt16BE(4000, 4);
    assertInnerTcp(decodeFrame(ETHERNET, ethernet(long, { etherType: ETHERTYPE_PPPOE_SESSION }), undefined, 14 + long.length), 4, TUNNEL_PPPOE);
  });

  it('VNTag between two VLAN tags (the VLAN sandwich)', () => {
    const frame = ethernet(vntag(Buffer.concat([Buffer.from([0x00, 0x14, 0x08, 0x00]), innerIp(4)]), 0x8100), { etherType: ETHERTYPE_VNTAG, vlans: [{ id: 10 }] });
    const view = decodeFrame(ETHERNET, frame);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.vlanDepth, 2);
    assert.equal(view.vlanId, 10);
    assert.equal(view.tunnelDepth, 0, 'a tag, not a tunnel');
    assert.equal(view.srcPort, 40404);
  });

  it('a tunnel inside a tunnel: GRE in VXLAN; the innermost kind is kept', () => {
    const frame = overUdp(vxlan(ethernet(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47, payload: gre(innerIp(6)) }))), PORT_VXLAN);
    assertInnerTcp(decodeFrame(ETHERNET, frame), 6, TUNNEL_GRE, 2);
  });
});

describe('tunnels: ordinary traffic stays what it was', () => {
  it('UDP on the tunnel ports whose header does not validate', () => {
    const dnsLike = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 3, 0x77, 0x77, 0x77, 0, 0, 1, 0, 1]);
    for (const port of [PORT_VXLAN, PORT_GENEVE, PORT_GTP_U, PORT_TEREDO]) {
      assertNotTunnelled(decodeFrame(ETHERNET, overUdp(dnsLike, port)), DecodeKind.Udp);
      assertNotTunnelled(decodeFrame(ETHERNET, overUdp(Buffer.alloc(0), port)), DecodeKind.Udp);
    }
  });

  it('VXLAN without the I flag, Geneve version 1, unknown Geneve protocol', () => {
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(vxlan(ethernet(innerIp(4)), { flags: 0 }), PORT_VXLAN)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(geneve(ethernet(innerIp(4)), { version: 1 }), PORT_GENEVE)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(geneve(innerIp(4), { protocol: 0x8847 }), PORT_GENEVE)), DecodeKind.Udp);
  });

  it('VXLAN/Geneve frames that are not IP: ARP counts as arp, LLDP leaves the packet udp', () => {
    const arp = ethernet(Buffer.alloc(28), { etherType: 0x0806 });
    const view = decodeFrame(ETHERNET, overUdp(vxlan(arp), PORT_VXLAN));
    assert.equal(view.kind, DecodeKind.Arp);
    assert.equal(view.tunnelKind, TUNNEL_VXLAN);
    const lldp = ethernet(Buffer.alloc(40), { etherType: 0x88cc, vlans: [{ id: 5 }] });
    const other = decodeFrame(ETHERNET, overUdp(geneve(lldp), PORT_GENEVE));
    assertNotTunnelled(other, DecodeKind.Udp);
    assert.equal(other.vlanDepth, 0);
    assert.equal(other.vlanId, -1);
    assert.deepEqual([...other.src], addressWords(OUTER_V4.src), 'the outer header is still described');
  });

  it('GTP signalling (echo request, version 2, GTP\') and a G-PDU without an IP packet', () => {
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(gtpU(innerIp(4), { type: 1 }), PORT_GTP_U)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(gtpU(innerIp(4), { flags: 0x48 }), PORT_GTP_U)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(gtpU(innerIp(4), { flags: 0x20 }), PORT_GTP_U)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(gtpU(Buffer.alloc(0)), PORT_GTP_U)), DecodeKind.Udp);
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(gtpU(Buffer.from([0x01, 0x02, 0x03, 0x04])), PORT_GTP_U)), DecodeKind.Udp);
  });

  it('Teredo whose IPv6 length does not fill the datagram, and a bubble', () => {
    const v6 = ipv6({ src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: INNER_V6.dst, payload: segment() });
    assertNotTunnelled(decodeFrame(ETHERNET, overUdp(Buffer.concat([v6, Buffer.alloc(3)]), PORT_TEREDO)), DecodeKind.Udp);
    const bubble = decodeFrame(ETHERNET, overUdp(ipv6({ nextHeader: 59 }), PORT_TEREDO));
    assert.equal(bubble.kind, DecodeKind.OtherIp);
    assert.equal(bubble.tunnelKind, TUNNEL_TEREDO);
  });

  it('GRE that is not decoded: routing present, reserved flags, version 2, MPLS, keepalive with no payload', () => {
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(innerIp(4), { extraFlags: 0x4000 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(innerIp(4), { extraFlags: 0x0008 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(innerIp(4), { version: 2 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(Buffer.concat([Buffer.from([0, 1, 0x41, 0xff]), innerIp(4)]), { protocol: 0x8847 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(Buffer.alloc(0), { version: 1, protocol: 0x880b, key: 1, ack: 5 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, Buffer.from([0, 0]))), DecodeKind.OtherIp);
    // Aruba management frames and protected data frames carry nothing to decode.
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(ieee80211(innerIp(4), 0x0800, { type: 0 }), { protocol: 0x8200 }))), DecodeKind.OtherIp);
    assertNotTunnelled(decodeFrame(ETHERNET, overIp(47, gre(ieee80211(innerIp(4), 0x0800, { protectedFrame: true }), { protocol: 0x8200 }))), DecodeKind.OtherIp);
  });

  it('PPPoE control traffic (LCP), discovery stage and a bad version/type are other-link', () => {
    assertNotTunnelled(decodeFrame(ETHERNET, ethernet(pppoe(Buffer.alloc(10), { protocol: 0xc021 }), { etherType: ETHERTYPE_PPPOE_SESSION })), DecodeKind.OtherLink);
    assertNotTunnelled(decodeFrame(ETHERNET, ethernet(pppoe(innerIp(4), { code: 0x09 }), { etherType: ETHERTYPE_PPPOE_SESSION })), DecodeKind.OtherLink);
    assertNotTunnelled(decodeFrame(ETHERNET, ethernet(pppoe(innerIp(4), { verType: 0x21 }), { etherType: ETHERTYPE_PPPOE_SESSION })), DecodeKind.OtherLink);
    assertNotTunnelled(decodeFrame(ETHERNET, ethernet(pppoe(innerIp(4)), { etherType: 0x8863 })), DecodeKind.OtherLink);
  });
});

describe('tunnels: cut and lying inner headers', () => {
  const vxlanFrame = overUdp(vxlan(ethernet(innerIp(4))), PORT_VXLAN);
  // Outer Ethernet 14 + IPv4 20 + UDP 8 = 42: the VXLAN header starts there, the inner frame at 50.
  it('a snaplen cut anywhere in the inner headers gives the inner layer\'s reason', () => {
    const cases: Array<[number, string]> = [[46, 'tunnel-truncated'], [60, 'link-truncated'], [70, 'ipv4-truncated'], [90, 'tcp-truncated']];
    for (const [captured, reason] of cases) {
      const view = decodeFrame(ETHERNET, vxlanFrame, captured, vxlanFrame.length);
      assert.equal(view.kind, DecodeKind.Truncated, `${captured}: ${view.problem}`);
      assert.equal(view.problem, reason);
    }
    // A cut in the payload is no problem: the sequence space comes from the inner IP length.
    const cut = decodeFrame(ETHERNET, vxlanFrame, 120, vxlanFrame.length);
    assert.equal(cut.kind, DecodeKind.Tcp);
    assert.equal(cut.payloadLength, 100);
    assert.equal(cut.capturedPayloadLength, 120 - 50 - 14 - 20 - 20);
  });

  it('lying inner IP and TCP headers are malformed with their own reasons', () => {
    const badIhl = ipv4({ ...INNER_V4, ihl: 3, payload: segment() });
    assert.equal(decodeFrame(ETHERNET, overIp(47, gre(badIhl))).problem, 'ipv4-ihl');
    const badVersion = ipv4({ ...INNER_V4, version: 5, payload: segment() });
    assert.equal(decodeFrame(ETHERNET, overIp(4, badVersion)).problem, 'ip-version');
    const badOffset = ipv4({ ...INNER_V4, payload: tcp({ dataOffset: 3 }) });
    const view = decodeFrame(ETHERNET, overUdp(gtpU(badOffset), PORT_GTP_U));
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'tcp-data-offset');
    assert.equal(view.tunnelKind, TUNNEL_GTP_U);
  });

  it('an inner IP length past the encapsulating payload is clamped to it', () => {
    const long = ipv4({ ...INNER_V4, totalLength: 20 + 20 + 100 + 400, payload: segment() });
    const view = decodeFrame(ETHERNET, overIp(4, long));
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.anomalies & ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IP_LENGTH_EXCEEDS_FRAME);
    assert.equal(view.payloadLength, 100);
  });

  it('tunnel headers running past their payload are tunnel-length', () => {
    const cases: Buffer[] = [
      overUdp(gtpU(innerIp(4), { length: 2000 }), PORT_GTP_U),
      overUdp(gtpU(innerIp(4), { sequence: 1, length: 2 }), PORT_GTP_U),
      overUdp(geneve(innerIp(4), { optionWords: 63 }), PORT_GENEVE),
      overIp(47, Buffer.from([0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0])),
      overIp(47, gre(Buffer.alloc(6), { protocol: 0x22eb })),
    ];
    for (const frame of cases) {
      const view = decodeFrame(ETHERNET, frame);
      assert.equal(view.kind, DecodeKind.Malformed, view.problem);
      assert.equal(view.problem, 'tunnel-length');
    }
    // A GTP extension header of length 0 would never end.
    const zero = gtpU(innerIp(4), { extensions: [[0, 0]] });
    zero[12] = 0;
    assert.equal(decodeFrame(ETHERNET, overUdp(zero, PORT_GTP_U)).problem, 'tunnel-length');
  });

  it('a GTP-U packet in a first fragment: TCP header from the fragment, lengths from the inner header', () => {
    const whole = udp({ srcPort: PORT_GTP_U, dstPort: PORT_GTP_U, payload: gtpU(innerIp(4, 1400)) });
    const first = ethernet(ipv4({ ...OUTER_V4, protocol: 17, moreFragments: true, payload: whole.subarray(0, 96) }));
    const view = decodeFrame(ETHERNET, first, first.length, first.length);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.tunnelKind, TUNNEL_GTP_U);
    assert.equal(view.firstFragment, true);
    assert.equal(view.payloadLength, 1400);
    assert.equal(view.capturedPayloadLength, 96 - 8 - 8 - 20 - 20);
    assert.equal(view.anomalies, 0);
  });

  it(`nesting deeper than ${MAX_TUNNEL_DEPTH} is malformed (tunnel-depth)`, () => {
    const nest = (levels: number): Buffer => {
      let packet = innerIp(4);
      for (let i = 0; i < levels; i++) packet = ipv4({ src: `10.0.${i}.1`, dst: `10.0.${i}.2`, protocol: 4, payload: packet });
      return ethernet(packet);
    };
    assertInnerTcp(decodeFrame(ETHERNET, nest(MAX_TUNNEL_DEPTH)), 4, TUNNEL_IP_IN_IP, MAX_TUNNEL_DEPTH);
    const deep = decodeFrame(ETHERNET, nest(MAX_TUNNEL_DEPTH + 1));
    assert.equal(deep.kind, DecodeKind.Malformed);
    assert.equal(deep.problem, 'tunnel-depth');
  });

  it('a reused view forgets the previous packet\'s tunnel', () => {
    const view = new PacketView();
    const tunnelled = overUdp(vxlan(ethernet(innerIp(4))), PORT_VXLAN);
    const plain = ethernet(ipv4({ payload: tcp({ flags: TCP_SYN }) }));
    decodePacket(view, ETHERNET, tunnelled, 0, tunnelled.length);
    assert.equal(view.tunnelDepth, 1);
    decodePacket(view, ETHERNET, plain, 0, plain.length);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.tunnelDepth, 0);
    assert.equal(view.tunnelKind, TUNNEL_NONE);
    assert.equal(view.flags, TCP_SYN);
  });
});

describe('tunnels: DecodeStats', () => {
  it('counts tunnelled TCP per kind, merges, and leaves empty kinds out of the JSON', () => {
    const frames = [
      overUdp(vxlan(ethernet(innerIp(4))), PORT_VXLAN),
      overUdp(vxlan(ethernet(innerIp(6))), PORT_VXLAN),
      overIp(47, gre(innerIp(4))),
      ethernet(pppoe(innerIp(4)), { etherType: ETHERTYPE_PPPOE_SESSION }),
      overUdp(vxlan(ethernet(Buffer.alloc(28), { etherType: 0x0806 })), PORT_VXLAN), // tunnelled, but not TCP
      ethernet(innerIp(4)),
    ];
    const feed = (): DecodeStats => {
      const stats = new DecodeStats();
      const view = new PacketView();
      frames.forEach((frame, i) => {
        decodePacket(view, ETHERNET, frame, 0, frame.length);
        stats.record(view, i + 1);
      });
      return stats;
    };
    const stats = feed();
    const json = stats.toJSON();
    assert.deepEqual(json.tunnels, { gre: 1, pppoe: 1, vxlan: 2 });
    assert.equal(json.byKind.tcp, 5);
    assert.equal(json.byKind.arp, 1);
    stats.merge(feed());
    assert.deepEqual(stats.toJSON().tunnels, { gre: 2, pppoe: 2, vxlan: 4 });
    assert.deepEqual(new DecodeStats().toJSON().tunnels, {});
    assert.equal(TUNNEL_KIND_NAMES.length, stats.tunnels.length);
  });
});

// ------------------------------------------------------------------ mutations

describe('tunnels: mutated frames', () => {
  it('never throw, never reach the safety net, never point outside the record', () => {
    const seeds = [
      overUdp(vxlan(ethernet(innerIp(4, 30), { vlans: [{ id: 3 }] })), PORT_VXLAN),
      overUdp(geneve(ethernet(innerIp(6, 30)), { options: Buffer.alloc(8, 1) }), PORT_GENEVE),
      overUdp(gtpU(innerIp(4, 30), { extensions: [[1, 2]] }), PORT_GTP_U),
      overUdp(teredo(ipv6({ src: '2001:0:1::1', payload: segment(30) }), { auth: { idLength: 1, authLength: 1 }, origin: true }), PORT_TEREDO),
      overIp(47, gre(erspan3(ethernet(innerIp(4, 30)), { optional: true }), { protocol: 0x22eb, sequence: 1 })),
      overIp(47, gre(ppp(innerIp(6, 30)), { version: 1, protocol: 0x880b, key: 1, sequence: 1, ack: 1 })),
      overIp(47, gre(ieee80211(innerIp(4, 30), 0x0800, { amsdu: true }), { protocol: 0x8200 })),
      overIp(4, ipv4({ protocol: 41, payload: innerIp(6, 30) })),
      ethernet(vntag(pppoe(innerIp(4, 30)), ETHERTYPE_PPPOE_SESSION), { etherType: ETHERTYPE_VNTAG, vlans: [{ id: 1 }] }),
    ];
    const next = xorshift32(0x7e11e1);
    const view = new PacketView();
    const buffer = Buffer.alloc(512);
    let tunnelledTcp = 0;
    for (let n = 0; n < 60_000; n++) {
      const seed = seeds[n % seeds.length];
      seed.copy(buffer, 0);
      const flips = 1 + (next() % 3);
      // Mostly flip header bytes (the first 120), where the decisions are made.
      for (let f = 0; f < flips; f++) buffer[next() % Math.min(seed.length, 120)] = next() & 0xff;
      const length = next() % 4 === 0 ? next() % (seed.length + 1) : seed.length;
      const wire = next() % 2 === 0 ? undefined : seed.length;
      let kind: DecodeKind;
      try {
        kind = decodePacket(view, ETHERNET, buffer, 0, length, wire);
      } catch (e) {
        assert.fail(`threw on seed ${n % seeds.length}: ${String(e)}`);
      }
      assert.notEqual(view.problem, 'decoder-error', `seed ${n % seeds.length}, frame ${buffer.subarray(0, length).toString('hex')}`);
      assert.ok(view.tunnelDepth >= 0 && view.tunnelDepth <= MAX_TUNNEL_DEPTH);
      assert.equal(view.tunnelDepth === 0, view.tunnelKind === TUNNEL_NONE);
      if (kind === DecodeKind.Tcp) {
        assert.ok(view.tcpOffset >= 0 && view.tcpOffset + 20 <= length);
        assert.ok(view.capturedPayloadLength <= view.payloadLength);
        assert.ok(view.tcpOffset + view.tcpHeaderLength + view.capturedPayloadLength <= length || view.capturedPayloadLength === 0);
        if (view.tunnelDepth > 0) tunnelledTcp++;
      }
    }
    assert.ok(tunnelledTcp > 10_000, `only ${tunnelledTcp} mutated frames still decoded as tunnelled TCP`);
  });
});

// ------------------------------------------------------------------ corpus vs tshark

const CORPUS = process.env.FINSCOPE_TCPDUMP_CORPUS ?? '/work/shared/corpus/tcpdump';
const ZEEK_TRACES = '/work/shared/conformance/zeek/traces';

/** Captures with TCP inside a tunnel: tcpdump's test suite, and Zeek's tunnel traces. */
const TUNNEL_FILES = [
  join(CORPUS, 'geneve.pcap'), // Geneve, Ethernet and IP payloads with options
  join(CORPUS, 'geneve-gcp.pcap'), // Geneve as Google Cloud sends it
  join(CORPUS, 'gso-ipv4-vxlan-ipv4.pcap'), // VXLAN, GSO super-segments inside (IP length 0 or large)
  join(CORPUS, 'gso-ipv4-vxlan-ipv6.pcap'),
  join(CORPUS, 'gso-ipv6-vxlan-ipv4.pcap'),
  join(CORPUS, 'gso-ipv6-vxlan-ipv6.pcap'),
  join(CORPUS, 'gso-ipv4-geneve-ipv4.pcap'),
  join(CORPUS, 'gso-ipv4-geneve-ipv6.pcap'),
  join(CORPUS, 'gso-ipv6-geneve-ipv4.pcap'),
  join(CORPUS, 'gso-ipv6-geneve-ipv6.pcap'),
  join(CORPUS, 'wccp_redirect_gre.pcap'), // WCCP 2 redirection in GRE
  join(ZEEK_TRACES, 'tunnels__vxlan-encapsulated-http.pcap'),
  join(ZEEK_TRACES, 'tunnels__geneve-many-options.pcap'),
  join(ZEEK_TRACES, 'tunnels__gtp__gtp1_gn_normal_incl_fragmentation.pcap'), // outer IP fragmented
  join(ZEEK_TRACES, 'tunnels__gtp__gtp6_gtp_0x32.pcap'), // GTP-U with a sequence number
  join(ZEEK_TRACES, 'tunnels__gtp__gtp2_different_udp_port.pcap'), // GTP-U, client port not 2152
  join(ZEEK_TRACES, 'tunnels__gre-sample.pcap'),
  join(ZEEK_TRACES, 'pppoe-over-qinq.pcap'),
  join(ZEEK_TRACES, 'vntag_vlan_sandwich_clean.pcap'),
];

/** TCP packets decoded out of a tunnel, by tunnel kind, over a whole capture. */
async function tunnelledTcp(path: string): Promise<{ byKind: Record<string, number>; ports: Set<string> }> {
  const view = new PacketView();
  const stats = new DecodeStats();
  const ports = new Set<string>();
  await readCapture(path, (record) => {
    decodePacket(view, record.linkType, record.data, record.offset, record.capturedLength, record.originalLength);
    stats.record(view, record.packetNumber);
    if (view.kind === DecodeKind.Tcp) ports.add(`${view.srcPort}>${view.dstPort}`);
  }, { file: path });
  return { byKind: stats.toJSON().tunnels, ports };
}

describe('tunnels: Zeek traces tshark reads differently', () => {
  const teredoTrace = join(ZEEK_TRACES, 'tunnels__teredo_bubble_with_payload.pcap');
  it('Teredo between clients off port 3544: the 22 packets Zeek counts (orig 10, resp 12)', { skip: existsSync(teredoTrace) ? false : 'trace missing' }, async () => {
    const { byKind, ports } = await tunnelledTcp(teredoTrace);
    assert.deepEqual(byKind, { teredo: 22 });
    assert.deepEqual([...ports].sort(), ['1286>80', '80>1286']);
  });
  const arubaTrace = join(ZEEK_TRACES, 'tunnels__gre-aruba-amsdu.pcap');
  it('Aruba GRE with an A-MSDU of two TCP packets: the first subframe is decoded', { skip: existsSync(arubaTrace) ? false : 'trace missing' }, async () => {
    const { byKind, ports } = await tunnelledTcp(arubaTrace);
    assert.deepEqual(byKind, { gre: 1 });
    assert.deepEqual([...ports], ['443>49392']);
  });
});

/** The innermost TCP layer of every frame tshark decodes TCP in (values are listed outermost first). */
function tsharkInnerTcp(path: string): Map<number, string> {
  const fields = ['frame.number', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len'];
  const output = execFileSync('tshark', ['-n', '-r', path, '-o', 'ip.defragment:FALSE', '-Y', 'tcp', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26,
  });
  const rows = new Map<number, string>();
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const [frame, ...rest] = line.split('\t');
    const last = rest.map((f) => f.split(',').pop() ?? '');
    rows.set(Number(frame), [last[0], last[1], last[2], last[3], Number(last[4]) & 0x1ff, last[5]].join(' '));
  }
  return rows;
}

describe('tunnels: captures against tshark', { skip: findTshark() !== null ? false : 'tshark is not installed' }, () => {
  for (const path of TUNNEL_FILES) {
    it(`agrees with tshark's inner TCP on ${path.split('/').pop()}`, { skip: existsSync(path) ? false : 'file missing' }, async () => {
      const expected = tsharkInnerTcp(path);
      const view = new PacketView();
      const ours = new Map<number, string>();
      let tunnelled = 0;
      await readCapture(path, (record) => {
        decodePacket(view, record.linkType, record.data, record.offset, record.capturedLength, record.originalLength);
        if (view.kind !== DecodeKind.Tcp) return;
        if (view.tunnelDepth > 0 || view.vlanDepth > 0) tunnelled++;
        // Without reassembly tshark gives a first fragment's tcp.len as what the fragment holds;
        // our payloadLength is the segment's (from the inner IP header), as the flow stage needs.
        const length = view.firstFragment ? view.capturedPayloadLength : view.payloadLength;
        ours.set(record.packetNumber, [view.srcPort, view.dstPort, view.seq, view.ack, view.flags, length].join(' '));
      }, { file: path });
      assert.ok(tunnelled > 0, 'no tunnelled TCP decoded');
      assert.deepEqual(ours, expected);
    });
  }
});
