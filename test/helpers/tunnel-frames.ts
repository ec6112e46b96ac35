// Hand-built encapsulation headers for the tunnel tests, composing with test/helpers/frames.ts:
//
//   const inner = ethernet(ipv4({ src: '10.9.0.1', payload: tcp({}) }));
//   const frame = ethernet(ipv4({ protocol: 17, payload: udp({ dstPort: 4789, payload: vxlan(inner) }) }));
//   const pppoeFrame = ethernet(pppoe(ipv4({ payload: tcp({}) })), { etherType: 0x8864 });
//
// Each builder returns header + payload; every length is computed unless a test overrides it to
// build a lying header.

export const PORT_VXLAN = 4789;
export const PORT_GENEVE = 6081;
export const PORT_GTP_U = 2152;
export const PORT_TEREDO = 3544;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const ETHERTYPE_VNTAG = 0x8926;

/** VXLAN (RFC 7348): flags (default 0x08, the I flag), VNI; then the Ethernet frame. */
export function vxlan(frame: Uint8Array, spec: { vni?: number; flags?: number } = {}): Buffer {
  const header = Buffer.alloc(8);
  header[0] = spec.flags ?? 0x08;
  header.writeUIntBE(spec.vni ?? 100, 4, 3);
  return Buffer.concat([header, frame]);
}

export interface GeneveSpec {
  /** Protocol type, default from the payload: 0x0800 / 0x86dd by IP version nibble, else 0x6558. */
  protocol?: number;
  /** Option bytes (a multiple of 4; the length field counts 4-byte words). */
  options?: Uint8Array;
  /** Override the options-length field (in 4-byte words). */
  optionWords?: number;
  version?: number;
  vni?: number;
}

/** Geneve (RFC 8926): version, options length, flags, protocol type, VNI, options, payload. */
export function geneve(payload: Uint8Array, spec: GeneveSpec = {}): Buffer {
  const options = Buffer.from(spec.options ?? []);
  const header = Buffer.alloc(8);
  header[0] = ((spec.version ?? 0) << 6) | ((spec.optionWords ?? options.length / 4) & 0x3f);
  header.writeUInt16BE(spec.protocol ?? etherTypeFor(payload, 0x6558), 2);
  header.writeUIntBE(spec.vni ?? 7, 4, 3);
  return Buffer.concat([header, options, payload]);
}

export interface GtpSpec {
  /** Whole flags byte; default 0x30 (version 1, PT 1), plus S/E bits as the fields below ask. */
  flags?: number;
  /** Message type, default 0xff (G-PDU). */
  type?: number;
  teid?: number;
  /** Include the sequence number (S flag, and the 4 optional bytes). */
  sequence?: number;
  /** Extension headers: each is its content (length byte and next-type byte are added, padded to 4n). */
  extensions?: number[][];
  /** Override the length field. */
  length?: number;
}

/** GTP-U (3GPP TS 29.281): flags, type, length, TEID, optional fields, extension headers, packet. */
export function gtpU(packet: Uint8Array, spec: GtpSpec = {}): Buffer {
  const extensions = spec.extensions ?? [];
  let flags = spec.flags ?? 0x30;
  if (spec.sequence !== undefined) flags |= 0x02;
  if (extensions.length > 0) flags |= 0x04;
  const optional: number[] = [];
  if ((flags & 0x07) !== 0) {
    optional.push(((spec.sequence ?? 0) >>> 8) & 0xff, (spec.sequence ?? 0) & 0xff, 0, extensions.length > 0 ? 0x85 : 0);
  }
  extensions.forEach((content, i) => {
    const words = Math.ceil((content.length + 2) / 4);
    const bytes = [words, ...content];
    while (bytes.length < words * 4 - 1) bytes.push(0);
    bytes.push(i + 1 < extensions.length ? 0x85 : 0);
    optional.push(...bytes);
  });
  const header = Buffer.alloc(8);
  header[0] = flags;
  header[1] = spec.type ?? 0xff;
  header.writeUInt16BE(spec.length ?? optional.length + packet.length, 2);
  header.writeUInt32BE(spec.teid ?? 0x1234, 4);
  return Buffer.concat([header, Buffer.from(optional), packet]);
}

