// The decode stage's public entry: record bytes -> PacketView, in place.
//
// view.problem when kind is Malformed (the header states something no snaplen can explain):
//   vlan-depth          more than MAX_VLAN_DEPTH (8) stacked 802.1Q / 802.1ad / 0x9100 / VNTag tags
//   ip-version          version nibble disagrees with the link (ethertype, family, LINKTYPE_IPV4/6),
//                       or is neither 4 nor 6 on a raw-IP link
//   ipv4-ihl            IHL < 5
//   ipv4-total-length   total length (non-zero) < IHL * 4
//   ipv6-ext-chain      more than 16 extension headers
//   ipv6-ext-length     an extension header runs past the IPv6 payload length
//   tcp-data-offset     data offset < 5, or the TCP header (20 bytes, or data offset * 4) does not
//                       fit in the IP payload length
//   tunnel-depth        more than MAX_TUNNEL_DEPTH (4) encapsulations inside one another
//   tunnel-length       a tunnel header (GRE options, ERSPAN, Geneve options, GTP-U length or
//                       extension headers) runs past the payload that carries it
//   decoder-error       the safety net caught a read past the buffer: a decoder bug, please report
// view.problem when kind is Truncated (the record ends inside a header; usually the snaplen):
//   link-truncated      Ethernet / VLAN tag / VNTag / SLL / SLL2 / NULL / LOOP / PPPoE / PPP /
//                       802.11 (Aruba GRE) header incomplete
//   ip-truncated        empty record on a raw-IP link, or nothing captured of a GTP-U packet
//   ipv4-truncated      IPv4 header (20 bytes, or IHL * 4 with options) incomplete
//   ipv6-truncated      fixed header or an extension header incomplete
//   tcp-truncated       fixed 20-byte TCP header incomplete (ports..flags filled if 14 bytes are there)
//   tunnel-truncated    a tunnel header (VXLAN, Geneve, GTP-U, GRE, ERSPAN) incomplete
// Tunnels (tunnel.ts, udp-tunnel.ts): IP-in-IP, 6in4, GRE (ERSPAN, PPTP, Aruba 802.11), VXLAN,
// Geneve, GTP-U, Teredo and PPPoE are decoded through: the view then describes the inner packet
// (view.tunnelDepth, view.tunnelKind), and the reasons above apply to the inner headers too.
// view.anomalies (ANOMALY_* bits, ANOMALY_NAMES) for packets that still decode normally:
//   ipv4-total-length-zero, ipv6-payload-length-zero (TSO/GSO on the sender: length from the
//   frame), ipv6-jumbo (RFC 2675), tcp-options (bad option length; later options ignored),
//   ip-length-exceeds-frame (IP length beyond the wire length: clamped to the frame).

