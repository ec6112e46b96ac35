// Encapsulations decoded in place: the outer headers are stepped over by offset and the inner
// packet is decoded into the same view, so the view ends up describing the inner IP/TCP (Zeek keys
// tunnelled connections on the inner 4-tuple too). This file: the shared step into an inner packet,
// IP-in-IP / 6in4, GRE (with ERSPAN, PPTP's PPP and Aruba's 802.11) and PPPoE. UDP-borne tunnels
// (VXLAN, Geneve, GTP-U, Teredo) are in udp-tunnel.ts.
//
// Nesting is recursion through decodeInner, bounded by MAX_TUNNEL_DEPTH. An outer header that does
// not validate (unknown GRE version or flags, an inner frame that is not IP/ARP) leaves the packet
// as what it was before (udp / other-ip / other-link): only a header we decided to step through can
// make the packet Truncated or Malformed.

import { decodeEtherType, decodeEthernet } from './link.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { malformed, truncated } from './outcome.js';
import {
  DecodeKind, TUNNEL_ERSPAN, TUNNEL_GRE, TUNNEL_PPPOE, type PacketView,
} from './packet-view.js';

/**
 * Encapsulations one packet may be decoded through. Real stacks are one or two deep (VXLAN around
 * a VLAN-tagged frame, GRE around PPP); 4 leaves room while bounding what a hostile packet costs.
 * Zeek's Tunnel::max_depth is 2.
 */
export const MAX_TUNNEL_DEPTH = 4;

/** What an encapsulation carries, for decodeInner. */
export const enum Inner {
  Ethernet = 0,
  /** IPv4 or IPv6 by the version nibble (GTP-U, ERSPAN III frame type 2). */
  Ip = 1,
  Ipv4 = 2,
  Ipv6 = 3,
  /** PPP protocol field, optionally behind the HDLC address/control bytes 0xff 0x03. */
  Ppp = 4,
  /** An IEEE 802.11 data frame (Aruba access points' GRE). */
  Ieee80211 = 5,
}

const ETHERTYPE_PPPOE_SESSION_VER_TYPE = 0x11;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;

const GRE_CHECKSUM = 0x8000;
const GRE_ROUTING = 0x4000;
const GRE_KEY = 0x2000;
const GRE_SEQUENCE = 0x1000;
/** PPTP's enhanced GRE (RFC 2637 4.1): acknowledgement number present. */
const GRE_ACK = 0x0080;
/** Bits RFC 2784 / RFC 2637 leave reserved (0); set means a GRE we do not know. */
const GRE_RESERVED_FLAGS = 0x0078;
const GRE_PROTO_IPV4 = 0x0800;
const GRE_PROTO_IPV6 = 0x86dd;
const GRE_PROTO_TEB = 0x6558;
const GRE_PROTO_ERSPAN_1_2 = 0x88be;
const GRE_PROTO_ERSPAN_3 = 0x22eb;
const GRE_PROTO_PPP = 0x880b;
/** Cisco WCCP redirection: the IPv4 packet, behind a 4-byte redirect header in WCCP version 2. */
const GRE_PROTO_WCCP = 0x883e;
const ARUBA_WLAN_LAST = 0x8370;
const ARUBA_WLAN_OTHER = 0x9000;

/**
 * Steps into the packet an encapsulation carries: `start`..`end` are its captured bytes, `wireEnd`
 * where it really ends (-1: unknown, as inside a first fragment whose rest is in later records).
 * Returns the inner packet's kind; when the inner bytes turn out not to be IP or ARP (OtherLink),
 * the step is undone and `outerKind` returned, so that ordinary traffic on a tunnel's port stays
 * what it was. The view keeps the frame's own wireEnd and first-fragment mark.
 */
export function decodeInner(
  view: PacketView, bytes: DataView, tunnel: number, inner: Inner, start: number, end: number, wireEnd: number,
  outerKind: DecodeKind,
): DecodeKind {
  if (view.tunnelDepth === MAX_TUNNEL_DEPTH) return malformed(view, 'tunnel-depth');
  // Bytes past the encapsulation's end (link padding after a short UDP datagram) are not the inner packet's.
  if (wireEnd >= 0 && end > wireEnd) end = wireEnd;
  const outerTunnel = view.tunnelKind;
  const outerVlanDepth = view.vlanDepth;
  const outerVlanId = view.vlanId;
  const frameWireEnd = view.wireEnd;
  const firstFragment = view.firstFragment;
  view.tunnelDepth++;
  view.tunnelKind = tunnel;
  view.wireEnd = wireEnd;
  let kind: DecodeKind;
  switch (inner) {
    case Inner.Ethernet:
      kind = decodeEthernet(view, bytes, start, end);
      break;
    case Inner.Ip:
      kind = decodeIpByVersion(view, bytes, start, end);
      break;
    case Inner.Ipv4:
      kind = decodeIpv4(view, bytes, start, end);
      break;
    case Inner.Ipv6:
      kind = decodeIpv6(view, bytes, start, end);
      break;
    case Inner.Ppp:
      kind = decodePpp(view, bytes, start, end);
      break;
    default:
      kind = decodeIeee80211Data(view, bytes, start, end);
      break;
  }
  view.wireEnd = frameWireEnd;
  // The inner header's own fragment bits say nothing about the outer datagram's.
  if (firstFragment) view.firstFragment = true;
  if (kind === DecodeKind.OtherLink) {
    view.tunnelDepth--;
    view.tunnelKind = outerTunnel;
    view.vlanDepth = outerVlanDepth;
    view.vlanId = outerVlanId;
    return outerKind;
  }
  return kind;
}

