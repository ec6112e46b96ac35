// Test glue: runs the real pipeline (capture -> decode -> flow) over one file and returns the
// rebuilt connections, for tests that compare them with something else (Zeek's conn.log, expected
// verdicts). Not the CLI's pipeline: one input, everything kept in memory.

import { readCapture } from '../../src/capture/index.js';
import type { CaptureInfo, CaptureRecord } from '../../src/capture/types.js';
import { DecodeKind, decodePacket, PacketView } from '../../src/decode/index.js';
import { FlowTable, type Connection, type FlowOptions } from '../../src/flow/index.js';

export interface RebuildOptions {
  flow?: Partial<FlowOptions>;
  /**
   * Drop packets the way Zeek does when run without -C: IPv4 packets whose header checksum fails,
   * and TCP segments whose checksum fails when the whole segment was captured. finscope itself
   * never checks (offloaded checksums are wrong in most captures); this is for differential tests.
   */
  dropBadChecksums?: boolean;
}

export interface Rebuilt {
  /** Finished connections, sorted by id. */
  connections: Connection[];
  info: CaptureInfo;
  /** Records per DecodeKind value (index = DecodeKind). */
  decodeKinds: number[];
  /** TCP packets left out because of a bad checksum (only with dropBadChecksums). */
  badChecksumDrops: number;
  /** TCP packets decoded out of a tunnel or PPPoE (PacketView.tunnelDepth > 0). */
  tunnelledTcp: number;
}

export async function rebuild(file: string, options: RebuildOptions = {}): Promise<Rebuilt> {
  const connections: Connection[] = [];
  const table = new FlowTable((c) => { connections.push(c); }, options.flow ?? {});
  const view = new PacketView();
  const decodeKinds: number[] = [];
  let badChecksumDrops = 0;
  let tunnelledTcp = 0;
  const info = await readCapture(file, (rec: CaptureRecord) => {
    const kind = decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength, rec.originalLength);
    decodeKinds[kind] = (decodeKinds[kind] ?? 0) + 1;
    if (kind !== DecodeKind.Tcp) return;
    if (view.tunnelDepth !== 0) tunnelledTcp++;
    if (options.dropBadChecksums === true && !checksumsHold(view)) {
      badChecksumDrops++;
      return;
    }
    table.add(view, rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000), rec.packetNumber);
  }, { file });
  table.flush();
  connections.sort((a, b) => a.id - b.id);
  for (let i = 0; i < decodeKinds.length; i++) decodeKinds[i] ??= 0;
  return { connections, info, decodeKinds, badChecksumDrops, tunnelledTcp };
}

/** One's-complement sum of 16-bit big-endian words of data[start, end), added to `sum`. */
function sum16(data: Buffer, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (i < end) sum += data[i] << 8;
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * Whether a decoded TCP packet passes the checks Zeek makes without -C: the IPv4 header checksum,
 * then the TCP checksum over the pseudo-header and segment, the latter only when the whole
 * segment is in the record (Zeek skips it otherwise).
 */
export function checksumsHold(view: PacketView): boolean {
  const data = view.data;
  if (view.ipVersion === 4 && fold(sum16(data, view.ipOffset, view.ipOffset + view.ipHeaderLength, 0)) !== 0xffff) {
    return false;
  }
  if (view.capturedPayloadLength < view.payloadLength) return true;
  const segmentLength = view.tcpHeaderLength + view.payloadLength;
  let sum = 0;
  const words = view.ipVersion === 4 ? 1 : 4;
  for (let i = 0; i < words; i++) {
    sum += (view.src[i] >>> 16) + (view.src[i] & 0xffff) + (view.dst[i] >>> 16) + (view.dst[i] & 0xffff);
  }
  // Protocol 6 and the segment length (IPv6: a 32-bit length, whose upper half is zero here).
  sum += 6 + segmentLength;
  sum = sum16(data, view.tcpOffset, view.tcpOffset + segmentLength, sum);
  return fold(sum) === 0xffff;
}
