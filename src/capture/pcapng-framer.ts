// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks, each "type, total length, body, total
// length again" (section 3.1). A Section Header Block starts each section and fixes its byte order;
// interface ids are indexes into the section's Interface Description Blocks. Packets come in EPB
// (4.3), SPB (4.4) and the obsolete PB (appendix A); every other block is skipped by its length.

import { u16, u32, u32le } from './bytes.js';
import type { Framer } from './framer.js';
import { ProblemKind } from './problem-kinds.js';
import { SNAPLEN_CEILING, type ReaderState } from './reader-state.js';
import { readPcapngInterface, type SectionInterface } from './pcapng-interface.js';
import { OPT_COMMENT, optionText, readOptions } from './pcapng-options.js';
import { setTimestamp } from './timestamp.js';

export const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Smallest legal total length per block type: fixed fields + header + trailer. */
const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_SPB = 16;
const MIN_PB = 32;
const MIN_BLOCK = 12;

/**
 * libpcap refuses blocks above 16 MiB (sf-pcapng.c INITIAL_MAX_BLOCKSIZE) unless an interface's
 * snaplen needs more. Without a cap a damaged length would make us buffer up to 4 GiB.
 */
const DEFAULT_MAX_BLOCK_LENGTH = 16 * 1024 * 1024;

export class PcapngFramer implements Framer {
  private littleEndian = true;
  /** Interfaces of the current section: interface ids restart at 0 in every section. */
  private interfaces: SectionInterface[] = [];
  private maxBlockLength: number;

  constructor(private readonly state: ReaderState) {
    this.maxBlockLength = Math.max(DEFAULT_MAX_BLOCK_LENGTH, state.maxRecordLength + 65536);
  }

