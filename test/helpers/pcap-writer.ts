// Writes capture files byte by byte for tests: classic pcap in either byte order with us, ns or the
// 'modified' magic, and pcapng with any sequence of blocks (sections in either byte order, IDB
// options, EPB / SPB / obsolete PB, arbitrary or malformed blocks). Every length can be overridden
// to build damaged files, and block offsets are returned so tests can assert exact error offsets.
//
//   const file = writePcap({ packets: [{ tsSec: 1, tsFrac: 2, data: Buffer.from('abc') }] });
//   const { bytes, offsets } = writePcapng([
//     { type: 'shb', byteOrder: 'big', options: [comment('hello')] },
//     { type: 'idb', linkType: 1, options: [ifTsresol(9)] },
//     { type: 'epb', interfaceId: 0, timestamp: 1_700_000_000_123_456_789n, data: frame },
//   ]);

export type ByteOrder = 'little' | 'big';

// ------------------------------------------------------------------ classic pcap

export interface PcapPacketSpec {
  tsSec: number;
  /** Microseconds or nanoseconds, as the file's precision says. */
  tsFrac: number;
  data: Uint8Array;
  /** Wire length; defaults to data.length. */
  originalLength?: number;
  /** Value written in the caplen field; defaults to data.length (set it to lie). */
  capturedLength?: number;
}

export interface PcapFileSpec {
  byteOrder?: ByteOrder;
  precision?: 'us' | 'ns';
  /** 'modified' pcap (magic a1b2cd34, 24-byte record headers). */
  modified?: boolean;
  versionMajor?: number;
  versionMinor?: number;
  snaplen?: number;
  /** The whole 32-bit LinkType field (upper bits may carry FCS information). Default 1 (Ethernet). */
  linkType?: number;
  packets: PcapPacketSpec[];
}

export const PCAP_HEADER_LENGTH = 24;

export function pcapRecordHeaderLength(spec: Pick<PcapFileSpec, 'modified'>): number {
  return spec.modified === true ? 24 : 16;
}

/** A classic pcap file. */
export function writePcap(spec: PcapFileSpec): Buffer {
  const le = (spec.byteOrder ?? 'little') === 'little';
  const magic = spec.modified === true ? 0xa1b2cd34 : spec.precision === 'ns' ? 0xa1b23c4d : 0xa1b2c3d4;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(PCAP_HEADER_LENGTH);
  u32(header, 0, magic, le);
  u16(header, 4, spec.versionMajor ?? 2, le);
  u16(header, 6, spec.versionMinor ?? 4, le);
  u32(header, 16, spec.snaplen ?? 65535, le);
  u32(header, 20, spec.linkType ?? 1, le);
  parts.push(header);
  const recordHeaderLength = pcapRecordHeaderLength(spec);
  for (const p of spec.packets) {
    const rh = Buffer.alloc(recordHeaderLength);
    u32(rh, 0, p.tsSec, le);
    u32(rh, 4, p.tsFrac, le);
    u32(rh, 8, p.capturedLength ?? p.data.length, le);
    u32(rh, 12, p.originalLength ?? p.data.length, le);
    parts.push(rh, Buffer.from(p.data));
  }
  return Buffer.concat(parts);
}

/** Byte offset of each record header in a file made by writePcap(spec). */
export function pcapRecordOffsets(spec: PcapFileSpec): number[] {
  const offsets: number[] = [];
  let at = PCAP_HEADER_LENGTH;
  for (const p of spec.packets) {
    offsets.push(at);
    at += pcapRecordHeaderLength(spec) + p.data.length;
  }
  return offsets;
}

// ------------------------------------------------------------------ pcapng

export interface PcapngOptionSpec {
  code: number;
  /** Raw bytes, UTF-8 text, or a bigint written as a signed 64-bit integer in the block's byte order. */
  value: Uint8Array | string | bigint;
}

/** opt_comment (1). */
export function comment(text: string): PcapngOptionSpec {
  return { code: 1, value: text };
}
/** if_name (2). */
export function ifName(text: string): PcapngOptionSpec {
  return { code: 2, value: text };
}
/** if_description (3). */
export function ifDescription(text: string): PcapngOptionSpec {
  return { code: 3, value: text };
}
/** if_tsresol (9): n for 10^-n, or 0x80 | n for 2^-n. */
export function ifTsresol(value: number): PcapngOptionSpec {
  return { code: 9, value: Uint8Array.of(value) };
}
/** if_fcslen (13), in bytes. */
export function ifFcslen(value: number): PcapngOptionSpec {
  return { code: 13, value: Uint8Array.of(value) };
}
/** if_tsoffset (14), signed seconds. */
export function ifTsoffset(seconds: bigint): PcapngOptionSpec {
  return { code: 14, value: seconds };
}