export interface TeredoSpec {
  /** Origin indication (8 bytes: 0x0000, obfuscated port and address). */
  origin?: boolean;
  /** Authentication indicator with client id and authentication value of these lengths. */
  auth?: { idLength: number; authLength: number };
}

/** Teredo (RFC 4380 5.1.1): optional authentication and origin indicators, then the IPv6 packet. */
export function teredo(ipv6Packet: Uint8Array, spec: TeredoSpec = {}): Buffer {
  const parts: Buffer[] = [];
  if (spec.auth !== undefined) {
    const { idLength, authLength } = spec.auth;
    const auth = Buffer.alloc(4 + idLength + authLength + 9, 0x5a);
    auth.writeUInt16BE(1, 0);
    auth[2] = idLength;
    auth[3] = authLength;
    parts.push(auth);
  }
  if (spec.origin === true) parts.push(Buffer.from([0, 0, 0xff ^ 0x0f, 0xff ^ 0xa0, 0xff ^ 192, 0xff ^ 0, 0xff ^ 2, 0xff ^ 1]));
  return Buffer.concat([...parts, ipv6Packet]);
}

export interface GreSpec {
  /** Protocol type, default from the payload's IP version nibble. */
  protocol?: number;
  checksum?: boolean;
  key?: number;
  sequence?: number;
  /** Acknowledgement number (PPTP's enhanced GRE). */
  ack?: number;
  version?: number;
  /** Extra flag bits to set (routing 0x4000, reserved 0x0078...). */
  extraFlags?: number;
}

/** GRE (RFC 2784 / 2890; version 1 per RFC 2637): flags, protocol, optional fields, payload. */
export function gre(payload: Uint8Array, spec: GreSpec = {}): Buffer {
  let flags = (spec.version ?? 0) | (spec.extraFlags ?? 0);
  const optional: Buffer[] = [];
  if (spec.checksum === true) {
    flags |= 0x8000;
    optional.push(Buffer.alloc(4));
  }
  if (spec.key !== undefined) {
    flags |= 0x2000;
    optional.push(be32(spec.key));
  }
  if (spec.sequence !== undefined) {
    flags |= 0x1000;
    optional.push(be32(spec.sequence));
  }
  if (spec.ack !== undefined) {
    flags |= 0x0080;
    optional.push(be32(spec.ack));
  }
  const header = Buffer.alloc(4);
  header.writeUInt16BE(flags, 0);
  header.writeUInt16BE(spec.protocol ?? etherTypeFor(payload, 0x6558), 2);
  return Buffer.concat([header, ...optional, payload]);
}

/** ERSPAN type II header (8 bytes, version 1) before a mirrored Ethernet frame; GRE needs sequence. */
export function erspan2(frame: Uint8Array, spec: { sessionId?: number; vlan?: number } = {}): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE((1 << 12) | ((spec.vlan ?? 0) & 0x0fff), 0);
  header.writeUInt16BE((spec.sessionId ?? 5) & 0x3ff, 2);
  return Buffer.concat([header, frame]);
}

/** ERSPAN type III header (12 bytes, version 2), with the 8-byte platform subheader when `optional`. */
export function erspan3(frame: Uint8Array, spec: { optional?: boolean; frameType?: number } = {}): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(2 << 12, 0);
  header.writeUInt16BE(5, 2);
  header.writeUInt32BE(0x01020304, 4); // timestamp
  header.writeUInt16BE((((spec.frameType ?? 0) & 0x1f) << 10) | (spec.optional === true ? 1 : 0), 10);
  const sub = spec.optional === true ? Buffer.from([0x0c, 0, 0, 0, 0, 0, 0, 1]) : Buffer.alloc(0);
  return Buffer.concat([header, sub, frame]);
}