import {
  decodeEthernet, decodeLoop, decodeNull, decodeRawIp, decodeSll, decodeSll2,
} from './link.js';
import {
  LINKTYPE_DLT_RAW_12, LINKTYPE_DLT_RAW_14, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from './link-types.js';
import { clearIpFields, clearTcpFields } from './clear.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { malformed } from './outcome.js';
import { DecodeKind, type PacketView } from './packet-view.js';

export {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IPV4_TOTAL_LENGTH_ZERO, ANOMALY_IPV6_JUMBO, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO, ANOMALY_NAMES,
  ANOMALY_TCP_OPTIONS, DECODE_KIND_NAMES, DecodeKind, PacketView, TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE,
  TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  TUNNEL_ERSPAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_GTP_U, TUNNEL_IP_IN_IP, TUNNEL_IPV6_IN_IP, TUNNEL_KIND_NAMES,
  TUNNEL_NONE, TUNNEL_PPPOE, TUNNEL_TEREDO, TUNNEL_VXLAN,
} from './packet-view.js';
export { MAX_TUNNEL_DEPTH } from './tunnel.js';
export { formatAddress } from './address.js';
export { DecodeStats, MAX_DECODE_EXAMPLES, type DecodeExample, type DecodeStatsJson } from './stats.js';
export { isSupportedLinkType, LINK_TYPE_NAMES, linkTypeName } from './link-types.js';

/**
 * Decodes one record into `view` (every field is overwritten or reset) and returns view.kind.
 * IP fields are meaningful when ipVersion !== 0; TCP fields once tcpOffset !== 0 (kind Tcp, or
 * Truncated / Malformed at the TCP header, where what could be read is filled and the rest is 0).
 * Reads only data[offset .. offset + capturedLength) (clipped to data.length) and never throws,
 * whatever the bytes. The view points into `data`, so it is valid only while `data` is.
 *
 * Pass the record's `originalLength` (wire length) when there is one: an IP length beyond the
 * captured bytes is then a snaplen cut only if it fits the wire length; beyond that it is clamped
 * (ANOMALY_IP_LENGTH_EXCEEDS_FRAME), and TSO length-0 packets get their length from the wire.
 */
export function decodePacket(
  view: PacketView, linkType: number, data: Buffer, offset: number, capturedLength: number,
  originalLength?: number,
): DecodeKind {
  view.problem = '';
  view.linkType = linkType;
  if (view.data !== data) {
    view.data = data;
    view.bytes = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  const bytes = view.bytes;
  view.vlanDepth = 0;
  view.vlanId = -1;
  view.tunnelDepth = 0;
  view.tunnelKind = 0;
  view.anomalies = 0;
  view.firstFragment = false;
  // Layers are reset lazily (clear.ts): remember which ones the previous packet filled.
  const staleIp = view.ipVersion !== 0;
  const staleTcp = view.tcpOffset !== 0;
  view.ipVersion = 0;
  view.tcpOffset = 0;
  let start = offset;
  let end = offset + capturedLength;
  if (end > data.length) end = data.length;
  // NaN and negative inputs fail these comparisons; decode them as an empty record.
  if (!(start >= 0) || !(end >= start)) {
    start = 0;
    end = 0;
  }
  // A wire length below the captured one is the record lying, not the packet: trust the bytes.
  view.wireEnd = originalLength === undefined || !(originalLength >= 0) ? -1
    : start + (originalLength > end - start ? originalLength : end - start);
  let kind: DecodeKind;
  try {
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        kind = decodeEthernet(view, bytes, start, end);
        break;
      case LINKTYPE_LINUX_SLL:
        kind = decodeSll(view, bytes, start, end);
        break;
      case LINKTYPE_LINUX_SLL2:
        kind = decodeSll2(view, bytes, start, end);
        break;
      case LINKTYPE_RAW:
      case LINKTYPE_DLT_RAW_12:
      case LINKTYPE_DLT_RAW_14:
        kind = decodeRawIp(view, bytes, start, end);
        break;
      case LINKTYPE_IPV4:
        kind = decodeIpv4(view, bytes, start, end);
        break;
      case LINKTYPE_IPV6:
        kind = decodeIpv6(view, bytes, start, end);
        break;
      case LINKTYPE_NULL:
        kind = decodeNull(view, bytes, start, end);
        break;
      case LINKTYPE_LOOP:
        kind = decodeLoop(view, bytes, start, end);
        break;
      default:
        kind = DecodeKind.UnsupportedLink;
        break;
    }
  } catch {
    // Unreachable when the bounds checks are right (the fuzz test holds them to that); if one is
    // wrong, a DataView read past the buffer must cost one packet, not the whole run.
    kind = malformed(view, 'decoder-error');
  }
  // A TCP header never starts at offset 0 (an IP header precedes it), so 0 means "not reached".
  if (staleTcp && view.tcpOffset === 0) clearTcpFields(view);
  if (staleIp && view.ipVersion === 0) clearIpFields(view);
  view.kind = kind;
  return kind;
}
