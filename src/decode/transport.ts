// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"): TCP is decoded further, and
// tunnels (IP-in-IP, 6in4, GRE, and UDP-borne ones) are stepped through to the packet they carry;
// the rest are counted by kind.

import { DecodeKind, TUNNEL_IP_IN_IP, TUNNEL_IPV6_IN_IP, type PacketView } from './packet-view.js';
import { decodeTcp } from './tcp.js';
import { decodeGre, decodeIpInIp, Inner } from './tunnel.js';
import { decodeUdp } from './udp-tunnel.js';

export const IPPROTO_ICMP = 1;
export const IPPROTO_IPIP = 4;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_GRE = 47;
export const IPPROTO_ICMPV6 = 58;

export function decodeTransport(
  view: PacketView, protocol: number, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  switch (protocol) {
    case IPPROTO_TCP:
      return decodeTcp(view, bytes, start, ipPayloadLength, capturedEnd);
    case IPPROTO_UDP:
      return decodeUdp(view, bytes, start, ipPayloadLength, capturedEnd);
    case IPPROTO_ICMP:
      return DecodeKind.Icmp;
    case IPPROTO_ICMPV6:
      return DecodeKind.Icmp6;
    default:
      return decodeIpTunnel(view, protocol, bytes, start, ipPayloadLength, capturedEnd);
  }
}

/** IP-level tunnels, apart so that decodeTransport stays small enough to inline with decodeTcp. */
function decodeIpTunnel(
  view: PacketView, protocol: number, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  switch (protocol) {
    case IPPROTO_IPIP:
      return decodeIpInIp(view, bytes, TUNNEL_IP_IN_IP, Inner.Ipv4, start, start + ipPayloadLength, capturedEnd);
    case IPPROTO_IPV6:
      return decodeIpInIp(view, bytes, TUNNEL_IPV6_IN_IP, Inner.Ipv6, start, start + ipPayloadLength, capturedEnd);
    case IPPROTO_GRE:
      return decodeGre(view, bytes, start, start + ipPayloadLength, capturedEnd);
    default:
      return DecodeKind.OtherIp;
  }
}
