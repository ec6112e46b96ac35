// UDP-borne tunnels: VXLAN (4789), Geneve (6081), GTP-U (2152), Teredo (3544, or by content).
// The destination port is tried first, then the source port (as Zeek's UDP analyzer does), and
// each header must validate before its payload is decoded as a packet: ordinary UDP that happens
// to use one of these ports stays udp. See tunnel.ts for how the inner packet is decoded.

import { decodeInner, Inner, innerWireEnd } from './tunnel.js';
import { malformed, truncated } from './outcome.js';
import {
  DecodeKind, TUNNEL_GENEVE, TUNNEL_GTP_U, TUNNEL_TEREDO, TUNNEL_VXLAN, type PacketView,
} from './packet-view.js';

const UDP_HEADER = 8;
const PORT_GTP_U = 2152;
const PORT_TEREDO = 3544;
const PORT_VXLAN = 4789;
const PORT_GENEVE = 6081;
/** decodeByPort's answer when the port or the header says this is no tunnel. */
const NOT_A_TUNNEL = -1;

const ETHERNET_HEADER = 14;
/** VXLAN flags byte: the I flag says the VNI is valid (RFC 7348 5); it is set on every VXLAN packet. */
const VXLAN_FLAG_I = 0x08;
const VXLAN_HEADER = 8;
const GENEVE_HEADER = 8;
const GENEVE_PROTO_ETHERNET = 0x6558;
const GENEVE_PROTO_IPV4 = 0x0800;
const GENEVE_PROTO_IPV6 = 0x86dd;
/** GTP version 1 (top 3 bits 001) with the protocol type bit set (GTP, not GTP'). */
const GTP_V1_GTP = 0x30;
/** Sequence number, N-PDU number or extension header flag: the 4 optional bytes are present. */
const GTP_OPTIONAL_FIELDS = 0x07;
const GTP_FLAG_EXTENSION = 0x04;
const GTP_HEADER = 8;
/** Message type 255: a G-PDU, i.e. a user packet. Echo, error indication, end marker are not. */
const GTP_G_PDU = 0xff;
const IPV6_HEADER = 40;
/** 2001:0000::/32, the Teredo prefix (RFC 4380 2.6). */
const TEREDO_PREFIX = 0x20010000;

/**
 * The UDP datagram at `start` (the IP payload: `ipPayloadLength` bytes by the IP header, captured
 * up to `capturedEnd`). Udp unless it carries a tunnel, in which case the inner packet's kind.
 */
export function decodeUdp(
  view: PacketView, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  if (start + UDP_HEADER > capturedEnd || ipPayloadLength < UDP_HEADER) return DecodeKind.Udp;
  // Most UDP is none of these: two port tests and one byte (Teredo's IPv6 version) let it go. Kept
  // small so that it inlines into decodeTransport without pushing decodeTcp out (measured).
  const ports = bytes.getUint32(start);
  const srcPort = ports >>> 16;
  const dstPort = ports & 0xffff;
  if (!isTunnelPort(dstPort) && !isTunnelPort(srcPort) &&
      (start + UDP_HEADER >= capturedEnd || (bytes.getUint8(start + UDP_HEADER) >>> 4) !== 6)) {
    return DecodeKind.Udp;
  }
  return decodeUdpTunnel(view, bytes, start, ipPayloadLength, capturedEnd, srcPort, dstPort);
}

function decodeUdpTunnel(
  view: PacketView, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number, srcPort: number,
  dstPort: number,
): DecodeKind {
  const udpLength = bytes.getUint16(start + 4);
  // The UDP length bounds the payload more tightly than IP (link padding), and it is the only
  // bound in a first fragment, whose IP payload is part of the datagram.
  let payloadEnd = start + ipPayloadLength;
  if (udpLength >= UDP_HEADER && (udpLength < ipPayloadLength || view.firstFragment)) payloadEnd = start + udpLength;
  const at = start + UDP_HEADER;
  let kind = decodeByPort(view, bytes, dstPort, at, payloadEnd, capturedEnd);
  if (kind === NOT_A_TUNNEL) {
    if (srcPort !== dstPort) kind = decodeByPort(view, bytes, srcPort, at, payloadEnd, capturedEnd);
    // Teredo clients talk to each other from any port: recognised by content, as Zeek does.
    if (kind === NOT_A_TUNNEL) kind = decodeTeredoIpv6(view, bytes, at, payloadEnd, capturedEnd, true);
  }
  return kind === NOT_A_TUNNEL ? DecodeKind.Udp : kind;
}

