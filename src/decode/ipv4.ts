// IPv4 header (RFC 791 section 3.1).

import { malformed, truncated } from './outcome.js';
import {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IPV4_TOTAL_LENGTH_ZERO, DecodeKind, type PacketView,
} from './packet-view.js';
import { decodeTransport } from './transport.js';

const IPV4_MIN_HEADER = 20;
const FLAG_MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

/** Decodes the IPv4 datagram at `start`; `end` is the captured end of the record. */
export function decodeIpv4(view: PacketView, bytes: DataView, start: number, end: number): DecodeKind {
  const available = end - start;
  if (available < 1) return truncated(view, 'ipv4-truncated');
  const versionAndIhl = bytes.getUint8(start);
  if (versionAndIhl >>> 4 !== 4) return malformed(view, 'ip-version');
  if (available < IPV4_MIN_HEADER) return truncated(view, 'ipv4-truncated');
  const headerLength = (versionAndIhl & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) return malformed(view, 'ipv4-ihl');

  // From here every IP field is written (the view is not reset per packet, see clear.ts).
  view.ipVersion = 4;
  view.ipOffset = start;
  view.ipId = bytes.getUint16(start + 4);
  view.ttl = bytes.getUint8(start + 8);
  const protocol = bytes.getUint8(start + 9);
  view.ipProtocol = protocol;
  const src = view.src;
  const dst = view.dst;
  src[0] = bytes.getUint32(start + 12);
  src[1] = 0; src[2] = 0; src[3] = 0;
  dst[0] = bytes.getUint32(start + 16);
  dst[1] = 0; dst[2] = 0; dst[3] = 0;
  view.ipHeaderLength = headerLength;

  let totalLength = bytes.getUint16(start + 2);
  const wireEnd = view.wireEnd;
  if (totalLength === 0) {
    // With TSO/GSO the capture on the sending host sees the super-segment before the NIC splits it;
    // Linux leaves tot_len 0 when it is over 64 KiB (and some drivers always do). The frame length
    // is then the best length there is: the wire length if known (it survives a snaplen), else
    // what was captured.
    view.anomalies |= ANOMALY_IPV4_TOTAL_LENGTH_ZERO;
    totalLength = (wireEnd >= 0 ? wireEnd : end) - start;
  } else if (wireEnd >= 0 && start + totalLength > wireEnd) {
    view.anomalies |= ANOMALY_IP_LENGTH_EXCEEDS_FRAME;
    totalLength = wireEnd - start;
  }
  view.ipTotalLength = totalLength;
  if (totalLength < headerLength) return malformed(view, 'ipv4-total-length');
  if (headerLength > available) return truncated(view, 'ipv4-truncated');

  const fragment = bytes.getUint16(start + 6);
  if ((fragment & FRAGMENT_OFFSET_MASK) !== 0) return DecodeKind.Fragment;
  view.firstFragment = (fragment & FLAG_MORE_FRAGMENTS) !== 0;

  // Total length larger than the record is the snaplen at work; smaller means link padding follows
  // (Ethernet pads to 60 bytes), and padding must not count as payload.
  const datagramEnd = start + totalLength;
  const capturedEnd = datagramEnd < end ? datagramEnd : end;
  return decodeTransport(view, protocol, bytes, start + headerLength, totalLength - headerLength, capturedEnd);
}
