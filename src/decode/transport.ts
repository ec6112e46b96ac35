// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"): only TCP is decoded further;
// the rest are counted by kind.

import { DecodeKind, type PacketView } from './packet-view.js';
import { decodeTcp } from './tcp.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export function decodeTransport(
  view: PacketView, protocol: number, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  switch (protocol) {
    case IPPROTO_TCP:
      return decodeTcp(view, bytes, start, ipPayloadLength, capturedEnd);
    case IPPROTO_UDP:
      return DecodeKind.Udp;
    case IPPROTO_ICMP:
      return DecodeKind.Icmp;
    case IPPROTO_ICMPV6:
      return DecodeKind.Icmp6;
    default:
      return DecodeKind.OtherIp;
  }
}