/** PPP in HDLC-like framing as PPTP carries it: 0xff 0x03, protocol (0x0021 IPv4 / 0x0057 IPv6). */
export function ppp(packet: Uint8Array, spec: { protocol?: number; addressControl?: boolean; compressed?: boolean } = {}): Buffer {
  const protocol = spec.protocol ?? (packet.length > 0 && packet[0] >>> 4 === 6 ? 0x0057 : 0x0021);
  const head = spec.addressControl === false ? [] : [0xff, 0x03];
  const proto = spec.compressed === true ? [protocol & 0xff] : [protocol >>> 8, protocol & 0xff];
  return Buffer.concat([Buffer.from([...head, ...proto]), packet]);
}

/** PPPoE session header (RFC 2516) and the PPP protocol field; wrap with ethernet(.., { etherType: 0x8864 }). */
export function pppoe(packet: Uint8Array, spec: { protocol?: number; sessionId?: number; code?: number; verType?: number } = {}): Buffer {
  const header = Buffer.alloc(8);
  header[0] = spec.verType ?? 0x11;
  header[1] = spec.code ?? 0;
  header.writeUInt16BE(spec.sessionId ?? 0x2a, 2);
  header.writeUInt16BE(packet.length + 2, 4);
  header.writeUInt16BE(spec.protocol ?? (packet.length > 0 && packet[0] >>> 4 === 6 ? 0x0057 : 0x0021), 6);
  return Buffer.concat([header, packet]);
}

/** VNTag (4 bytes) and the ethertype that follows it; wrap with ethernet(.., { etherType: 0x8926 }). */
export function vntag(payload: Uint8Array, etherType: number): Buffer {
  return Buffer.concat([Buffer.from([0x80, 0x01, 0x00, 0x02, etherType >>> 8, etherType & 0xff]), payload]);
}

export interface Ieee80211Spec {
  /** QoS data (default) or plain data. */
  qos?: boolean;
  amsdu?: boolean;
  /** To DS and From DS both set: a fourth address. */
  fourAddresses?: boolean;
  protectedFrame?: boolean;
  /** Order bit on a QoS frame: 4 bytes of HT control. */
  htControl?: boolean;
  /** Frame type (2 = data, default). */
  type?: number;
}

/** An 802.11 data frame carrying `packet` behind LLC/SNAP, as Aruba access points tunnel it in GRE. */
export function ieee80211(packet: Uint8Array, etherType: number, spec: Ieee80211Spec = {}): Buffer {
  const qos = spec.qos ?? true;
  const subtype = qos ? 8 : 0;
  const header: number[] = [(subtype << 4) | ((spec.type ?? 2) << 2),
    (spec.fourAddresses === true ? 3 : 1) | (spec.protectedFrame === true ? 0x40 : 0) | (spec.htControl === true ? 0x80 : 0),
    0, 0];
  for (let a = 0; a < (spec.fourAddresses === true ? 4 : 3); a++) {
    header.push(0x02, 0, 0, 0, 0, a + 1);
    if (a === 2) header.push(0x10, 0x00); // sequence control sits between addresses 3 and 4
  }
  if (qos) header.push(spec.amsdu === true ? 0x80 : 0x00, 0x00);
  if (qos && spec.htControl === true) header.push(0, 0, 0, 0);
  const llc = Buffer.from([0xaa, 0xaa, 0x03, 0, 0, 0, etherType >>> 8, etherType & 0xff]);
  const body = Buffer.concat([llc, packet]);
  if (spec.amsdu !== true) return Buffer.concat([Buffer.from(header), body]);
  const subframe = Buffer.alloc(14);
  subframe.writeUInt16BE(body.length, 12);
  return Buffer.concat([Buffer.from(header), subframe, body]);
}

function etherTypeFor(payload: Uint8Array, otherwise: number): number {
  const version = payload.length > 0 ? payload[0] >>> 4 : 0;
  return version === 4 ? 0x0800 : version === 6 ? 0x86dd : otherwise;
}

function be32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0, 0);
  return out;
}