/** The wire end to give a packet carried in an IP payload ending at `payloadEnd` (see decodeInner). */
export function innerWireEnd(view: PacketView, payloadEnd: number): number {
  return view.firstFragment ? -1 : payloadEnd;
}

function decodeIpByVersion(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (start >= end) return truncated(view, 'ip-truncated');
  const version = bytes.getUint8(start) >>> 4;
  if (version === 4) return decodeIpv4(view, bytes, start, end);
  if (version === 6) return decodeIpv6(view, bytes, start, end);
  return DecodeKind.OtherLink;
}

/**
 * IP protocol 4 (IPv4) or 41 (IPv6) inside an IP packet: the payload is the inner header. `start`
 * is the payload, `payloadEnd` its end by the outer header, `capturedEnd` the captured end.
 */
export function decodeIpInIp(
  view: PacketView, bytes: DataView, tunnel: number, inner: Inner.Ipv4 | Inner.Ipv6, start: number, payloadEnd: number,
  capturedEnd: number,
): DecodeKind {
  return decodeInner(view, bytes, tunnel, inner, start, capturedEnd, innerWireEnd(view, payloadEnd), DecodeKind.OtherIp);
}

/**
 * GRE (RFC 2784 with RFC 2890 key and sequence; version 1 is PPTP's enhanced GRE, RFC 2637), with
 * the payloads Zeek follows: IPv4, IPv6, transparent Ethernet bridging, ERSPAN I/II/III, PPP
 * (version 1) and Aruba's 802.11; and WCCP redirection, as tshark does. Anything else (MPLS,
 * keepalives, routing present) stays other-ip.
 */
export function decodeGre(
  view: PacketView, bytes: DataView, start: number, payloadEnd: number, capturedEnd: number,
): DecodeKind {
  if (start + 4 > capturedEnd || start + 4 > payloadEnd) return DecodeKind.OtherIp;
  const flagsAndVersion = bytes.getUint16(start);
  const protocol = bytes.getUint16(start + 2);
  const version = flagsAndVersion & 0x7;
  if (version > 1 || (flagsAndVersion & (GRE_ROUTING | GRE_RESERVED_FLAGS)) !== 0) return DecodeKind.OtherIp;
  if (version === 1 && protocol !== GRE_PROTO_PPP) return DecodeKind.OtherIp;
  let headerLength = 4;
  if ((flagsAndVersion & GRE_CHECKSUM) !== 0) headerLength += 4;
  if ((flagsAndVersion & GRE_KEY) !== 0) headerLength += 4;
  if ((flagsAndVersion & GRE_SEQUENCE) !== 0) headerLength += 4;
  if ((flagsAndVersion & GRE_ACK) !== 0) headerLength += 4;
  let at = start + headerLength;
  let tunnel = TUNNEL_GRE;
  let inner: Inner;
  switch (protocol) {
    case GRE_PROTO_IPV4:
      inner = Inner.Ipv4;
      break;
    case GRE_PROTO_IPV6:
      inner = Inner.Ipv6;
      break;
    case GRE_PROTO_TEB:
      inner = Inner.Ethernet;
      break;
    case GRE_PROTO_WCCP:
      // Wireshark's test: no IPv4 version nibble where the packet would start means a WCCP 2 header.
      if (at < capturedEnd && (bytes.getUint8(at) >>> 4) !== 4) at += 4;
      inner = Inner.Ipv4;
      break;
    case GRE_PROTO_PPP:
      // A PPTP packet with no payload only acknowledges.
      if (version !== 1 || at >= payloadEnd) return DecodeKind.OtherIp;
      inner = Inner.Ppp;
      break;
    case GRE_PROTO_ERSPAN_1_2:
      // Type II has the sequence number and an 8-byte ERSPAN header; type I has neither.
      tunnel = TUNNEL_ERSPAN;
      inner = Inner.Ethernet;
      if ((flagsAndVersion & GRE_SEQUENCE) !== 0) at += 8;
      break;
    case GRE_PROTO_ERSPAN_3: {
      // 12-byte header; its last bit says an 8-byte platform-specific subheader follows. Frame
      // type (bits 10-14 of the third word's low half) 0 is Ethernet, 2 an IP packet.
      tunnel = TUNNEL_ERSPAN;
      if (at + 12 > payloadEnd) return malformed(view, 'tunnel-length');
      if (at + 12 > capturedEnd) return truncated(view, 'tunnel-truncated');
      const word = bytes.getUint16(at + 10);
      const frameType = (word >>> 10) & 0x1f;
      if (frameType !== 0 && frameType !== 2) return DecodeKind.OtherIp;
      inner = frameType === 0 ? Inner.Ethernet : Inner.Ip;
      at += (word & 1) !== 0 ? 20 : 12;
      break;
    }
    default:
      if ((protocol >= 0x8200 && protocol <= ARUBA_WLAN_LAST && (protocol & 0xf) === 0) || protocol === ARUBA_WLAN_OTHER) {
        inner = Inner.Ieee80211;
        break;
      }
      return DecodeKind.OtherIp;
  }
  if (at > payloadEnd) return malformed(view, 'tunnel-length');
  if (at > capturedEnd) return truncated(view, 'tunnel-truncated');
  return decodeInner(view, bytes, tunnel, inner, at, capturedEnd, innerWireEnd(view, payloadEnd), DecodeKind.OtherIp);
}

