// Seeds for the fuzzer: every capture under captures/ (gzip ones decompressed: the fuzzer does its
// own gzip wrapping), plus a few built here for what captures/ lacks: pcapng with several sections,
// big-endian sections, SPB and obsolete PB blocks, options and comments; IPv6 extension chains,
// VLAN stacks, cooked and loopback link layers, the 'modified' and nanosecond pcap variants.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN } from '../src/decode/packet-view.js';
import { ethernet, ipv4, ipv6, linkFrame, tcp, udp } from '../test/helpers/frames.js';
import { comment, ifDescription, ifName, ifTsoffset, ifTsresol, writePcap, writePcapng } from '../test/helpers/pcap-writer.js';

export interface Seed {
  name: string;
  bytes: Buffer;
}

interface Segment { fromClient: boolean; flags: number; seq: number; ack: number; len: number; us: number }

/** One connection opened and closed by four-way FIN exchange, with a little data. */
function closeSegments(): Segment[] {
  const c = 1000, s = 7000;
  return [
    { fromClient: true, flags: TCP_SYN, seq: c, ack: 0, len: 0, us: 0 },
    { fromClient: false, flags: TCP_SYN | TCP_ACK, seq: s, ack: c + 1, len: 0, us: 20_000 },
    { fromClient: true, flags: TCP_ACK, seq: c + 1, ack: s + 1, len: 0, us: 20_100 },
    { fromClient: true, flags: TCP_ACK | TCP_PSH, seq: c + 1, ack: s + 1, len: 10, us: 21_000 },
    { fromClient: false, flags: TCP_ACK, seq: s + 1, ack: c + 11, len: 0, us: 41_000 },
    { fromClient: true, flags: TCP_FIN | TCP_ACK, seq: c + 11, ack: s + 1, len: 0, us: 50_000 },
    { fromClient: false, flags: TCP_ACK, seq: s + 1, ack: c + 12, len: 0, us: 70_000 },
    { fromClient: false, flags: TCP_FIN | TCP_ACK, seq: s + 1, ack: c + 12, len: 0, us: 90_000 },
    { fromClient: true, flags: TCP_ACK, seq: c + 12, ack: s + 2, len: 0, us: 90_100 },
  ];
}

function ip(version: 4 | 6, seg: Segment, extensions: 'none' | 'chain' | 'fragment' = 'none'): Buffer {
  const t = tcp({
    srcPort: seg.fromClient ? 41000 : 443, dstPort: seg.fromClient ? 443 : 41000, seq: seg.seq, ack: seg.ack, flags: seg.flags,
    payload: seg.len,
    options: seg.flags & TCP_SYN
      ? [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsVal: 1, tsEcr: 0 }, { kind: 'window-scale', shift: 7 }]
      : [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[seg.ack + 100, seg.ack + 200], [seg.ack + 300, seg.ack + 400]] }],
  });
  const [a, b] = version === 4 ? ['10.1.0.1', '10.1.0.2'] : ['2001:db8::1', '2001:db8::2'];
  const src = seg.fromClient ? a : b, dst = seg.fromClient ? b : a;
  if (version === 4) return ipv4({ src, dst, payload: t });
  return ipv6({
    src, dst, payload: t,
    extensions: extensions === 'chain' ? [{ type: 'hop-by-hop', options: [1, 4, 0, 0, 0, 0] }, { type: 'destination' }, { type: 'routing', segmentsLeft: 0 }]
      : extensions === 'fragment' ? [{ type: 'fragment', offset: 0, more: false, id: seg.seq }] : undefined,
  });
}

const T0 = 1_700_000_000;

function pcapOf(linkType: number, frames: Buffer[], extra: { precision?: 'ns'; modified?: boolean; byteOrder?: 'big' } = {}): Buffer {
  const segs = closeSegments();
  return writePcap({
    linkType, ...extra,
    packets: frames.map((data, i) => ({ tsSec: T0, tsFrac: extra.precision === 'ns' ? segs[i].us * 1000 : segs[i].us, data })),
  });
}

/** Tunnels and encapsulations around an IP packet, as an Ethernet frame. */
const TUNNELS: Record<string, (inner: Buffer) => Buffer> = {
  gre: (inner) => ethernet(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 47, payload: Buffer.concat([Buffer.from([0, 0, 0x08, 0x00]), inner]) })),
  'ip-in-ip': (inner) => ethernet(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 4, payload: inner })),
  vxlan: (inner) => ethernet(ipv4({ protocol: 17, payload: udp({ srcPort: 50000, dstPort: 4789, payload: Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 1, 0]), ethernet(inner)]) }) })),
  geneve: (inner) => ethernet(ipv4({ protocol: 17, payload: udp({ srcPort: 50000, dstPort: 6081, payload: Buffer.concat([Buffer.from([0, 0, 0x65, 0x58, 0, 0, 1, 0]), ethernet(inner)]) }) })),
  'gtp-u': (inner) => {
    const head = Buffer.from([0x30, 0xff, 0, 0, 0, 0, 0, 1]);
    head.writeUInt16BE(inner.length, 2);
    return ethernet(ipv4({ protocol: 17, payload: udp({ srcPort: 2152, dstPort: 2152, payload: Buffer.concat([head, inner]) }) }));
  },
  pppoe: (inner) => {
    const head = Buffer.from([0x11, 0, 0, 1, 0, 0, 0x00, 0x21]);
    head.writeUInt16BE(inner.length + 2, 4);
    return ethernet(Buffer.concat([head, inner]), { etherType: 0x8864 });
  },
};

