// Classic pcap (libpcap savefile, draft-ietf-opsawg-pcap): a 24-byte file header, then records of a
// 16-byte header (24 for the 'modified' format) and caplen bytes of data.

import { u16, u32, u32le } from './bytes.js';
import type { Framer } from './framer.js';
import { ProblemKind } from './problem-kinds.js';
import type { ReaderState } from './reader-state.js';

export const PCAP_FILE_HEADER_LENGTH = 24;

/** The magic as read big-endian from the first four bytes, and what it means. */
const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetsov's patched libpcap ("modified pcap"): 8 more record bytes (ifindex, protocol, pkt_type). */
const MAGIC_MODIFIED = 0xa1b2cd34;

interface PcapVariant {
  littleEndian: boolean;
  nanoseconds: boolean;
  recordHeaderLength: number;
}

/** Recognises a classic pcap file by its first four bytes; null when it is not one. */
export function pcapVariant(buf: Buffer, at: number): PcapVariant | null {
  const big = buf.readUInt32BE(at);
  const little = buf.readUInt32LE(at);
  for (const [value, littleEndian] of [[big, false], [little, true]] as const) {
    if (value === MAGIC_US) return { littleEndian, nanoseconds: false, recordHeaderLength: 16 };
    if (value === MAGIC_NS) return { littleEndian, nanoseconds: true, recordHeaderLength: 16 };
    if (value === MAGIC_MODIFIED) return { littleEndian, nanoseconds: false, recordHeaderLength: 24 };
  }
  return null;
}

/** True when the bytes could be the start of a pcap magic (for files shorter than 4 bytes). */
export function couldBePcapMagic(buf: Buffer, start: number, end: number): boolean {
  const magics = [MAGIC_US, MAGIC_NS, MAGIC_MODIFIED];
  const candidates: Buffer[] = [];
  for (const magic of magics) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(magic);
    candidates.push(b, Buffer.from(b).reverse());
  }
  return candidates.some((c) => c.subarray(0, end - start).equals(buf.subarray(start, end)));
}

// libpcap swaps caplen and len for old files: before 2.3 they were written the other way round, and
// 2.3 files come both ways (sf-pcap.c, lengths_swapped).
const LENGTHS_IN_ORDER = 0;
const LENGTHS_SWAPPED = 1;
const LENGTHS_MAYBE_SWAPPED = 2;

export class PcapFramer implements Framer {
  private headerDone = false;
  private readonly littleEndian: boolean;
  private readonly nanoseconds: boolean;
  private readonly recordHeaderLength: number;
  private lengths = LENGTHS_IN_ORDER;
  private caplenLimit = 0;
  private linkType = 0;

  constructor(private readonly state: ReaderState, variant: PcapVariant) {
    this.littleEndian = variant.littleEndian;
    this.nanoseconds = variant.nanoseconds;
    this.recordHeaderLength = variant.recordHeaderLength;
  }

  frame(buf: Buffer, start: number, end: number, base: number): number {
    let pos = start;
    if (!this.headerDone) {
      if (end - pos < PCAP_FILE_HEADER_LENGTH) return pos;
      if (!this.readFileHeader(buf, pos)) return pos;
      pos += PCAP_FILE_HEADER_LENGTH;
      this.state.info.bytesRead = base + PCAP_FILE_HEADER_LENGTH;
    }
    pos = this.littleEndian && this.lengths === LENGTHS_IN_ORDER
      ? this.frameRecordsLittleEndian(buf, pos, end, base - start)
      : this.frameRecords(buf, pos, end, base - start);
    this.state.info.bytesRead = base + (pos - start);
    return pos;
  }

  finish(buf: Buffer, start: number, end: number, base: number): void {
    const state = this.state;
    const left = end - start;
    if (!this.headerDone) {
      state.fail(ProblemKind.TruncatedHeader,
        `file ends inside the pcap file header (${left} of ${PCAP_FILE_HEADER_LENGTH} bytes)`, base, null);
      return;
    }
    if (left === 0) return;
    const packetNumber = state.info.packets + 1;
    if (left < this.recordHeaderLength) {
      state.warn(ProblemKind.TruncatedRecord,
        `file ends inside the header of packet ${packetNumber} (${left} of ${this.recordHeaderLength} bytes); ` +
        'the capture was probably cut short while being written', base, packetNumber);
      return;
    }
    const first = u32(buf, start + 8, this.littleEndian);
    const second = u32(buf, start + 12, this.littleEndian);
    const swapped = this.lengths === LENGTHS_SWAPPED || (this.lengths === LENGTHS_MAYBE_SWAPPED && first > second);
    const caplen = swapped ? second : first;
    state.warn(ProblemKind.TruncatedRecord,
      `file ends inside packet ${packetNumber} (${left - this.recordHeaderLength} of ${caplen} data bytes); ` +
      'the capture was probably cut short while being written', base, packetNumber);
  }

