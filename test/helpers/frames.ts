// Hand-built packets for tests: link headers, IPv4/IPv6 (+options, extension headers, fragments),
// TCP (+options). Wrap them in a capture file with test/helpers/pcap-writer.ts.
//
// Builders compose inside out and every length field is computed unless a test overrides it on
// purpose (to build a malformed packet):
//
//   const frame = ethernet(ipv4({ payload: tcp({ flags: TCP_SYN, options: [{ kind: 'mss', value: 1460 }] }) }));
//   const same = tcpPacket({ tcp: { flags: TCP_SYN } });             // the one-liner for the common case
//   const cooked = linkFrame(LINKTYPE_LINUX_SLL2, ipv6({ payload: tcp({}) }));
//   writePcap({ linkType: 1, packets: [{ tsSec: 1, tsFrac: 0, data: frame }] });   // pcap-writer.ts
//
// IPv4 header checksums and TCP/UDP checksums are filled in (so tshark and Wireshark show the
// packets as valid) whenever the transport payload is whole: not for fragments, nor for IPv6
// packets with a routing header, nor when a length was overridden.
//
// Everything returns a fresh Buffer; cut one with `frame.subarray(0, n)` to imitate a snaplen.

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

// ------------------------------------------------------------------ addresses

/** '10.0.0.1' -> 4 bytes; '2001:db8::1' or '::ffff:10.0.0.1' -> 16 bytes. Throws on bad text. */
export function parseAddress(text: string): Buffer {
  return text.includes(':') ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Buffer {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`bad IPv4 address ${text}`);
  }
  return Buffer.from(parts);
}

