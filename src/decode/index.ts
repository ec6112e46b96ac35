// The decode stage's public entry: record bytes -> PacketView, in place.

import {
  decodeEthernet, decodeLoop, decodeNull, decodeRawIp, decodeSll, decodeSll2,
} from './link.js';
import {
  LINKTYPE_DLT_RAW_12, LINKTYPE_DLT_RAW_14, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW,
} from './link-types.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { DecodeKind, type PacketView } from './packet-view.js';

export {
  ANOMALY_IPV4_TOTAL_LENGTH_ZERO, ANOMALY_IPV6_JUMBO, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO, ANOMALY_NAMES,
  ANOMALY_TCP_OPTIONS, DECODE_KIND_NAMES, DecodeKind, PacketView, TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE,
  TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
} from './packet-view.js';
export { formatAddress } from './address.js';
export { DecodeStats, MAX_DECODE_EXAMPLES, type DecodeExample, type DecodeStatsJson } from './stats.js';
export { isSupportedLinkType, LINK_TYPE_NAMES, linkTypeName } from './link-types.js';

/**
 * Decodes one record into `view` (every field is overwritten or reset) and returns view.kind.
 * Reads only data[offset .. offset + capturedLength) (clipped to data.length) and never throws,
 * whatever the bytes. The view points into `data`, so it is valid only while `data` is.
 */
export function decodePacket(
  view: PacketView, linkType: number, data: Buffer, offset: number, capturedLength: number,
): DecodeKind {
  resetView(view, linkType, data);
  let start = offset;
  let end = offset + capturedLength;
  if (end > data.length) end = data.length;
  // NaN and negative inputs fail these comparisons; decode them as an empty record.
  if (!(start >= 0) || !(end >= start)) {
    start = 0;
    end = 0;
  }
  let kind: DecodeKind;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      kind = decodeEthernet(view, data, start, end);
      break;
    case LINKTYPE_LINUX_SLL:
      kind = decodeSll(view, data, start, end);
      break;
    case LINKTYPE_LINUX_SLL2:
      kind = decodeSll2(view, data, start, end);
      break;
    case LINKTYPE_RAW:
    case LINKTYPE_DLT_RAW_12:
    case LINKTYPE_DLT_RAW_14:
      kind = decodeRawIp(view, data, start, end);
      break;
    case LINKTYPE_IPV4:
      kind = decodeIpv4(view, data, start, end);
      break;
    case LINKTYPE_IPV6:
      kind = decodeIpv6(view, data, start, end);
      break;
    case LINKTYPE_NULL:
      kind = decodeNull(view, data, start, end);
      break;
    case LINKTYPE_LOOP:
      kind = decodeLoop(view, data, start, end);
      break;
    default:
      kind = DecodeKind.UnsupportedLink;
      break;
  }
  view.kind = kind;
  return kind;
}

/** Puts back every field a decoder may set, so nothing leaks from the previous packet. */
function resetView(view: PacketView, linkType: number, data: Buffer): void {
  view.problem = '';
  view.linkType = linkType;
  view.data = data;
  view.vlanDepth = 0;
  view.vlanId = -1;
  view.ipVersion = 0;
  view.ipProtocol = 0;
  view.ttl = 0;
  view.ipTotalLength = 0;
  view.firstFragment = false;
  view.ipHeaderLength = 0;
  view.ipId = -1;
  view.anomalies = 0;
  view.ipOffset = 0;
  view.srcPort = 0;
  view.dstPort = 0;
  view.seq = 0;
  view.ack = 0;
  view.flags = 0;
  view.window = 0;
  view.tcpHeaderLength = 0;
  view.payloadLength = 0;
  view.capturedPayloadLength = 0;
  view.tcpOffset = 0;
  view.mss = -1;
  view.windowScale = -1;
  view.sackPermitted = false;
  view.sackBlockCount = 0;
  view.hasTimestamp = false;
  view.tsVal = 0;
  view.tsEcr = 0;
}
