// Link layers: Ethernet II with VLAN / VNTag stacks and PPPoE, Linux cooked v1/v2, BSD loopback, raw IP.
// Layouts: https://www.tcpdump.org/linktypes.html and the per-type pages linked from it.

import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { malformed, truncated } from './outcome.js';
import { DecodeKind, type PacketView } from './packet-view.js';
import { decodePppoeSession } from './tunnel.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-802.1ad vendor QinQ outer tag (Cisco, Juniper), still seen on provider links. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;
/** Cisco VN-Tag (802.1Qbh precursor): 4 bytes of tag, then the next ethertype. */
export const ETHERTYPE_VNTAG = 0x8926;
/** Real provider networks stack two or three tags (VNTag counted); 8 bounds the walk on garbage. */
export const MAX_VLAN_DEPTH = 8;

const ETHERNET_HEADER = 14;
const SLL_HEADER = 16;
const SLL2_HEADER = 20;
const LOOPBACK_HEADER = 4;

// BSD address families in the loopback header. AF_INET6 differs per BSD: 24 on NetBSD, OpenBSD and
// BSD/OS, 28 on FreeBSD and DragonFly, 30 on Darwin (tcpdump and Wireshark accept all three).
const BSD_AF_INET = 2;
const BSD_AF_INET6_NETBSD = 24;
const BSD_AF_INET6_FREEBSD = 28;
const BSD_AF_INET6_DARWIN = 30;

export function decodeEthernet(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < ETHERNET_HEADER) return truncated(view, 'link-truncated');
  return decodeEtherType(view, bytes.getUint16(start + 12), bytes, start + ETHERNET_HEADER, end);
}

/**
 * LINKTYPE_LINUX_SLL: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
 * The protocol is an ethertype for ordinary devices; for the special values (1 = 802.3, 4 = 802.2
 * LLC, CAN, netlink families...) it is <= 1500 and lands in OtherLink.
 */
export function decodeSll(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < SLL_HEADER) return truncated(view, 'link-truncated');
  return decodeEtherType(view, bytes.getUint16(start + 14), bytes, start + SLL_HEADER, end);
}

/**
 * LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) interface index(4) ARPHRD(2) packet type(1)
 * address length(1) address(8). Same protocol values as SLL, moved to the front.
 */
export function decodeSll2(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < SLL2_HEADER) return truncated(view, 'link-truncated');
  return decodeEtherType(view, bytes.getUint16(start), bytes, start + SLL2_HEADER, end);
}

/**
 * Ethertype dispatch shared by Ethernet and both cooked headers, after any VLAN and VNTag tags.
 * libpcap re-inserts tags the kernel stripped (VLAN offload) into SLL/SLL2 captures too, so the
 * cooked headers go through the same tag walk. Frames inside tunnels (VXLAN, GRE bridging, ...)
 * come through here as well, and PPPoE sessions go on to the IP packet they carry (tunnel.ts).
 */
export function decodeEtherType(
  view: PacketView, etherType: number, bytes: DataView, offset: number, end: number,
): DecodeKind {
  while (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY) {
    if (view.vlanDepth === MAX_VLAN_DEPTH) return malformed(view, 'vlan-depth');
    if (offset + 4 > end) return truncated(view, 'link-truncated');
    if (view.vlanDepth === 0) view.vlanId = bytes.getUint16(offset) & 0x0fff;
    view.vlanDepth++;
    etherType = bytes.getUint16(offset + 2);
    offset += 4;
  }
  switch (etherType) {
    case ETHERTYPE_IPV4:
      return decodeIpv4(view, bytes, offset, end);
    case ETHERTYPE_IPV6:
      return decodeIpv6(view, bytes, offset, end);
    case ETHERTYPE_ARP:
      return DecodeKind.Arp;
    case ETHERTYPE_PPPOE_SESSION:
      return decodePppoeSession(view, bytes, offset, end);
    case ETHERTYPE_VNTAG:
      return decodeVnTag(view, bytes, offset, end);
    default:
      // Includes 802.3 frames, whose type field is a length (<= 1500) followed by LLC.
      return DecodeKind.OtherLink;
  }
}

/**
 * VNTag (6 bytes: tag, then the next ethertype) and whatever tags follow it, VLAN or VNTag, walked
 * here rather than in decodeEtherType's loop so that the common path tests no extra ethertype. The
 * walk stops at the first ethertype that is not a tag, so decodeEtherType does not come back here.
 */
function decodeVnTag(view: PacketView, bytes: DataView, offset: number, end: number): DecodeKind {
  let etherType = ETHERTYPE_VNTAG;
  for (let tags = 0; ; tags++) {
    if (etherType === ETHERTYPE_VNTAG) {
      if (offset + 6 > end) return truncated(view, 'link-truncated');
      etherType = bytes.getUint16(offset + 4);
      offset += 6;
    } else if (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY) {
      if (view.vlanDepth === MAX_VLAN_DEPTH) return malformed(view, 'vlan-depth');
      if (offset + 4 > end) return truncated(view, 'link-truncated');
      if (view.vlanDepth === 0) view.vlanId = bytes.getUint16(offset) & 0x0fff;
      view.vlanDepth++;
      etherType = bytes.getUint16(offset + 2);
      offset += 4;
    } else {
      return decodeEtherType(view, etherType, bytes, offset, end);
    }
    if (tags === MAX_VLAN_DEPTH) return malformed(view, 'vlan-depth');
  }
}

/**
 * LINKTYPE_NULL: a 4-byte address family in the byte order of the host that captured, which a
 * reader cannot know. Families are small numbers, so the order that gives a value below 65536 is
 * the right one (the same test tcpdump and Wireshark use).
 */
export function decodeNull(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < LOOPBACK_HEADER) return truncated(view, 'link-truncated');
  let family = bytes.getUint32(start, true);
  if ((family & 0xffff0000) !== 0) family = bytes.getUint32(start);
  return decodeFamily(view, family, bytes, start + LOOPBACK_HEADER, end);
}

/** LINKTYPE_LOOP (OpenBSD): the same header as NULL, but always in network byte order. */
export function decodeLoop(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < LOOPBACK_HEADER) return truncated(view, 'link-truncated');
  const family = bytes.getUint32(start);
  return decodeFamily(view, family, bytes, start + LOOPBACK_HEADER, end);
}

function decodeFamily(view: PacketView, family: number, bytes: DataView, offset: number, end: number): DecodeKind {
  switch (family) {
    case BSD_AF_INET:
      return decodeIpv4(view, bytes, offset, end);
    case BSD_AF_INET6_NETBSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
      return decodeIpv6(view, bytes, offset, end);
    default:
      return DecodeKind.OtherLink;
  }
}

/** LINKTYPE_RAW and the old DLT_RAW values: no link header; the IP version nibble decides. */
export function decodeRawIp(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  if (end - start < 1) return truncated(view, 'ip-truncated');
  const version = bytes.getUint8(start) >>> 4;
  if (version === 4) return decodeIpv4(view, bytes, start, end);
  if (version === 6) return decodeIpv6(view, bytes, start, end);
  return malformed(view, 'ip-version');
}