function parseIpv6(text: string): Buffer {
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 address ${text}`);
  const groups = (half: string): number[] => {
    if (half === '') return [];
    const out: number[] = [];
    for (const piece of half.split(':')) {
      if (piece.includes('.')) {
        const v4 = parseIpv4(piece);
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) throw new Error(`bad IPv6 address ${text}`);
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
}

/** Address words as PacketView holds them (IPv4: word 0; IPv6: four big-endian words). */
export function addressWords(text: string): number[] {
  const bytes = parseAddress(text);
  const words = [0, 0, 0, 0];
  for (let i = 0; i < bytes.length / 4; i++) words[i] = bytes.readUInt32BE(4 * i);
  return words;
}

// ------------------------------------------------------------------ TCP

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; value: number }
  | { kind: 'window-scale'; shift: number }
  | { kind: 'sack-permitted' }
  | { kind: 'sack'; blocks: Array<[number, number]> }
  | { kind: 'timestamps'; tsVal: number; tsEcr: number }
  /** Any bytes, written as given: use it for unknown kinds and bad lengths. */
  | { kind: 'raw'; bytes: number[] };

/** Option bytes, zero-padded (EOL) to a multiple of 4 as the data offset requires. */
export function tcpOptions(options: TcpOption[]): Buffer {
  const bytes: number[] = [];
  for (const option of options) {
    switch (option.kind) {
      case 'eol': bytes.push(0); break;
      case 'nop': bytes.push(1); break;
      case 'mss': bytes.push(2, 4, option.value >>> 8, option.value & 0xff); break;
      case 'window-scale': bytes.push(3, 3, option.shift); break;
      case 'sack-permitted': bytes.push(4, 2); break;
      case 'sack':
        bytes.push(5, 2 + 8 * option.blocks.length);
        for (const [left, right] of option.blocks) bytes.push(...be32(left), ...be32(right));
        break;
      case 'timestamps': bytes.push(8, 10, ...be32(option.tsVal), ...be32(option.tsEcr)); break;
      case 'raw': bytes.push(...option.bytes); break;
    }
  }
  while (bytes.length % 4 !== 0) bytes.push(0);
  return Buffer.from(bytes);
}

export interface TcpSpec {
  srcPort?: number; // default 40000
  dstPort?: number; // default 80
  seq?: number; // unsigned 32-bit, default 1000
  ack?: number; // default 0
  /** TCP_* flag bits from src/decode/packet-view.ts, including TCP_AE (0x100). Default ACK. */
  flags?: number;
  window?: number; // default 65535
  urgentPointer?: number;
  /** Option list, or raw option bytes (padded to 4 with zeros either way). */
  options?: TcpOption[] | Uint8Array;
  /** Payload bytes, or a length (filled with a repeating pattern). */
  payload?: Uint8Array | number;
  /** Override the data offset (in 32-bit words) to build a malformed header. */
  dataOffset?: number;
}

/** A TCP segment: header, options, payload. The checksum is filled in by ipv4()/ipv6(). */
export function tcp(spec: TcpSpec = {}): Buffer {
  const options = spec.options === undefined ? Buffer.alloc(0)
    : spec.options instanceof Uint8Array ? padTo4(Buffer.from(spec.options)) : tcpOptions(spec.options);
  const payload = payloadBytes(spec.payload);
  const header = Buffer.alloc(20);
  header.writeUInt16BE(spec.srcPort ?? 40000, 0);
  header.writeUInt16BE(spec.dstPort ?? 80, 2);
  header.writeUInt32BE((spec.seq ?? 1000) >>> 0, 4);
  header.writeUInt32BE((spec.ack ?? 0) >>> 0, 8);
  const flags = spec.flags ?? 0x010;
  const dataOffset = spec.dataOffset ?? (20 + options.length) / 4;
  header[12] = ((dataOffset & 0x0f) << 4) | ((flags >>> 8) & 0x01);
  header[13] = flags & 0xff;
  header.writeUInt16BE(spec.window ?? 65535, 14);
  header.writeUInt16BE(spec.urgentPointer ?? 0, 18);
  return Buffer.concat([header, options, payload]);
}

export interface UdpSpec {
  srcPort?: number;
  dstPort?: number;
  payload?: Uint8Array | number;
}

export function udp(spec: UdpSpec = {}): Buffer {
  const payload = payloadBytes(spec.payload);
  const header = Buffer.alloc(8);
  header.writeUInt16BE(spec.srcPort ?? 40000, 0);
  header.writeUInt16BE(spec.dstPort ?? 53, 2);
  header.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([header, payload]);
}

// ------------------------------------------------------------------ IPv4

export interface Ipv4Spec {
  src?: string; // default 10.0.0.1
  dst?: string; // default 10.0.0.2
  /** IP protocol of the payload, default 6 (TCP). */
  protocol?: number;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragmentOffset?: number;
  /** Option bytes, zero-padded (End of Option List) to a multiple of 4. */
  options?: Uint8Array | number[];
  payload?: Uint8Array;
  // Overrides for malformed packets:
  version?: number;
  /** IHL in 32-bit words. */
  ihl?: number;
  totalLength?: number;
}

export function ipv4(spec: Ipv4Spec = {}): Buffer {
  const options = padTo4(Buffer.from(spec.options ?? []));
  const headerLength = 20 + options.length;
  let payload: Buffer = Buffer.from(spec.payload ?? Buffer.alloc(0));
  const protocol = spec.protocol ?? 6;
  const src = parseIpv4(spec.src ?? '10.0.0.1');
  const dst = parseIpv4(spec.dst ?? '10.0.0.2');
  const fragmentOffset = spec.fragmentOffset ?? 0;
  const whole = fragmentOffset === 0 && !spec.moreFragments && spec.totalLength === undefined;
  if (whole) payload = withTransportChecksum(protocol, payload, Buffer.concat([src, dst]));

  const header = Buffer.alloc(20);
  header[0] = ((spec.version ?? 4) << 4) | ((spec.ihl ?? headerLength / 4) & 0x0f);
  header[1] = spec.tos ?? 0;
  header.writeUInt16BE(spec.totalLength ?? headerLength + payload.length, 2);
  header.writeUInt16BE(spec.id ?? 1, 4);
  const flags = (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0);
  header.writeUInt16BE(flags | ((fragmentOffset / 8) & 0x1fff), 6);
  header[8] = spec.ttl ?? 64;
  header[9] = protocol;
  src.copy(header, 12);
  dst.copy(header, 16);
  const full = Buffer.concat([header, options]);
  full.writeUInt16BE(internetChecksum([full]), 10);
  return Buffer.concat([full, payload]);
}

// ------------------------------------------------------------------ IPv6

export type Ipv6Extension =
  /** Hop-by-hop (0) or destination options (60): option TLVs, zero-padded (Pad1) to 8n bytes. */
  | { type: 'hop-by-hop' | 'destination'; options?: number[]; hdrExtLen?: number }
  /** Routing (43): type, segments left, then `data` (addresses), zero-padded to 8n bytes. */
  | { type: 'routing'; routingType?: number; segmentsLeft?: number; data?: number[]; hdrExtLen?: number }
  /** Fragment (44): offset in bytes (a multiple of 8). */
  | { type: 'fragment'; offset?: number; more?: boolean; id?: number }
  /** Authentication header (51): SPI, sequence, then an ICV of icvLength bytes (default 12). */
  | { type: 'ah'; spi?: number; sequence?: number; icvLength?: number; payloadLen?: number }
  /** Anything else: `bytes` is the whole header; byte 0 (next header) is filled in. */
  | { type: 'raw'; protocol: number; bytes: number[] };

const EXTENSION_PROTOCOL = { 'hop-by-hop': 0, routing: 43, fragment: 44, ah: 51, destination: 60 } as const;

export interface Ipv6Spec {
  src?: string; // default 2001:db8::1
  dst?: string; // default 2001:db8::2
  /** Protocol of the payload after the extension headers, default 6 (TCP); 59 = no next header. */
  nextHeader?: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  extensions?: Ipv6Extension[];
  payload?: Uint8Array;
  // Overrides for malformed packets:
  version?: number;
  payloadLength?: number;
}

export function ipv6(spec: Ipv6Spec = {}): Buffer {
  const src = parseIpv6(spec.src ?? '2001:db8::1');
  const dst = parseIpv6(spec.dst ?? '2001:db8::2');
  const nextHeader = spec.nextHeader ?? 6;
  const extensions = spec.extensions ?? [];
  let payload: Buffer = Buffer.from(spec.payload ?? Buffer.alloc(0));
  const whole = spec.payloadLength === undefined &&
    !extensions.some((e) => e.type === 'fragment' || e.type === 'routing' || e.type === 'raw');
  if (whole) payload = withTransportChecksum(nextHeader, payload, Buffer.concat([src, dst]));

  const headers = extensions.map((extension, i) => {
    const next = i + 1 < extensions.length ? protocolOf(extensions[i + 1]) : nextHeader;
    return extensionBytes(extension, next);
  });
  const body = Buffer.concat([...headers, payload]);
  const header = Buffer.alloc(40);
  const version = spec.version ?? 6;
  header.writeUInt32BE(((version << 28) | ((spec.trafficClass ?? 0) << 20) | (spec.flowLabel ?? 0)) >>> 0, 0);
  header.writeUInt16BE(spec.payloadLength ?? body.length, 4);
  header[6] = extensions.length > 0 ? protocolOf(extensions[0]) : nextHeader;
  header[7] = spec.hopLimit ?? 64;
  src.copy(header, 8);
  dst.copy(header, 24);
  return Buffer.concat([header, body]);
}

function protocolOf(extension: Ipv6Extension): number {
  return extension.type === 'raw' ? extension.protocol : EXTENSION_PROTOCOL[extension.type];
}

function extensionBytes(extension: Ipv6Extension, next: number): Buffer {
  let bytes: number[];
  let lengthByte: number;
  switch (extension.type) {
    case 'hop-by-hop':
    case 'destination':
    case 'routing': {
      bytes = [next, 0];
      if (extension.type === 'routing') {
        bytes.push(extension.routingType ?? 0, extension.segmentsLeft ?? 0, 0, 0, 0, 0, ...(extension.data ?? []));
      } else {
        bytes.push(...(extension.options ?? []));
      }
      while (bytes.length % 8 !== 0) bytes.push(0);
      lengthByte = extension.hdrExtLen ?? bytes.length / 8 - 1;
      break;
    }
    case 'fragment': {
      const offset = extension.offset ?? 0;
      bytes = [next, 0, ...be16((offset & 0xfff8) | (extension.more ? 1 : 0)), ...be32(extension.id ?? 1)];
      lengthByte = 0;
      break;
    }
    case 'ah': {
      const icv = extension.icvLength ?? 12;
      bytes = [next, 0, 0, 0, ...be32(extension.spi ?? 0x100), ...be32(extension.sequence ?? 1), ...new Array<number>(icv).fill(0xab)];
      lengthByte = extension.payloadLen ?? bytes.length / 4 - 2;
      break;
    }
    case 'raw':
      bytes = [...extension.bytes];
      bytes[0] = next;
      return Buffer.from(bytes);
  }
  bytes[1] = lengthByte & 0xff;
  return Buffer.from(bytes);
}

// ------------------------------------------------------------------ link layers

export interface VlanTag {
  id: number;
  priority?: number;
  /** Tag protocol id of this tag: 0x8100 (802.1Q, default), 0x88a8 (802.1ad), 0x9100 (legacy QinQ). */
  tpid?: number;
}

export interface EthernetSpec {
  /** Ethertype after the tags; default from the IP version nibble of the payload. */
  etherType?: number;
  /** Outermost first. */
  vlans?: VlanTag[];
  dst?: number[];
  src?: number[];
  /** Pad the frame to 60 bytes (the minimum without FCS) as a NIC would. */
  pad?: boolean;
}

export function ethernet(payload: Uint8Array, spec: EthernetSpec = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([...(spec.dst ?? [2, 0, 0, 0, 0, 2]), ...(spec.src ?? [2, 0, 0, 0, 0, 1])])];
  for (const tag of spec.vlans ?? []) {
    parts.push(Buffer.from([...be16(tag.tpid ?? 0x8100), ...be16((((tag.priority ?? 0) & 7) << 13) | (tag.id & 0x0fff))]));
  }
  parts.push(Buffer.from(be16(spec.etherType ?? etherTypeOf(payload))), Buffer.from(payload));
  const frame = Buffer.concat(parts);
  return spec.pad && frame.length < 60 ? Buffer.concat([frame, Buffer.alloc(60 - frame.length)]) : frame;
}

export interface SllSpec {
  /** Protocol field; default from the IP version nibble of the payload. */
  protocol?: number;
  /** 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType?: number;
  /** ARPHRD_ type, default 1 (Ethernet). */
  arphrd?: number;
  /** Link-layer address (up to 8 bytes). */
  address?: number[];
  /** SLL2 only. */
  interfaceIndex?: number;
}

/** LINKTYPE_LINUX_SLL (113): 16-byte header, protocol at offset 14. */
export function sll(payload: Uint8Array, spec: SllSpec = {}): Buffer {
  const address = spec.address ?? [2, 0, 0, 0, 0, 1];
  const header = Buffer.alloc(16);
  header.writeUInt16BE(spec.packetType ?? 0, 0);
  header.writeUInt16BE(spec.arphrd ?? 1, 2);
  header.writeUInt16BE(address.length, 4);
  Buffer.from(address.slice(0, 8)).copy(header, 6);
  header.writeUInt16BE(spec.protocol ?? etherTypeOf(payload), 14);
  return Buffer.concat([header, payload]);
}

/** LINKTYPE_LINUX_SLL2 (276): 20-byte header, protocol at offset 0. */
export function sll2(payload: Uint8Array, spec: SllSpec = {}): Buffer {
  const address = spec.address ?? [2, 0, 0, 0, 0, 1];
  const header = Buffer.alloc(20);
  header.writeUInt16BE(spec.protocol ?? etherTypeOf(payload), 0);
  header.writeUInt32BE(spec.interfaceIndex ?? 1, 4);
  header.writeUInt16BE(spec.arphrd ?? 1, 8);
  header[10] = spec.packetType ?? 0;
  header[11] = address.length;
  Buffer.from(address.slice(0, 8)).copy(header, 12);
  return Buffer.concat([header, payload]);
}

/**
 * LINKTYPE_NULL (0): 4-byte address family in the capturing host's byte order. Default family
 * from the payload: 2 for IPv4, 30 (Darwin AF_INET6) for IPv6.
 */
export function nullLoopback(payload: Uint8Array, spec: { family?: number; byteOrder?: 'little' | 'big' } = {}): Buffer {
  const header = Buffer.alloc(4);
  const family = spec.family ?? (ipVersionOf(payload) === 6 ? 30 : 2);
  if (spec.byteOrder === 'big') header.writeUInt32BE(family, 0);
  else header.writeUInt32LE(family, 0);
  return Buffer.concat([header, payload]);
}

/** LINKTYPE_LOOP (108): as NULL but always big-endian; default IPv6 family 24 (OpenBSD). */
export function loop(payload: Uint8Array, spec: { family?: number } = {}): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(spec.family ?? (ipVersionOf(payload) === 6 ? 24 : 2), 0);
  return Buffer.concat([header, payload]);
}

/** Wraps an IP packet in the header for `linkType` (raw types return it as is). */
export function linkFrame(linkType: number, ipPacket: Uint8Array): Buffer {
  switch (linkType) {
    case 0: return nullLoopback(ipPacket);
    case 1: return ethernet(ipPacket);
    case 108: return loop(ipPacket);
    case 113: return sll(ipPacket);
    case 276: return sll2(ipPacket);
    case 12: case 14: case 101: case 228: case 229: return Buffer.from(ipPacket);
    default: throw new Error(`no builder for link type ${linkType}`);
  }
}

// ------------------------------------------------------------------ one-liners

export interface TcpPacketSpec {
  /** LINKTYPE_* value, default 1 (Ethernet). */
  linkType?: number;
  /** 4 (default) or 6. */
  ipVersion?: 4 | 6;
  src?: string;
  dst?: string;
  tcp?: TcpSpec;
}

/** A whole TCP frame: link header + IPv4/IPv6 + TCP, all lengths and checksums right. */
export function tcpPacket(spec: TcpPacketSpec = {}): Buffer {
  const segment = tcp(spec.tcp);
  const ip = spec.ipVersion === 6
    ? ipv6({ src: spec.src, dst: spec.dst, payload: segment })
    : ipv4({ src: spec.src, dst: spec.dst, payload: segment });
  return linkFrame(spec.linkType ?? 1, ip);
}

// ------------------------------------------------------------------ internals

function ipVersionOf(packet: Uint8Array): number {
  return packet.length > 0 ? packet[0] >>> 4 : 0;
}

function etherTypeOf(payload: Uint8Array): number {
  return ipVersionOf(payload) === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

function payloadBytes(payload: Uint8Array | number | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  if (typeof payload === 'number') return Buffer.from(Array.from({ length: payload }, (_, i) => 0x41 + (i % 26)));
  return Buffer.from(payload);
}

function padTo4(bytes: Buffer): Buffer {
  return bytes.length % 4 === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(4 - (bytes.length % 4))]);
}

function be16(value: number): number[] {
  return [(value >>> 8) & 0xff, value & 0xff];
}

function be32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** RFC 1071 ones'-complement sum over the concatenated parts. */
function internetChecksum(parts: Buffer[]): number {
  const bytes = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length % 2 === 1) sum += bytes[bytes.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** TCP (6) / UDP (17) checksum over the pseudo-header (RFC 9293 3.1, RFC 8200 8.1). */
function withTransportChecksum(protocol: number, segment: Buffer, addresses: Buffer): Buffer {
  const at = protocol === 6 ? 16 : protocol === 17 ? 6 : -1;
  if (at < 0 || segment.length < at + 2) return segment;
  const out = Buffer.from(segment);
  out.writeUInt16BE(0, at);
  const pseudo = Buffer.alloc(addresses.length === 8 ? 4 : 8);
  if (addresses.length === 8) {
    pseudo[1] = protocol;
    pseudo.writeUInt16BE(out.length & 0xffff, 2);
  } else {
    pseudo.writeUInt32BE(out.length, 0);
    pseudo[7] = protocol;
  }
  let checksum = internetChecksum([addresses, pseudo, out]);
  if (protocol === 17 && checksum === 0) checksum = 0xffff;
  out.writeUInt16BE(checksum, at);
  return out;
}

/** xorshift32: fast, seedable, good enough to spray bytes. */
export function xorshift32(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}
