// IPv6 header (RFC 8200 section 3) and the extension-header chain (RFC 8200 section 4, AH RFC 4302).

import { malformed, truncated } from './outcome.js';
import {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IPV6_JUMBO, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO, DecodeKind, type PacketView,
} from './packet-view.js';
import { decodeTransport } from './transport.js';

const IPV6_HEADER = 40;
const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51;
const NH_NONE = 59;
const NH_DESTINATION = 60;
/**
 * RFC 8200 allows each extension header once (destination options twice), so a real chain is under
 * ten; 16 leaves room for odd stacks while bounding the work a hostile packet can cause.
 */
export const MAX_IPV6_EXTENSION_HEADERS = 16;
/** RFC 2675 Jumbo Payload option type in the hop-by-hop header. */
const OPT_JUMBO = 0xc2;

/** Decodes the IPv6 packet at `start`; `end` is the captured end of the record. */
export function decodeIpv6(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  const available = end - start;
  if (available < 1) return truncated(view, 'ipv6-truncated');
  if (bytes.getUint8(start) >>> 4 !== 6) return malformed(view, 'ip-version');
  if (available < IPV6_HEADER) return truncated(view, 'ipv6-truncated');

  // From here every IP field is written (the view is not reset per packet, see clear.ts).
  view.ipVersion = 6;
  view.ipOffset = start;
  view.ipId = -1;
  view.ttl = bytes.getUint8(start + 7);
  const src = view.src;
  const dst = view.dst;
  src[0] = bytes.getUint32(start + 8);
  src[1] = bytes.getUint32(start + 12);
  src[2] = bytes.getUint32(start + 16);
  src[3] = bytes.getUint32(start + 20);
  dst[0] = bytes.getUint32(start + 24);
  dst[1] = bytes.getUint32(start + 28);
  dst[2] = bytes.getUint32(start + 32);
  dst[3] = bytes.getUint32(start + 36);

  let nextHeader = bytes.getUint8(start + 6);
  view.ipProtocol = nextHeader;
  view.ipHeaderLength = IPV6_HEADER;
  let payloadLength = bytes.getUint16(start + 4);
  if (payloadLength === 0 && nextHeader !== NH_NONE) {
    // Either an RFC 2675 jumbogram (the length is in the hop-by-hop Jumbo Payload option) or a
    // GSO / BIG TCP super-segment captured on the sending host, where Linux leaves the field 0 and
    // no jumbo option. For the latter, as with IPv4 total length 0, the frame length is the best there is.
    const jumbo = nextHeader === NH_HOP_BY_HOP ? findJumboPayloadLength(bytes, start + IPV6_HEADER, end) : -1;
    if (jumbo >= 0) {
      view.anomalies |= ANOMALY_IPV6_JUMBO;
      payloadLength = jumbo;
    } else {
      view.anomalies |= ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO;
      payloadLength = (view.wireEnd >= 0 ? view.wireEnd : end) - start - IPV6_HEADER;
    }
  }
  if (view.wireEnd >= 0 && start + IPV6_HEADER + payloadLength > view.wireEnd) {
    // Longer than the frame on the wire, so not a snaplen cut: clamp, as for IPv4.
    view.anomalies |= ANOMALY_IP_LENGTH_EXCEEDS_FRAME;
    payloadLength = view.wireEnd - start - IPV6_HEADER;
  }
  view.ipTotalLength = IPV6_HEADER + payloadLength;
  const datagramEnd = start + IPV6_HEADER + payloadLength;
  const capturedEnd = datagramEnd < end ? datagramEnd : end;

  let offset = start + IPV6_HEADER;
  let headers = 0;
  while (
    nextHeader === NH_HOP_BY_HOP || nextHeader === NH_ROUTING || nextHeader === NH_DESTINATION ||
    nextHeader === NH_FRAGMENT || nextHeader === NH_AH
  ) {
    if (++headers > MAX_IPV6_EXTENSION_HEADERS) return malformed(view, 'ipv6-ext-chain');
    let headerLength: number;
    if (nextHeader === NH_FRAGMENT) {
      headerLength = 8;
    } else {
      if (offset + 2 > datagramEnd) return malformed(view, 'ipv6-ext-length');
      if (offset + 2 > end) return truncated(view, 'ipv6-truncated');
      // AH counts 4-byte words minus 2 (RFC 4302 2.2); the others 8-byte units minus 1 (RFC 8200 4.3).
      headerLength = nextHeader === NH_AH ? (bytes.getUint8(offset + 1) + 2) * 4 : (bytes.getUint8(offset + 1) + 1) * 8;
    }
    if (offset + headerLength > datagramEnd) return malformed(view, 'ipv6-ext-length');
    if (offset + headerLength > end) return truncated(view, 'ipv6-truncated');
    if (nextHeader === NH_FRAGMENT) {
      const offsetAndFlags = bytes.getUint16(offset + 2);
      if ((offsetAndFlags & 0xfff8) !== 0) {
        view.ipProtocol = bytes.getUint8(offset);
        view.ipHeaderLength = offset + headerLength - start;
        return DecodeKind.Fragment;
      }
      // M = 0 with offset 0 is an atomic fragment (RFC 6946): a whole packet, decoded as usual.
      if ((offsetAndFlags & 0x0001) !== 0) view.firstFragment = true;
    }
    nextHeader = bytes.getUint8(offset);
    offset += headerLength;
  }
  view.ipProtocol = nextHeader;
  view.ipHeaderLength = offset - start;
  if (nextHeader === NH_NONE) return DecodeKind.OtherIp;
  return decodeTransport(view, nextHeader, bytes, offset, datagramEnd - offset, capturedEnd);
}

/**
 * Looks for the Jumbo Payload option (RFC 2675 section 2) in the hop-by-hop header at `start`.
 * Returns its 32-bit length (which counts the hop-by-hop header itself, like Payload Length would),
 * or -1 when the header or the option is not there.
 */
function findJumboPayloadLength(bytes: DataView, start: number, end: number): number {
  if (start + 2 > end) return -1;
  const headerEnd = start + (bytes.getUint8(start + 1) + 1) * 8;
  const limit = headerEnd < end ? headerEnd : end;
  let i = start + 2;
  while (i < limit) {
    const type = bytes.getUint8(i);
    if (type === 0) { // Pad1 is the one option without a length byte.
      i++;
      continue;
    }
    if (i + 2 > limit) return -1;
    const length = bytes.getUint8(i + 1);
    if (type === OPT_JUMBO && length === 4 && i + 6 <= limit) return bytes.getUint32(i + 2);
    i += 2 + length;
  }
  return -1;
}