  /** Parses the file header; false (with the error recorded) when it is unusable. */
  private readFileHeader(buf: Buffer, at: number): boolean {
    const state = this.state;
    const info = state.info;
    const le = this.littleEndian;
    const major = u16(buf, at + 4, le);
    const minor = u16(buf, at + 6, le);
    const snaplen = u32(buf, at + 16, le);
    const linkTypeField = u32(buf, at + 20, le);
    // libpcap accepts 2.0 to 2.4, and 543.0 written by DG/UX tcpdump (sf-pcap.c).
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 0))) {
      state.fail(ProblemKind.UnsupportedVersion, `unsupported pcap version ${major}.${minor}`, at + 4, null);
      return false;
    }
    if (major === 2 && minor < 3) this.lengths = LENGTHS_SWAPPED;
    else if (major === 2 && minor === 3) this.lengths = LENGTHS_MAYBE_SWAPPED;
    this.headerDone = true;
    // Only the low 16 bits are the link type; the upper bits may carry the FCS length
    // (libpcap LT_LINKTYPE / LT_FCS_LENGTH_PRESENT / LT_FCS_LENGTH, in 16-bit words).
    this.linkType = linkTypeField & 0xffff;
    const fcsLength = (linkTypeField & 0x04000000) !== 0 ? ((linkTypeField >>> 28) & 0xf) * 2 : null;
    this.caplenLimit = state.caplenLimit(snaplen);
    info.format = 'pcap';
    info.timestampPrecision = this.nanoseconds ? 'ns' : 'us';
    info.byteOrder = le ? 'little' : 'big';
    info.sections = 1;
    info.interfaces.push({
      linkType: this.linkType,
      snaplen,
      name: null,
      description: null,
      tsUnitsPerSecond: this.nanoseconds ? 1e9 : 1e6,
      tsOffsetSeconds: 0,
      fcsLength,
      section: 0,
    });
    state.addLinkType(this.linkType);
    const record = state.record;
    record.linkType = this.linkType;
    record.interfaceId = 0;
    record.interfaceIndex = 0;
    return true;
  }

  /**
   * The hot loop for the common case (little-endian, lengths in order), kept separate so that it has
   * no byte-order branches. `delta` turns a buffer index into a stream offset.
   */
  private frameRecordsLittleEndian(buf: Buffer, start: number, end: number, delta: number): number {
    const state = this.state;
    const info = state.info;
    const record = state.record;
    const onRecord = state.onRecord;
    const headerLength = this.recordHeaderLength;
    const limit = this.caplenLimit;
    const fractionsPerSecond = this.nanoseconds ? 1e9 : 1e6;
    const nsPerFraction = this.nanoseconds ? 1 : 1000;
    let pos = start;
    while (end - pos >= headerLength) {
      const caplen = u32le(buf, pos + 8);
      if (caplen > limit) {
        this.failCaplen(caplen, pos + delta, info.packets + 1);
        return pos;
      }
      const next = pos + headerLength + caplen;
      if (next > end) return pos;
      const seconds = u32le(buf, pos);
      const fraction = u32le(buf, pos + 4);
      record.packetNumber = ++info.packets;
      record.fileOffset = pos + delta;
      if (fraction < fractionsPerSecond) {
        record.tsSec = seconds;
        record.tsNsec = fraction * nsPerFraction;
      } else {
        // Out of range fraction (seen in fuzzed and some broken writers' files): carry whole
        // seconds so tsNsec keeps its documented range.
        record.tsSec = seconds + Math.floor(fraction / fractionsPerSecond);
        record.tsNsec = (fraction % fractionsPerSecond) * nsPerFraction;
      }
      record.capturedLength = caplen;
      record.originalLength = u32le(buf, pos + 12);
      record.data = buf;
      record.offset = pos + headerLength;
      onRecord(record);
      pos = next;
    }
    return pos;
  }

  /** Any byte order, any lengths convention. */
  private frameRecords(buf: Buffer, start: number, end: number, delta: number): number {
    const state = this.state;
    const info = state.info;
    const record = state.record;
    const onRecord = state.onRecord;
    const le = this.littleEndian;
    const lengths = this.lengths;
    const headerLength = this.recordHeaderLength;
    const limit = this.caplenLimit;
    const fractionsPerSecond = this.nanoseconds ? 1e9 : 1e6;
    const nsPerFraction = this.nanoseconds ? 1 : 1000;
    let pos = start;
    while (end - pos >= headerLength) {
      let caplen = u32(buf, pos + 8, le);
      let len = u32(buf, pos + 12, le);
      if (lengths === LENGTHS_SWAPPED || (lengths === LENGTHS_MAYBE_SWAPPED && caplen > len)) {
        const t = caplen;
        caplen = len;
        len = t;
      }
      if (caplen > limit) {
        this.failCaplen(caplen, pos + delta, info.packets + 1);
        return pos;
      }
      const next = pos + headerLength + caplen;
      if (next > end) return pos;
      const seconds = u32(buf, pos, le);
      const fraction = u32(buf, pos + 4, le);
      record.packetNumber = ++info.packets;
      record.fileOffset = pos + delta;
      if (fraction < fractionsPerSecond) {
        record.tsSec = seconds;
        record.tsNsec = fraction * nsPerFraction;
      } else {
        record.tsSec = seconds + Math.floor(fraction / fractionsPerSecond);
        record.tsNsec = (fraction % fractionsPerSecond) * nsPerFraction;
      }
      record.capturedLength = caplen;
      record.originalLength = len;
      record.data = buf;
      record.offset = pos + headerLength;
      onRecord(record);
      pos = next;
    }
    return pos;
  }

  private failCaplen(caplen: number, offset: number, packetNumber: number): void {
    // libpcap: "invalid packet capture length %u, bigger than snaplen of %d" (sf-pcap.c).
    this.state.fail(ProblemKind.CaplenTooLarge,
      `packet ${packetNumber} claims ${caplen} captured bytes, more than the limit of ${this.caplenLimit} ` +
      '(damaged record header?)', offset, packetNumber);
  }
}
