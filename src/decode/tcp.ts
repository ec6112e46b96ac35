// TCP header and options (RFC 9293 section 3.1; options from RFC 9293 3.2, RFC 7323, RFC 2018).

import { clearTcpFields, clearTcpOptions } from './clear.js';
import { malformed, truncated } from './outcome.js';
import { ANOMALY_TCP_OPTIONS, DecodeKind, type PacketView } from './packet-view.js';

const TCP_FIXED_HEADER = 20;
/** Ports, seq, ack, data offset and flags: enough to say something about a cut header. */
const TCP_THROUGH_FLAGS = 14;

/**
 * NOP, NOP, kind 8, length 10: the layout Linux, the BSDs and Windows put on every segment after
 * the handshake when timestamps are on (RFC 7323 appendix A), so most packets take this shortcut.
 */
const NOP_NOP_TIMESTAMP = 0x0101080a;
const LINUX_TIMESTAMP_HEADER = 32;

const OPT_EOL = 0;
const OPT_NOP = 1;
const OPT_MSS = 2;
const OPT_WINDOW_SCALE = 3;
const OPT_SACK_PERMITTED = 4;
const OPT_SACK = 5;
const OPT_TIMESTAMPS = 8;

/**
 * Decodes the TCP header at `start`.
 *
 * `ipPayloadLength` is what the IP header says the segment is: the payload length comes from it,
 * because snaplen cuts payloads and the flow stage needs the real sequence-space length.
 * `capturedEnd` is where this datagram's bytes stop in the record: the snaplen cut, or the IP end
 * when Ethernet padding follows (padding is never payload).
 */
export function decodeTcp(
  view: PacketView, bytes: DataView, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  // Every path below writes every TCP field (see clear.ts): the view is not reset per packet.
  view.tcpOffset = start;
  // The IP lengths leave no room for a fixed header: no snaplen explains that.
  if (ipPayloadLength < TCP_FIXED_HEADER) {
    clearTcpFields(view);
    return malformed(view, 'tcp-data-offset');
  }
  const available = capturedEnd - start;
  if (available < TCP_FIXED_HEADER) {
    clearTcpFields(view);
    if (available >= TCP_THROUGH_FLAGS) readThroughFlags(view, bytes, start);
    return truncated(view, 'tcp-truncated');
  }
  const dataOffset = bytes.getUint8(start + 12) >>> 4;
  const headerLength = dataOffset * 4;
  if (dataOffset < 5 || headerLength > ipPayloadLength) {
    clearTcpFields(view);
    readThroughFlags(view, bytes, start);
    return malformed(view, 'tcp-data-offset');
  }
  readThroughFlags(view, bytes, start);
  view.window = bytes.getUint16(start + 14);
  view.tcpHeaderLength = headerLength;
  const payloadLength = ipPayloadLength - headerLength;
  const capturedPayload = available - headerLength;
  view.payloadLength = payloadLength;
  view.capturedPayloadLength = capturedPayload <= 0 ? 0 : capturedPayload < payloadLength ? capturedPayload : payloadLength;
  clearTcpOptions(view);
  if (headerLength === LINUX_TIMESTAMP_HEADER && start + LINUX_TIMESTAMP_HEADER <= capturedEnd &&
      bytes.getUint32(start + TCP_FIXED_HEADER) === NOP_NOP_TIMESTAMP) {
    view.hasTimestamp = true;
    view.tsVal = bytes.getUint32(start + 24);
    view.tsEcr = bytes.getUint32(start + 28);
  } else if (headerLength > TCP_FIXED_HEADER) {
    readOptions(view, bytes, start + TCP_FIXED_HEADER, start + headerLength, capturedEnd);
  }
  return DecodeKind.Tcp;
}

function readThroughFlags(view: PacketView, bytes: DataView, start: number): void {
  view.srcPort = bytes.getUint16(start);
  view.dstPort = bytes.getUint16(start + 2);
  view.seq = bytes.getUint32(start + 4);
  view.ack = bytes.getUint32(start + 8);
  // AE (formerly NS, RFC 3540 / RFC 9768) is the low bit of the data-offset byte.
  view.flags = ((bytes.getUint8(start + 12) & 0x01) << 8) | bytes.getUint8(start + 13);
}

/**
 * Walks the option list. Options are not critical to a close verdict, so a bad one stops the walk
 * (noted as ANOMALY_TCP_OPTIONS) and the packet stays Tcp. Each step advances by at least one byte,
 * and lengths < 2 stop the walk, so a hostile list cannot loop.
 */
function readOptions(view: PacketView, bytes: DataView, i: number, headerEnd: number, capturedEnd: number): void {
  // Options cut by snaplen: read what is there, quietly (a short capture is not a bad header).
  const end = headerEnd < capturedEnd ? headerEnd : capturedEnd;
  while (i < end) {
    const kind = bytes.getUint8(i);
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      if (i + 1 >= headerEnd) view.anomalies |= ANOMALY_TCP_OPTIONS;
      return;
    }
    const length = bytes.getUint8(i + 1);
    if (length < 2 || i + length > headerEnd) {
      view.anomalies |= ANOMALY_TCP_OPTIONS;
      return;
    }
    if (i + length > capturedEnd) return;
    switch (kind) {
      case OPT_MSS:
        if (length === 4) view.mss = bytes.getUint16(i + 2);
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_WINDOW_SCALE:
        // Raw shift count; RFC 7323 2.3 says receivers clamp > 14 to 14, which is the flow stage's call.
        if (length === 3) view.windowScale = bytes.getUint8(i + 2);
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_SACK_PERMITTED:
        if (length === 2) view.sackPermitted = true;
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_SACK:
        readSackBlocks(view, bytes, i, length);
        break;
      case OPT_TIMESTAMPS:
        if (length === 10) {
          view.hasTimestamp = true;
          view.tsVal = bytes.getUint32(i + 2);
          view.tsEcr = bytes.getUint32(i + 6);
        } else {
          view.anomalies |= ANOMALY_TCP_OPTIONS;
        }
        break;
      default:
        // Unknown or uninteresting (MPTCP, TCP-AO, fast open...): skipped by its length.
        break;
    }
    i += length;
  }
}

/** RFC 2018: 2 + 8n bytes, n = 1..4 (40 bytes of option space leave room for at most 4). */
function readSackBlocks(view: PacketView, bytes: DataView, i: number, length: number): void {
  const blockBytes = length - 2;
  const count = blockBytes >>> 3;
  if ((blockBytes & 7) !== 0 || count < 1 || count > 4) {
    view.anomalies |= ANOMALY_TCP_OPTIONS;
    return;
  }
  const blocks = view.sackBlocks;
  for (let b = 0; b < count; b++) {
    blocks[2 * b] = bytes.getUint32(i + 2 + 8 * b);
    blocks[2 * b + 1] = bytes.getUint32(i + 6 + 8 * b);
  }
  view.sackBlockCount = count;
}