/**
 * PPPoE session stage (RFC 2516): version/type 0x11, code 0, session id, length (of the PPP frame),
 * then the PPP protocol field. The length bounds the inner packet as a UDP length does, so that
 * Ethernet padding is not taken for payload when the IP length claims it (tshark agrees; Zeek
 * ignores the PPPoE length). A length past the frame on the wire is ignored.
 */
export function decodePppoeSession(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (start + 8 > end) return truncated(view, 'link-truncated');
  if (bytes.getUint8(start) !== ETHERTYPE_PPPOE_SESSION_VER_TYPE || bytes.getUint8(start + 1) !== 0) return DecodeKind.OtherLink;
  const pppEnd = start + 6 + bytes.getUint16(start + 4);
  const frameWireEnd = view.wireEnd;
  const wireEnd = pppEnd < start + 8 || (frameWireEnd >= 0 && pppEnd > frameWireEnd) ? frameWireEnd : pppEnd;
  return decodeInner(view, bytes, TUNNEL_PPPOE, Inner.Ppp, start + 6, end, wireEnd, DecodeKind.OtherLink);
}

/**
 * A PPP frame's protocol field (RFC 1661 2; 1 byte when protocol-field compression made it odd),
 * after the optional HDLC address and control bytes. Only IPv4 and IPv6 go further.
 */
function decodePpp(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  let at = start;
  if (at + 2 <= end && bytes.getUint16(at) === 0xff03) at += 2;
  if (at >= end) return truncated(view, 'link-truncated');
  let protocol = bytes.getUint8(at);
  if ((protocol & 1) !== 0) {
    at += 1;
  } else {
    if (at + 2 > end) return truncated(view, 'link-truncated');
    protocol = bytes.getUint16(at);
    at += 2;
  }
  // 0x21 / 0x57 whether the field was compressed to one byte or not.
  if (protocol === PPP_IPV4) return decodeIpv4(view, bytes, at, end);
  if (protocol === PPP_IPV6) return decodeIpv6(view, bytes, at, end);
  return DecodeKind.OtherLink;
}

/**
 * An IEEE 802.11 data frame as Aruba access points tunnel it: MAC header (24 bytes, 30 with the
 * fourth address, + 2 QoS control, + 4 HT control when the order bit is set on a QoS frame), then
 * LLC/SNAP with an ethertype. Of an A-MSDU, only the first subframe is decoded (one view per
 * record). Management, control, null and protected frames are OtherLink.
 */
function decodeIeee80211Data(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  let at = start + 24;
  if (at > end) return truncated(view, 'link-truncated');
  const control = bytes.getUint8(start);
  const flags = bytes.getUint8(start + 1);
  const subtype = control >>> 4;
  if (((control >>> 2) & 0x3) !== 2 || (subtype & 0x4) !== 0 || (flags & 0x40) !== 0) return DecodeKind.OtherLink;
  if ((flags & 0x3) === 0x3) at += 6;
  let amsdu = false;
  if ((subtype & 0x8) !== 0) {
    if (at + 2 > end) return truncated(view, 'link-truncated');
    amsdu = (bytes.getUint8(at) & 0x80) !== 0;
    at += 2;
    if ((flags & 0x80) !== 0) at += 4;
  }
  // A-MSDU subframe header: destination, source, length.
  if (amsdu) at += 14;
  if (at + 8 > end) return truncated(view, 'link-truncated');
  // LLC/SNAP with a zero OUI: the next two bytes are an ethertype (RFC 1042).
  if (bytes.getUint16(at) !== 0xaaaa || bytes.getUint32(at + 2) !== 0x03000000) return DecodeKind.OtherLink;
  return decodeEtherType(view, bytes.getUint16(at + 6), bytes, at + 8, end);
}