  frame(buf: Buffer, start: number, end: number, base: number): number {
    const state = this.state;
    const info = state.info;
    const record = state.record;
    const onRecord = state.onRecord;
    const delta = base - start;
    let le = this.littleEndian;
    let pos = start;
    while (end - pos >= MIN_BLOCK) {
      if (le) {
        pos = this.enhancedPacketsLittleEndian(buf, pos, end, delta);
        if (end - pos < MIN_BLOCK) break;
      }
      let type = u32(buf, pos, le);
      if (type === BT_SHB) {
        // The SHB type reads the same in both byte orders; its byte-order magic says how to read
        // everything else in the section, its own length included (section 4.1).
        const magicLE = buf.readUInt32LE(pos + 8);
        if (magicLE === BYTE_ORDER_MAGIC) le = true;
        else if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) le = false;
        else {
          state.fail(ProblemKind.BadSectionHeader,
            `section header byte-order magic is 0x${magicLE.toString(16).padStart(8, '0')}, not 0x1a2b3c4d`,
            pos + delta, null);
          break;
        }
        this.littleEndian = le;
        type = BT_SHB;
      }
      const length = u32(buf, pos + 4, le);
      if (!this.checkLength(type, length, pos + delta)) break;
      if (end - pos < length) break;
      const trailer = u32(buf, pos + length - 4, le);
      if (trailer !== length) {
        state.fail(ProblemKind.BadBlockTrailer,
          `block of type ${hex(type)} has length ${length} in its header but ${trailer} in its trailer`,
          pos + delta, null);
        break;
      }
      if (type === BT_EPB) {
        const interfaceId = u32(buf, pos + 8, le);
        const caplen = u32(buf, pos + 20, le);
        const iface = this.packetInterface(BT_EPB, interfaceId, caplen, length - MIN_EPB, pos + delta);
        if (iface === null) break;
        record.packetNumber = ++info.packets;
        record.fileOffset = pos + delta;
        record.linkType = iface.linkType;
        record.interfaceId = interfaceId;
        record.interfaceIndex = iface.index;
        setTimestamp(record,
          u32(buf, pos + 12, le),
          u32(buf, pos + 16, le), iface.scale);
        record.capturedLength = caplen;
        record.originalLength = u32(buf, pos + 24, le);
        record.data = buf;
        record.offset = pos + 28;
        onRecord(record);
      } else if (type === BT_SPB) {
        if (!this.simplePacket(buf, pos, length, delta)) break;
      } else if (type === BT_PB) {
        const interfaceId = u16(buf, pos + 8, le);
        const caplen = u32(buf, pos + 20, le);
        const iface = this.packetInterface(BT_PB, interfaceId, caplen, length - MIN_PB, pos + delta);
        if (iface === null) break;
        record.packetNumber = ++info.packets;
        record.fileOffset = pos + delta;
        record.linkType = iface.linkType;
        record.interfaceId = interfaceId;
        record.interfaceIndex = iface.index;
        setTimestamp(record,
          u32(buf, pos + 12, le),
          u32(buf, pos + 16, le), iface.scale);
        record.capturedLength = caplen;
        record.originalLength = u32(buf, pos + 24, le);
        record.data = buf;
        record.offset = pos + 28;
        onRecord(record);
      } else if (type === BT_SHB) {
        if (!this.sectionHeader(buf, pos, length, delta)) break;
      } else if (type === BT_IDB) {
        this.interfaceDescription(buf, pos, length, delta);
      }
      // Anything else (NRB, ISB, DSB, custom and local blocks, types we do not know) is skipped:
      // every block starts with type and length precisely so that readers can do this (section 3.1).
      pos += length;
    }
    info.bytesRead = pos + delta;
    return pos;
  }

  /**
   * Fast path for the block that makes up nearly all of a capture: runs of valid, complete
   * little-endian EPBs. It returns at the first block that is anything else (another type, cut,
   * damaged) and lets the general loop deal with that one, errors included.
   */
  private enhancedPacketsLittleEndian(buf: Buffer, start: number, end: number, delta: number): number {
    const info = this.state.info;
    const record = this.state.record;
    const onRecord = this.state.onRecord;
    const interfaces = this.interfaces;
    const maxBlockLength = this.maxBlockLength;
    let pos = start;
    while (end - pos >= MIN_EPB && u32le(buf, pos) === BT_EPB) {
      const length = u32le(buf, pos + 4);
      if ((length & 3) !== 0 || length < MIN_EPB || length > maxBlockLength || length > end - pos) break;
      if (u32le(buf, pos + length - 4) !== length) break;
      const interfaceId = u32le(buf, pos + 8);
      const caplen = u32le(buf, pos + 20);
      if (interfaceId >= interfaces.length || caplen > length - MIN_EPB) break;
      const iface = interfaces[interfaceId];
      if (caplen > iface.caplenLimit) break;
      record.packetNumber = ++info.packets;
      record.fileOffset = pos + delta;
      record.linkType = iface.linkType;
      record.interfaceId = interfaceId;
      record.interfaceIndex = iface.index;
      setTimestamp(record, u32le(buf, pos + 12), u32le(buf, pos + 16), iface.scale);
      record.capturedLength = caplen;
      record.originalLength = u32le(buf, pos + 24);
      record.data = buf;
      record.offset = pos + 28;
      onRecord(record);
      pos += length;
    }
    return pos;
  }

  finish(buf: Buffer, start: number, end: number, base: number): void {
    const state = this.state;
    const left = end - start;
    if (left === 0) return;
    const packetNumber = state.info.packets + 1;
    const firstSection = state.info.sections === 0;
    if (firstSection) {
      state.fail(ProblemKind.TruncatedHeader,
        `file ends inside the first section header block (${left} bytes)`, base, null);
      return;
    }
    if (left < 8) {
      state.warn(ProblemKind.TruncatedRecord,
        `file ends inside a block header (${left} of 8 bytes); the capture was probably cut short while being written`,
        base, packetNumber);
      return;
    }
    const le = this.littleEndian;
    const type = u32(buf, start, le);
    const length = u32(buf, start + 4, le);
    // With 12 bytes or more frame() already validated the length; with 8..11 it could not.
    if (type !== BT_SHB && !this.checkLength(type, length, base)) return;
    const isPacket = type === BT_EPB || type === BT_SPB || type === BT_PB;
    if (isPacket) {
      // A cut EPB whose fixed fields are there must still be self-consistent to count as cut short.
      if ((type === BT_EPB || type === BT_PB) && left >= 24) {
        const caplen = u32(buf, start + 20, le);
        if (caplen > length - MIN_EPB) {
          this.failCaplenExceedsBlock(type, caplen, length - MIN_EPB, base, packetNumber);
          return;
        }
      }
      state.warn(ProblemKind.TruncatedRecord,
        `file ends inside packet ${packetNumber} (${left} of ${length} block bytes); ` +
        'the capture was probably cut short while being written', base, packetNumber);
      return;
    }
    // Writers put section headers and interface descriptions out whole before any packet; one that
    // runs past the end is far more likely a damaged length than a cut write.
    state.fail(ProblemKind.BadBlockLength,
      `block of type ${hex(type)} claims ${length} bytes but only ${left} remain in the file`, base, null);
  }

  /** Length checks of section 3.1 plus a sanity cap; false (error recorded) when the length is bad. */
  private checkLength(type: number, length: number, offset: number): boolean {
    const minimum = type === BT_SHB ? MIN_SHB : type === BT_IDB ? MIN_IDB : type === BT_EPB ? MIN_EPB
      : type === BT_SPB ? MIN_SPB : type === BT_PB ? MIN_PB : MIN_BLOCK;
    let problem: string | null = null;
    if (length % 4 !== 0) problem = `block length ${length} is not a multiple of 4`;
    else if (length < minimum) problem = `block length ${length} is smaller than the ${minimum} bytes a block of type ${hex(type)} needs`;
    else if (length > this.maxBlockLength) problem = `block length ${length} is larger than the ${this.maxBlockLength} bytes accepted`;
    if (problem === null) return true;
    this.state.fail(ProblemKind.BadBlockLength, problem, offset, null);
    return false;
  }

  /** Validates a packet block's interface id and caplen; null (error recorded) when they are bad. */
  private packetInterface(type: number, interfaceId: number, caplen: number, room: number, offset: number): SectionInterface | null {
    const state = this.state;
    const packetNumber = state.info.packets + 1;
    if (interfaceId >= this.interfaces.length) {
      state.fail(ProblemKind.BadInterfaceId,
        `packet ${packetNumber} refers to interface ${interfaceId}, but the section describes ` +
        `${this.interfaces.length} interface(s)`, offset, packetNumber);
      return null;
    }
    if (caplen > room) {
      this.failCaplenExceedsBlock(type, caplen, room, offset, packetNumber);
      return null;
    }
    const iface = this.interfaces[interfaceId];
    if (caplen > iface.caplenLimit) {
      state.fail(ProblemKind.CaplenTooLarge,
        `packet ${packetNumber} claims ${caplen} captured bytes, more than the limit of ${iface.caplenLimit}`,
        offset, packetNumber);
      return null;
    }
    return iface;
  }

  private failCaplenExceedsBlock(type: number, caplen: number, room: number, offset: number, packetNumber: number): void {
    this.state.fail(ProblemKind.CaplenExceedsBlock,
      `packet ${packetNumber} (block type ${hex(type)}) claims ${caplen} captured bytes but its block has room for ${room}`,
      offset, packetNumber);
  }

  /**
   * Simple Packet Block (section 4.4): no interface id (always 0), no captured length and no
   * timestamp. The captured length is the smallest of the original length, the interface's snaplen
   * and the room in the block. Having no time, the packet keeps the previous packet's timestamp (0
   * for a first packet): time never runs backwards for the stages after us.
   */
  private simplePacket(buf: Buffer, pos: number, length: number, delta: number): boolean {
    const state = this.state;
    const record = state.record;
    const packetNumber = state.info.packets + 1;
    if (this.interfaces.length === 0) {
      state.fail(ProblemKind.BadInterfaceId,
        `packet ${packetNumber} is a simple packet block, but the section describes no interface`,
        pos + delta, packetNumber);
      return false;
    }
    const iface = this.interfaces[0];
    const originalLength = u32(buf, pos + 8, this.littleEndian);
    let caplen = Math.min(originalLength, length - MIN_SPB);
    if (iface.snaplen > 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    record.packetNumber = ++state.info.packets;
    record.fileOffset = pos + delta;
    record.linkType = iface.linkType;
    record.interfaceId = 0;
    record.interfaceIndex = iface.index;
    record.capturedLength = caplen;
    record.originalLength = originalLength;
    record.data = buf;
    record.offset = pos + 12;
    state.onRecord(record);
    return true;
  }

  /** Section Header Block (section 4.1): new section, new byte order, interfaces start again. */
  private sectionHeader(buf: Buffer, pos: number, length: number, delta: number): boolean {
    const state = this.state;
    const info = state.info;
    const le = this.littleEndian;
    const major = u16(buf, pos + 12, le);
    const minor = u16(buf, pos + 14, le);
    // libpcap and Wireshark only read major version 1 (1.0, and 1.2 from some old writers).
    if (major !== 1) {
      state.fail(ProblemKind.UnsupportedVersion, `unsupported pcapng version ${major}.${minor}`, pos + delta + 12, null);
      return false;
    }
    if (info.sections === 0) {
      info.format = 'pcapng';
      info.byteOrder = le ? 'little' : 'big';
    }
    info.sections += 1;
    this.interfaces = [];
    const list = readOptions(buf, pos + MIN_SHB - 4, pos + length - 4, le);
    if (list.problem !== null) state.warn(ProblemKind.BadOptions, `section header: ${list.problem}`, pos + delta, null);
    for (const option of list.options) {
      if (option.code === OPT_COMMENT) info.comments.push(optionText(buf, option));
    }
    return true;
  }

  /** Interface Description Block (section 4.2). */
  private interfaceDescription(buf: Buffer, pos: number, length: number, delta: number): void {
    const state = this.state;
    const info = state.info;
    const parsed = readPcapngInterface(buf, pos, length, this.littleEndian, info.interfaces.length, info.sections - 1);
    if (parsed.optionProblem !== null) {
      state.warn(ProblemKind.BadOptions, `interface description: ${parsed.optionProblem}`, pos + delta, null);
    }
    const iface = parsed.iface;
    // pcapng snaplen 0 means "no limit" (section 4.2); the block length cap still bounds caplen.
    iface.caplenLimit = state.caplenLimit(iface.snaplen === 0 ? SNAPLEN_CEILING : iface.snaplen);
    if (iface.snaplen > 0) this.maxBlockLength = Math.max(this.maxBlockLength, iface.caplenLimit + 65536);
    this.interfaces.push(iface);
    info.interfaces.push(parsed.info);
    state.record.interfaceCount = info.interfaces.length;
    info.comments.push(...parsed.comments);
    state.addLinkType(iface.linkType);
    if (info.timestampPrecision === null) {
      const units = iface.scale.unitsPerSecond;
      info.timestampPrecision = units === 1e6 ? 'us' : units === 1e9 ? 'ns' : 'other';
    }
  }
}

function hex(type: number): string {
  return `0x${type.toString(16).padStart(8, '0')}`;
}