/** One range test turns away most ports (ephemeral ones, 53, 123, 443...) before the four exact ones. */
function isTunnelPort(port: number): boolean {
  return port >= PORT_GTP_U && port <= PORT_GENEVE &&
    (port === PORT_VXLAN || port === PORT_GENEVE || port === PORT_GTP_U || port === PORT_TEREDO);
}

function decodeByPort(view: PacketView, bytes: DataView, port: number, at: number, payloadEnd: number, capturedEnd: number): number {
  switch (port) {
    case PORT_VXLAN:
      return decodeVxlan(view, bytes, at, payloadEnd, capturedEnd);
    case PORT_GENEVE:
      return decodeGeneve(view, bytes, at, payloadEnd, capturedEnd);
    case PORT_GTP_U:
      return decodeGtpU(view, bytes, at, payloadEnd, capturedEnd);
    case PORT_TEREDO:
      return decodeTeredo(view, bytes, at, payloadEnd, capturedEnd);
    default:
      return NOT_A_TUNNEL;
  }
}

/** VXLAN (RFC 7348 5): flags (I set), 3 reserved, VNI (3), 1 reserved; then an Ethernet frame. */
function decodeVxlan(view: PacketView, bytes: DataView, at: number, payloadEnd: number, capturedEnd: number): number {
  const inner = at + VXLAN_HEADER;
  if (inner + ETHERNET_HEADER > payloadEnd || at >= capturedEnd) return NOT_A_TUNNEL;
  if ((bytes.getUint8(at) & VXLAN_FLAG_I) === 0) return NOT_A_TUNNEL;
  if (inner > capturedEnd) return truncated(view, 'tunnel-truncated');
  return decodeInner(view, bytes, TUNNEL_VXLAN, Inner.Ethernet, inner, capturedEnd, innerWireEnd(view, payloadEnd), DecodeKind.Udp);
}

/**
 * Geneve (RFC 8926 3.4): version (2 bits, 0) and options length (6 bits, 4-byte words), flags,
 * protocol type, VNI; then the options and the payload the protocol type names.
 */
function decodeGeneve(view: PacketView, bytes: DataView, at: number, payloadEnd: number, capturedEnd: number): number {
  if (at + GENEVE_HEADER > payloadEnd || at + 4 > capturedEnd) return NOT_A_TUNNEL;
  const first = bytes.getUint8(at);
  if ((first >>> 6) !== 0) return NOT_A_TUNNEL;
  const protocol = bytes.getUint16(at + 2);
  let inner: Inner;
  if (protocol === GENEVE_PROTO_ETHERNET) inner = Inner.Ethernet;
  else if (protocol === GENEVE_PROTO_IPV4) inner = Inner.Ipv4;
  else if (protocol === GENEVE_PROTO_IPV6) inner = Inner.Ipv6;
  else return NOT_A_TUNNEL;
  const innerStart = at + GENEVE_HEADER + (first & 0x3f) * 4;
  if (innerStart > payloadEnd) return malformed(view, 'tunnel-length');
  if (innerStart > capturedEnd) return truncated(view, 'tunnel-truncated');
  return decodeInner(view, bytes, TUNNEL_GENEVE, inner, innerStart, capturedEnd, innerWireEnd(view, payloadEnd), DecodeKind.Udp);
}

/**
 * GTP-U (3GPP TS 29.281 5.1): flags, message type, length (of what follows the first 8 bytes),
 * TEID; 4 optional bytes when any of E, S, PN is set; extension headers while the next-type byte
 * is non-zero (each 4n bytes, n in its first byte). Only G-PDUs carry a user packet, IPv4 or IPv6.
 */