export type PcapngBlockSpec = (
  | { type: 'shb'; byteOrder?: ByteOrder; versionMajor?: number; versionMinor?: number; options?: PcapngOptionSpec[] }
  | { type: 'idb'; linkType: number; snaplen?: number; options?: PcapngOptionSpec[] }
  | {
    type: 'epb'; interfaceId: number; timestamp: bigint; data: Uint8Array;
    originalLength?: number; capturedLength?: number; options?: PcapngOptionSpec[];
  }
  | { type: 'spb'; data: Uint8Array; originalLength?: number }
  | {
    type: 'pb'; interfaceId: number; timestamp: bigint; data: Uint8Array;
    originalLength?: number; capturedLength?: number; drops?: number;
  }
  /** Any block type with a raw body (unknown blocks, ISB, NRB, ...). */
  | { type: 'raw'; blockType: number; body: Uint8Array }
) & {
  /** Leading total length to write instead of the real one. */
  totalLength?: number;
  /** Trailing total length to write instead of the leading one. */
  trailerLength?: number;
};

export interface PcapngFile {
  bytes: Buffer;
  /** Byte offset of every block, in order. */
  offsets: number[];
}

/** A pcapng file. Blocks use the byte order of the SHB before them (little-endian before any). */
export function writePcapng(blocks: PcapngBlockSpec[]): PcapngFile {
  let le = true;
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const block of blocks) {
    if (block.type === 'shb') le = (block.byteOrder ?? 'little') === 'little';
    const encoded = encodePcapngBlock(block, le);
    offsets.push(at);
    at += encoded.length;
    parts.push(encoded);
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/** One block in the given byte order. */
export function encodePcapngBlock(block: PcapngBlockSpec, littleEndian: boolean): Buffer {
  const le = littleEndian;
  let type: number;
  let body: Buffer;
  switch (block.type) {
    case 'shb': {
      type = 0x0a0d0d0a;
      const fixed = Buffer.alloc(16);
      u32(fixed, 0, 0x1a2b3c4d, le);
      u16(fixed, 4, block.versionMajor ?? 1, le);
      u16(fixed, 6, block.versionMinor ?? 0, le);
      fixed.fill(0xff, 8, 16); // section length -1: not specified
      body = Buffer.concat([fixed, encodeOptions(block.options, le)]);
      break;
    }
    case 'idb': {
      type = 1;
      const fixed = Buffer.alloc(8);
      u16(fixed, 0, block.linkType, le);
      u32(fixed, 4, block.snaplen ?? 0, le);
      body = Buffer.concat([fixed, encodeOptions(block.options, le)]);
      break;
    }
    case 'epb': {
      type = 6;
      const fixed = Buffer.alloc(20);
      u32(fixed, 0, block.interfaceId, le);
      u32(fixed, 4, Number(block.timestamp >> 32n), le);
      u32(fixed, 8, Number(block.timestamp & 0xffffffffn), le);
      u32(fixed, 12, block.capturedLength ?? block.data.length, le);
      u32(fixed, 16, block.originalLength ?? block.data.length, le);
      body = Buffer.concat([fixed, pad4(block.data), encodeOptions(block.options, le)]);
      break;
    }
    case 'spb': {
      type = 3;
      const fixed = Buffer.alloc(4);
      u32(fixed, 0, block.originalLength ?? block.data.length, le);
      body = Buffer.concat([fixed, pad4(block.data)]);
      break;
    }
    case 'pb': {
      type = 2;
      const fixed = Buffer.alloc(20);
      u16(fixed, 0, block.interfaceId, le);
      u16(fixed, 2, block.drops ?? 0, le);
      u32(fixed, 4, Number(block.timestamp >> 32n), le);
      u32(fixed, 8, Number(block.timestamp & 0xffffffffn), le);
      u32(fixed, 12, block.capturedLength ?? block.data.length, le);
      u32(fixed, 16, block.originalLength ?? block.data.length, le);
      body = Buffer.concat([fixed, pad4(block.data)]);
      break;
    }
    case 'raw':
      type = block.blockType;
      body = Buffer.from(block.body);
      break;
  }
  const total = 12 + body.length;
  const head = Buffer.alloc(8);
  u32(head, 0, type, le);
  u32(head, 4, block.totalLength ?? total, le);
  const tail = Buffer.alloc(4);
  u32(tail, 0, block.trailerLength ?? block.totalLength ?? total, le);
  return Buffer.concat([head, body, tail]);
}

function encodeOptions(options: PcapngOptionSpec[] | undefined, le: boolean): Buffer {
  if (options === undefined || options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const option of options) {
    let value: Buffer;
    if (typeof option.value === 'string') {
      value = Buffer.from(option.value, 'utf8');
    } else if (typeof option.value === 'bigint') {
      value = Buffer.alloc(8);
      if (le) value.writeBigInt64LE(option.value);
      else value.writeBigInt64BE(option.value);
    } else {
      value = Buffer.from(option.value);
    }
    const head = Buffer.alloc(4);
    u16(head, 0, option.code, le);
    u16(head, 2, value.length, le);
    parts.push(head, pad4(value));
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

function pad4(data: Uint8Array): Buffer {
  const padded = Buffer.alloc((data.length + 3) & ~3);
  padded.set(data);
  return padded;
}

function u16(buf: Buffer, at: number, value: number, le: boolean): void {
  if (le) buf.writeUInt16LE(value, at);
  else buf.writeUInt16BE(value, at);
}

function u32(buf: Buffer, at: number, value: number, le: boolean): void {
  if (le) buf.writeUInt32LE(value >>> 0, at);
  else buf.writeUInt32BE(value >>> 0, at);
}

// ------------------------------------------------------------------ packets

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
