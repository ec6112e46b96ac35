// TCP header and options (RFC 9293 section 3.1; options from RFC 9293 3.2, RFC 7323, RFC 2018).

import { u16, u32 } from './bytes.js';
import { malformed, truncated } from './outcome.js';
import { ANOMALY_TCP_OPTIONS, DecodeKind, type PacketView } from './packet-view.js';

const TCP_FIXED_HEADER = 20;
/** Ports, seq, ack, data offset and flags: enough to say something about a cut header. */
const TCP_THROUGH_FLAGS = 14;

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
  view: PacketView, data: Buffer, start: number, ipPayloadLength: number, capturedEnd: number,
): DecodeKind {
  view.tcpOffset = start;
  // The IP lengths leave no room for a fixed header: no snaplen explains that.
  if (ipPayloadLength < TCP_FIXED_HEADER) return malformed(view, 'tcp-data-offset');
  const available = capturedEnd - start;
  if (available < TCP_FIXED_HEADER) {
    if (available >= TCP_THROUGH_FLAGS) readThroughFlags(view, data, start);
    return truncated(view, 'tcp-truncated');
  }
  readThroughFlags(view, data, start);
  view.window = u16(data, start + 14);
  const dataOffset = data[start + 12] >>> 4;
  const headerLength = dataOffset * 4;
  if (dataOffset < 5 || headerLength > ipPayloadLength) return malformed(view, 'tcp-data-offset');
  view.tcpHeaderLength = headerLength;
  const payloadLength = ipPayloadLength - headerLength;
  const capturedPayload = available - headerLength;
  view.payloadLength = payloadLength;
  view.capturedPayloadLength = capturedPayload <= 0 ? 0 : capturedPayload < payloadLength ? capturedPayload : payloadLength;
  if (headerLength > TCP_FIXED_HEADER) {
    readOptions(view, data, start + TCP_FIXED_HEADER, start + headerLength, capturedEnd);
  }
  return DecodeKind.Tcp;
}

function readThroughFlags(view: PacketView, data: Buffer, start: number): void {
  view.srcPort = u16(data, start);
  view.dstPort = u16(data, start + 2);
  view.seq = u32(data, start + 4);
  view.ack = u32(data, start + 8);
  // AE (formerly NS, RFC 3540 / RFC 9768) is the low bit of the data-offset byte.
  view.flags = ((data[start + 12] & 0x01) << 8) | data[start + 13];
}

/**
 * Walks the option list. Options are not critical to a close verdict, so a bad one stops the walk
 * (noted as ANOMALY_TCP_OPTIONS) and the packet stays Tcp. Each step advances by at least one byte,
 * and lengths < 2 stop the walk, so a hostile list cannot loop.
 */
function readOptions(view: PacketView, data: Buffer, i: number, headerEnd: number, capturedEnd: number): void {
  // Options cut by snaplen: read what is there, quietly (a short capture is not a bad header).
  const end = headerEnd < capturedEnd ? headerEnd : capturedEnd;
  while (i < end) {
    const kind = data[i];
    if (kind === OPT_EOL) return;
    if (kind === OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= end) {
      if (i + 1 >= headerEnd) view.anomalies |= ANOMALY_TCP_OPTIONS;
      return;
    }
    const length = data[i + 1];
    if (length < 2 || i + length > headerEnd) {
      view.anomalies |= ANOMALY_TCP_OPTIONS;
      return;
    }
    if (i + length > capturedEnd) return;
    switch (kind) {
      case OPT_MSS:
        if (length === 4) view.mss = u16(data, i + 2);
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_WINDOW_SCALE:
        // Raw shift count; RFC 7323 2.3 says receivers clamp > 14 to 14, which is the flow stage's call.
        if (length === 3) view.windowScale = data[i + 2];
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_SACK_PERMITTED:
        if (length === 2) view.sackPermitted = true;
        else view.anomalies |= ANOMALY_TCP_OPTIONS;
        break;
      case OPT_SACK:
        readSackBlocks(view, data, i, length);
        break;
      case OPT_TIMESTAMPS:
        if (length === 10) {
          view.hasTimestamp = true;
          view.tsVal = u32(data, i + 2);
          view.tsEcr = u32(data, i + 6);
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
function readSackBlocks(view: PacketView, data: Buffer, i: number, length: number): void {
  const blockBytes = length - 2;
  const count = blockBytes >>> 3;
  if ((blockBytes & 7) !== 0 || count < 1 || count > 4) {
    view.anomalies |= ANOMALY_TCP_OPTIONS;
    return;
  }
  const blocks = view.sackBlocks;
  for (let b = 0; b < count; b++) {
    blocks[2 * b] = u32(data, i + 2 + 8 * b);
    blocks[2 * b + 1] = u32(data, i + 6 + 8 * b);
  }
  view.sackBlockCount = count;
}