function decodeGtpU(view: PacketView, bytes: DataView, at: number, payloadEnd: number, capturedEnd: number): number {
  if (at + GTP_HEADER > payloadEnd || at + 2 > capturedEnd) return NOT_A_TUNNEL;
  const flags = bytes.getUint8(at);
  if ((flags & 0xf0) !== GTP_V1_GTP || bytes.getUint8(at + 1) !== GTP_G_PDU) return NOT_A_TUNNEL;
  if (at + GTP_HEADER > capturedEnd) return truncated(view, 'tunnel-truncated');
  const gtpEnd = at + GTP_HEADER + bytes.getUint16(at + 2);
  if (gtpEnd > payloadEnd) return malformed(view, 'tunnel-length');
  let innerStart = at + GTP_HEADER;
  if ((flags & GTP_OPTIONAL_FIELDS) !== 0) {
    innerStart += 4;
    if (innerStart > gtpEnd) return malformed(view, 'tunnel-length');
    if (innerStart > capturedEnd) return truncated(view, 'tunnel-truncated');
    if ((flags & GTP_FLAG_EXTENSION) !== 0) {
      // Each header moves at least 4 bytes on inside gtpEnd, so the walk ends.
      let nextType = bytes.getUint8(innerStart - 1);
      while (nextType !== 0) {
        if (innerStart + 4 > gtpEnd) return malformed(view, 'tunnel-length');
        if (innerStart + 1 > capturedEnd) return truncated(view, 'tunnel-truncated');
        const length = bytes.getUint8(innerStart) * 4;
        if (length === 0 || innerStart + length > gtpEnd) return malformed(view, 'tunnel-length');
        if (innerStart + length > capturedEnd) return truncated(view, 'tunnel-truncated');
        nextType = bytes.getUint8(innerStart + length - 1);
        innerStart += length;
      }
    }
  }
  if (innerStart >= gtpEnd) return DecodeKind.Udp;
  const end = capturedEnd < gtpEnd ? capturedEnd : gtpEnd;
  return decodeInner(view, bytes, TUNNEL_GTP_U, Inner.Ip, innerStart, end, innerWireEnd(view, gtpEnd), DecodeKind.Udp);
}

/**
 * Teredo on its port (RFC 4380 5.1.1): an optional authentication indicator (0x0001, then client
 * id and authentication value lengths, the two, an 8-byte nonce and a confirmation byte), an
 * optional origin indication (0x0000, 8 bytes), then the IPv6 packet.
 */
function decodeTeredo(view: PacketView, bytes: DataView, at: number, payloadEnd: number, capturedEnd: number): number {
  let p = at;
  if (p + 4 <= capturedEnd && bytes.getUint16(p) === 1) p += 13 + bytes.getUint8(p + 2) + bytes.getUint8(p + 3);
  if (p + 2 <= capturedEnd && bytes.getUint16(p) === 0) p += 8;
  return decodeTeredoIpv6(view, bytes, p, payloadEnd, capturedEnd, false);
}

/**
 * The IPv6 packet of a Teredo datagram, which must fill the UDP payload exactly (as Zeek requires).
 * Off the Teredo port one address must also be in 2001:0::/32 (Zeek's detection pattern).
 */
function decodeTeredoIpv6(
  view: PacketView, bytes: DataView, p: number, payloadEnd: number, capturedEnd: number, needPrefix: boolean,
): number {
  if (p + 6 > capturedEnd || (bytes.getUint8(p) >>> 4) !== 6) return NOT_A_TUNNEL;
  if (p + IPV6_HEADER + bytes.getUint16(p + 4) !== payloadEnd) return NOT_A_TUNNEL;
  if (needPrefix && (p + IPV6_HEADER > capturedEnd ||
      (bytes.getUint32(p + 8) !== TEREDO_PREFIX && bytes.getUint32(p + 24) !== TEREDO_PREFIX))) {
    return NOT_A_TUNNEL;
  }
  return decodeInner(view, bytes, TUNNEL_TEREDO, Inner.Ipv6, p, capturedEnd, innerWireEnd(view, payloadEnd), DecodeKind.Udp);
}