/** Seeds built from code, covering framings and layers captures/ does not have. */
export function builtSeeds(): Seed[] {
  const segs = closeSegments();
  const v4 = segs.map((s) => ip(4, s));
  const v6ext = segs.map((s) => ip(6, s, 'chain'));
  const pcapngBlocks = (order: 'little' | 'big') => [
    { type: 'shb' as const, byteOrder: order, options: [comment('section one')] },
    { type: 'idb' as const, linkType: 1, options: [ifName('eth0'), ifDescription('uplink'), ifTsresol(9), ifTsoffset(1n)] },
    { type: 'idb' as const, linkType: 276, options: [ifTsresol(0x80 | 20)] },
    ...segs.slice(0, 5).map((s, i) => ({
      type: 'epb' as const, interfaceId: i % 2, data: i % 2 === 0 ? ethernet(v4[i]) : linkFrame(276, v4[i]), options: [comment(`packet ${i}`)],
      // Interface 0 counts nanoseconds from one second before T0 (if_tsoffset 1), interface 1 in 2^-20 s.
      timestamp: i % 2 === 0 ? BigInt(T0 - 1) * 1_000_000_000n + BigInt(s.us) * 1000n : BigInt(Math.round((T0 + s.us / 1e6) * 2 ** 20)),
    })),
    { type: 'spb' as const, data: ethernet(v4[5]) },
    { type: 'pb' as const, interfaceId: 0, timestamp: BigInt(T0 - 1) * 1_000_000_000n + 70_000_000n, data: ethernet(v4[6]), drops: 1 },
    { type: 'raw' as const, blockType: 5, body: Buffer.alloc(8) }, // ISB-ish
  ];
  const twoSections = Buffer.concat([
    writePcapng(pcapngBlocks('little')).bytes,
    writePcapng([
      { type: 'shb', byteOrder: 'big' },
      { type: 'idb', linkType: 101 },
      ...segs.slice(7).map((s) => ({ type: 'epb' as const, interfaceId: 0, timestamp: BigInt(T0) * 1_000_000n + BigInt(s.us), data: v4[segs.indexOf(s)] })),
    ]).bytes,
  ]);
  return [
    { name: 'built-vlan-qinq.pcap', bytes: pcapOf(1, v4.map((p) => ethernet(p, { vlans: [{ id: 10, tpid: 0x88a8 }, { id: 20 }] }))) },
    { name: 'built-ipv6-ext.pcap', bytes: pcapOf(1, v6ext.map((p) => ethernet(p))) },
    { name: 'built-sll2-ns.pcap', bytes: pcapOf(276, v4.map((p) => linkFrame(276, p)), { precision: 'ns' }) },
    { name: 'built-sll-modified.pcap', bytes: pcapOf(113, v4.map((p) => linkFrame(113, p)), { modified: true }) },
    { name: 'built-null-big.pcap', bytes: pcapOf(0, v6ext.map((p) => linkFrame(0, p)), { byteOrder: 'big' }) },
    { name: 'built-loop.pcap', bytes: pcapOf(108, v4.map((p) => linkFrame(108, p))) },
    { name: 'built-raw.pcap', bytes: pcapOf(101, v4) },
    { name: 'built-two-sections.pcapng', bytes: twoSections },
    { name: 'built-big-endian.pcapng', bytes: writePcapng(pcapngBlocks('big')).bytes },
    ...Object.entries(TUNNELS).map(([kind, wrap]) => ({ name: `built-${kind}.pcap`, bytes: pcapOf(1, v4.map(wrap)) })),
    // Every third packet the first fragment (MF set), every third a later one (offset 8).
    { name: 'built-ipv4-fragments.pcap', bytes: pcapOf(1, v4.map((p, i) => {
      const f = Buffer.from(p);
      if (i % 3 !== 0) f.writeUInt16BE(i % 3 === 1 ? 0x2000 : 0x0001, 6);
      return ethernet(f);
    })) },
    // Atomic fragments (RFC 6946) on every other packet.
    { name: 'built-ipv6-fragment.pcap', bytes: pcapOf(1, segs.map((s, i) => ethernet(ip(6, s, i % 2 === 0 ? 'none' : 'fragment')))) },
    { name: 'built-ipv6-tunnel.pcap', bytes: pcapOf(1, segs.map((s) => ethernet(ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 41, payload: ip(6, s) })))) },
  ];
}

/** captures/*.pcap, *.pcapng, *.gz (decompressed), recursively. */
export function captureSeeds(files: string[], root: string): Seed[] {
  const out: Seed[] = [];
  for (const file of files) {
    let bytes = readFileSync(join(root, file));
    if (file.endsWith('.gz')) {
      try { bytes = gunzipSync(bytes); } catch { continue; }
    }
    out.push({ name: file, bytes });
  }
  return out;
}
