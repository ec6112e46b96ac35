// Mutations of capture files for the fuzzer (scripts/fuzz.ts). Structure-aware where it pays: the
// seed is cut into its units (pcap file header and records, pcapng blocks) by a small lenient walker
// of its own (sharing no code with src/capture, so that a bug there cannot hide itself here), and the
// length fields, timestamps and packet headers inside those units get the values readers get wrong:
// 0, 1, odd, off by one or four, the 16 MiB and 256 KiB limits, gigabytes, 0xffffffff. Around that,
// the blind mutations: bit flips, truncation, byte ranges inserted, deleted or spliced in from other
// files, records duplicated, dropped or swapped (timestamps going backwards), and gzip wrapping
// with damage (bit flips in the deflate stream, a cut, a bad CRC or length, trailing garbage).
//
// Everything is driven by a seeded PRNG: the same seed and input number give the same mutation.

import { gzipSync } from 'node:zlib';

export class Random {
  private x: number;
  constructor(seed: number) { this.x = (seed >>> 0) || 0x9e3779b9; }
  /** xorshift32. */
  next(): number {
    let x = this.x;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.x = x;
    return x;
  }
  /** 0 <= n < bound. */
  below(bound: number): number { return bound <= 1 ? 0 : this.next() % bound; }
  chance(p: number): boolean { return this.next() / 0x1_0000_0000 < p; }
  pick<T>(items: readonly T[]): T { return items[this.below(items.length)]; }
}

export interface Unit {
  offset: number;
  length: number;
  kind: 'pcap-header' | 'pcap-record' | 'pcapng-block';
  /** Record header length (pcap) or fixed part before packet data (pcapng EPB/PB/SPB); 0 otherwise. */
  headerLength: number;
  /** pcapng block type (0 for pcap). */
  blockType: number;
}

export interface Layout {
  format: 'pcap' | 'pcapng' | 'unknown';
  littleEndian: boolean;
  units: Unit[];
}

const u32 = (b: Buffer, at: number, le: boolean): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
const w32 = (b: Buffer, at: number, v: number, le: boolean): void => {
  if (at < 0 || at + 4 > b.length) return;
  if (le) b.writeUInt32LE(v >>> 0, at); else b.writeUInt32BE(v >>> 0, at);
};
const w16 = (b: Buffer, at: number, v: number, le: boolean): void => {
  if (at < 0 || at + 2 > b.length) return;
  if (le) b.writeUInt16LE(v & 0xffff, at); else b.writeUInt16BE(v & 0xffff, at);
};

/** The units of a capture, as far as they can be walked; stops quietly at the first damage. */
export function layout(buf: Buffer): Layout {
  if (buf.length < 4) return { format: 'unknown', littleEndian: true, units: [] };
  const magicLE = buf.readUInt32LE(0), magicBE = buf.readUInt32BE(0);
  const pcapMagics = [0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34];
  if (pcapMagics.includes(magicLE) || pcapMagics.includes(magicBE)) {
    const le = pcapMagics.includes(magicLE);
    const recordHeader = (le ? magicLE : magicBE) === 0xa1b2cd34 ? 24 : 16;
    const units: Unit[] = [{ offset: 0, length: Math.min(24, buf.length), kind: 'pcap-header', headerLength: 0, blockType: 0 }];
    for (let at = 24; at + recordHeader <= buf.length && units.length < 100_000;) {
      const caplen = u32(buf, at + 8, le);
      if (at + recordHeader + caplen > buf.length) break;
      units.push({ offset: at, length: recordHeader + caplen, kind: 'pcap-record', headerLength: recordHeader, blockType: 0 });
      at += recordHeader + caplen;
    }
    return { format: 'pcap', littleEndian: le, units };
  }
  if (magicBE === 0x0a0d0d0a && buf.length >= 12) {
    let le = buf.readUInt32LE(8) === 0x1a2b3c4d;
    const units: Unit[] = [];
    for (let at = 0; at + 12 <= buf.length && units.length < 100_000;) {
      if (buf.readUInt32BE(at) === 0x0a0d0d0a && at + 12 <= buf.length) le = buf.readUInt32LE(at + 8) === 0x1a2b3c4d;
      const type = u32(buf, at, le), length = u32(buf, at + 4, le);
      if (length < 12 || length % 4 !== 0 || at + length > buf.length) break;
      const headerLength = type === 6 || type === 2 ? 28 : type === 3 ? 12 : 0;
      units.push({ offset: at, length, kind: 'pcapng-block', headerLength, blockType: type });
      at += length;
    }
    return { format: 'pcapng', littleEndian: le, units };
  }
  return { format: 'unknown', littleEndian: true, units: [] };
}

/** Values that break length arithmetic: empty, tiny, unaligned, at and just past limits, huge. */
const LENGTHS = [
  0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 16, 20, 27, 28, 31, 32, 60, 64, 255, 256, 1500, 65535, 65536,
  262_143, 262_144, 262_145, 16 * 1024 * 1024, 16 * 1024 * 1024 + 4, 128 * 1024 * 1024, 128 * 1024 * 1024 + 1,
  0x3fffffff, 0x40000000, 0x7ffffffc, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc, 0xffffffff,
];
const BYTES = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0f, 0x10, 0x11, 0x12, 0x14, 0x3a, 0x40, 0x45, 0x46, 0x4f, 0x50, 0x60,
  0x7f, 0x80, 0x81, 0x86, 0x88, 0xa8, 0xdd, 0xf0, 0xfe, 0xff, 0x2b, 0x2c, 0x3b, 0x3c, 0x87, 0x33];
/** Ethertypes and IP protocol numbers that open more headers: VLAN, QinQ, IPv4/6, IPv6 extensions. */
const WORDS16 = [0x8100, 0x88a8, 0x9100, 0x0800, 0x86dd, 0x0806, 0x0000, 0xffff, 0x05dc, 0x0600, 0x002b, 0x003c, 0x2c00, 0x0006];
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 147, 228, 229, 276, 105, 127, 0xffff, 0x7fffffff, 0xffffffff, 0x10000001, 0xd0000001];

export interface Mutated {
  bytes: Buffer;
  /** Wrap in gzip (after the byte mutations). */
  gzip: boolean;
  /** Operator names, in the order applied. */
  steps: string[];
}

type Operator = (buf: Buffer, lay: Layout, rnd: Random, others: Buffer[]) => Buffer;

/** A unit, or null when the seed could not be walked. */
function someUnit(lay: Layout, rnd: Random, kind?: Unit['kind']): Unit | null {
  const units = kind === undefined ? lay.units : lay.units.filter((u) => u.kind === kind);
  return units.length > 0 ? rnd.pick(units) : null;
}

const OPERATORS: Record<string, Operator> = {
  bitFlip(buf, lay, rnd) {
    const out = Buffer.from(buf);
    if (out.length === 0) return out;
    const unit = someUnit(lay, rnd);
    for (let k = 1 + rnd.below(8); k > 0; k--) {
      // Mostly inside a unit's first 64 bytes: the headers are what a reader interprets.
      const at = unit !== null && rnd.chance(0.8) ? unit.offset + rnd.below(Math.min(64, unit.length)) : rnd.below(out.length);
      if (at < out.length) out[at] ^= 1 << rnd.below(8);
    }
    return out;
  },
  byteValue(buf, lay, rnd) {
    const out = Buffer.from(buf);
    if (out.length === 0) return out;
    const unit = someUnit(lay, rnd);
    for (let k = 1 + rnd.below(4); k > 0; k--) {
      const at = unit !== null ? unit.offset + rnd.below(Math.min(96, unit.length)) : rnd.below(out.length);
      if (at < out.length) out[at] = rnd.pick(BYTES);
    }
    return out;
  },
  truncate(buf, lay, rnd) {
    const unit = someUnit(lay, rnd);
    // At a unit boundary give or take a few bytes (cuts inside headers), or anywhere.
    const at = unit !== null && rnd.chance(0.7) ? unit.offset + rnd.below(24) - 4 : rnd.below(buf.length + 1);
    return buf.subarray(0, Math.max(0, Math.min(buf.length, at)));
  },
  lengthField(buf, lay, rnd) {
    const out = Buffer.from(buf);
    const unit = someUnit(lay, rnd);
    if (unit === null) return OPERATORS.word32(buf, lay, rnd, []);
    const le = lay.littleEndian;
    const value = rnd.chance(0.7) ? rnd.pick(LENGTHS) : (unit.length + rnd.below(9) - 4) >>> 0;
    if (unit.kind === 'pcap-record') {
      // caplen, len, or both.
      const which = rnd.below(3);
      if (which !== 1) w32(out, unit.offset + 8, value, le);
      if (which !== 0) w32(out, unit.offset + 12, rnd.chance(0.5) ? value : rnd.pick(LENGTHS), le);
    } else if (unit.kind === 'pcap-header') {
      w32(out, 16, value, le); // snaplen
    } else {
      const field = rnd.below(4);
      if (field === 0) w32(out, unit.offset + 4, value, le); // leading block length
      else if (field === 1) w32(out, unit.offset + unit.length - 4, value, le); // trailing
      else if (field === 2 && (unit.blockType === 6 || unit.blockType === 2)) w32(out, unit.offset + 20, value, le); // caplen
      else if (unit.blockType === 3) w32(out, unit.offset + 8, value, le); // SPB original length
      else if (unit.blockType === 0x0a0d0d0a) w32(out, unit.offset + 16 + rnd.below(2) * 4, value, le); // section length
      else {
        // An option's length: options start after the fixed part (SHB 24, IDB 16, EPB 28 + data).
        const at = unit.offset + (unit.blockType === 1 ? 16 : unit.blockType === 0x0a0d0d0a ? 24 : 8 + rnd.below(Math.max(1, unit.length - 12)));
        w16(out, at + 2, rnd.chance(0.5) ? value : rnd.pick([0, 1, 3, 0xfff, 0xfffc, 0xffff]), le);
      }
    }
    return out;
  },
  word32(buf, _lay, rnd) {
    const out = Buffer.from(buf);
    if (out.length < 4) return out;
    const at = rnd.below(out.length - 3) & ~3;
    w32(out, at, rnd.pick(LENGTHS), rnd.chance(0.5));
    return out;
  },
  headerField(buf, lay, rnd) {
    const out = Buffer.from(buf);
    const le = lay.littleEndian;
    if (lay.format === 'pcap') {
      switch (rnd.below(4)) {
        case 0: w32(out, 20, rnd.pick(LINK_TYPES), le); break; // link type (+ FCS bits)
        case 1: w16(out, 4, rnd.pick([0, 1, 2, 3, 543, 0xffff]), le); w16(out, 6, rnd.pick([0, 1, 4, 5, 0xffff]), le); break;
        case 2: w32(out, 16, rnd.pick(LENGTHS), le); break;
        default: w32(out, 8, rnd.next(), le); w32(out, 12, rnd.next(), le); // thiszone, sigfigs
      }
    } else if (lay.format === 'pcapng') {
      const idb = someUnit({ ...lay, units: lay.units.filter((u) => u.blockType === 1) }, rnd);
      if (idb === null) return OPERATORS.lengthField(buf, lay, rnd, []);
      switch (rnd.below(4)) {
        case 0: w16(out, idb.offset + 8, rnd.pick(LINK_TYPES), le); break;
        case 1: w32(out, idb.offset + 12, rnd.pick(LENGTHS), le); break; // snaplen
        default: {
          // Rewrite the first option as if_tsresol / if_tsoffset / if_fcslen with an odd value.
          const at = idb.offset + 16;
          if (at + 12 > idb.offset + idb.length) break;
          const code = rnd.pick([9, 14, 13, 2, 3, 1, 0]);
          w16(out, at, code, le);
          w16(out, at + 2, code === 14 ? 8 : rnd.pick([1, 4, 8]), le);
          out[at + 4] = rnd.pick([0, 6, 9, 19, 63, 64, 0x80, 0x80 | 63, 0x80 | 64, 0xff]);
          if (code === 14) for (let i = 0; i < 8; i++) out[at + 4 + i] = rnd.chance(0.5) ? 0xff : rnd.pick([0, 0x7f, 0x80]);
        }
      }
    }
    return out;
  },
  timestamp(buf, lay, rnd) {
    const out = Buffer.from(buf);
    const packets = lay.units.filter((u) => u.kind === 'pcap-record' || u.blockType === 6 || u.blockType === 2);
    if (packets.length === 0) return OPERATORS.bitFlip(buf, lay, rnd, []);
    const le = lay.littleEndian;
    for (let k = 1 + rnd.below(3); k > 0; k--) {
      const unit = rnd.pick(packets);
      const base = unit.kind === 'pcap-record' ? unit.offset : unit.offset + 12;
      const value = rnd.pick([0, 1, 999_999, 1_000_000, 999_999_999, 1_000_000_000, 0x7fffffff, 0x80000000, 0xffffffff, rnd.next()]);
      w32(out, base + rnd.below(2) * 4, value, le);
    }
    return out;
  },
  packetField(buf, lay, rnd) {
    const out = Buffer.from(buf);
    const packets = lay.units.filter((u) => u.headerLength > 0);
    if (packets.length === 0) return OPERATORS.byteValue(buf, lay, rnd, []);
    const unit = rnd.pick(packets);
    const data = unit.offset + unit.headerLength;
    const room = Math.min(120, unit.offset + unit.length - data);
    if (room < 2) return out;
    for (let k = 1 + rnd.below(3); k > 0; k--) {
      const at = data + rnd.below(room - 1);
      if (rnd.chance(0.5)) w16(out, at, rnd.pick(WORDS16), false);
      else out[at] = rnd.pick(BYTES);
    }
    return out;
  },
  /**
   * TCP fields the flow and close stages interpret: flags (every combination, SYN+FIN, RST+SYN),
   * sequence and acknowledgement numbers (0, wrap-around, half the space away), ports, data
   * offset, and the addresses (a self-connection: source = destination). Applied to one packet,
   * or to a copy of it put in somewhere else (an injected RST, FIN or SYN mid-connection).
   */
  tcpField(buf, lay, rnd) {
    const packets = lay.units.filter((u) => u.headerLength > 0);
    if (packets.length === 0) return OPERATORS.packetField(buf, lay, rnd, []);
    const unit = rnd.pick(packets);
    const piece = Buffer.from(buf.subarray(unit.offset, unit.offset + unit.length));
    const data = unit.headerLength, end = piece.length - (unit.kind === 'pcapng-block' ? 4 : 0);
    // The IP header: where an IPv4 (0x45..0x4f) or IPv6 (0x6_) version byte sits after a link header.
    const ipAt = [0, 4, 14, 16, 18, 20, 22].map((k) => data + k).find((at) => at < end && (piece[at] >> 4 === 4 || piece[at] >> 4 === 6));
    if (ipAt === undefined) return OPERATORS.packetField(buf, lay, rnd, []);
    const v6 = piece[ipAt] >> 4 === 6;
    const tcpAt = ipAt + (v6 ? 40 : (piece[ipAt] & 0x0f) * 4);
    if (tcpAt + 20 > end) return buf;
    for (let k = 1 + rnd.below(2); k > 0; k--) {
      switch (rnd.below(7)) {
        case 0: piece[tcpAt + 13] = rnd.pick([0x02, 0x12, 0x10, 0x11, 0x01, 0x04, 0x14, 0x03, 0x06, 0x07, 0x17, 0x3f, 0xff, 0x00, 0x18, 0x19]); break;
        case 1: piece.writeUInt32BE(rnd.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, (piece.readUInt32BE(tcpAt + 4) + 0x80000000) >>> 0, (piece.readUInt32BE(tcpAt + 4) - 1) >>> 0, rnd.next()]), tcpAt + 4); break;
        case 2: piece.writeUInt32BE(rnd.pick([0, 1, 0xffffffff, (piece.readUInt32BE(tcpAt + 8) + 0x80000000) >>> 0, (piece.readUInt32BE(tcpAt + 8) + 1) >>> 0, rnd.next()]), tcpAt + 8); break;
        case 3: piece.writeUInt16BE(rnd.pick([0, 1, 80, 443, 1023, 1024, 32768, 65535, piece.readUInt16BE(tcpAt + 2)]), tcpAt + rnd.below(2) * 2); break;
        case 4: piece[tcpAt + 12] = (rnd.pick([0, 1, 4, 5, 6, 15]) << 4) | (piece[tcpAt + 12] & 0x0f); break;
        case 5: { // source address := destination address
          const [src, dst, n] = v6 ? [ipAt + 8, ipAt + 24, 16] : [ipAt + 12, ipAt + 16, 4];
          piece.copy(piece, src, dst, dst + n);
          break;
        }
        default: piece.writeUInt16BE(rnd.pick([0, 1, 0xffff]), tcpAt + 14); // window
      }
    }
    if (rnd.chance(0.5)) return Buffer.concat([buf.subarray(0, unit.offset), piece, buf.subarray(unit.offset + unit.length)]);
    // The changed copy goes in before or after another packet; the original stays.
    const at = rnd.pick(packets);
    const where = at.offset + (rnd.chance(0.5) ? at.length : 0);
    return Buffer.concat([buf.subarray(0, where), piece, buf.subarray(where)]);
  },
  /** Every 16-bit word of a packet from some point on becomes a VLAN tag or an extension header. */
  endlessChain(buf, lay, rnd) {
    const out = Buffer.from(buf);
    const packets = lay.units.filter((u) => u.headerLength > 0);
    if (packets.length === 0) return out;
    const unit = rnd.pick(packets);
    const data = unit.offset + unit.headerLength;
    const end = unit.offset + unit.length - (unit.kind === 'pcapng-block' ? 4 : 0);
    const start = data + 12 + rnd.below(40);
    const pattern = rnd.pick([[0x81, 0x00], [0x88, 0xa8], [0x00, 0x00], [0x3c, 0x00], [0x2b, 0x00], [0x00, 0x01]]);
    for (let at = start; at + 1 < end; at += 2) { out[at] = pattern[0]; out[at + 1] = pattern[1]; }
    return out;
  },
  insertBytes(buf, _lay, rnd) {
    const at = rnd.below(buf.length + 1);
    const n = 1 + rnd.below(rnd.chance(0.8) ? 16 : 4096);
    const fill = Buffer.alloc(n, rnd.pick(BYTES));
    if (rnd.chance(0.5)) for (let i = 0; i < n; i++) fill[i] = rnd.next() & 0xff;
    return Buffer.concat([buf.subarray(0, at), fill, buf.subarray(at)]);
  },
  deleteBytes(buf, _lay, rnd) {
    const at = rnd.below(buf.length + 1);
    const n = 1 + rnd.below(rnd.chance(0.8) ? 16 : 4096);
    return Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + n))]);
  },
  /** A unit (record or block) of another file, or a slice of it, put in at a unit boundary. */
  splice(buf, lay, rnd, others) {
    if (others.length === 0) return OPERATORS.insertBytes(buf, lay, rnd, []);
    const other = rnd.pick(others);
    const otherLay = layout(other);
    const donor = someUnit(otherLay, rnd);
    const piece = donor !== null && rnd.chance(0.7)
      ? other.subarray(donor.offset, donor.offset + donor.length)
      : other.subarray(rnd.below(other.length), rnd.below(other.length) + 1 + rnd.below(2048));
    const unit = someUnit(lay, rnd);
    const at = unit !== null ? unit.offset + (rnd.chance(0.5) ? unit.length : 0) : rnd.below(buf.length + 1);
    const replace = unit !== null && rnd.chance(0.3);
    return Buffer.concat([buf.subarray(0, at), piece, buf.subarray(replace && unit !== null ? Math.min(buf.length, at + unit.length) : at)]);
  },
  /** Records duplicated, dropped or swapped: retransmissions, losses, time going backwards. */
  shuffleUnits(buf, lay, rnd) {
    const movable = lay.units.filter((u) => u.kind === 'pcap-record' || (u.kind === 'pcapng-block' && u.headerLength > 0));
    if (movable.length < 2) return OPERATORS.bitFlip(buf, lay, rnd, []);
    const first = movable[0].offset;
    const last = movable[movable.length - 1];
    const pieces = movable.map((u) => buf.subarray(u.offset, u.offset + u.length));
    for (let k = 1 + rnd.below(6); k > 0; k--) {
      const i = rnd.below(pieces.length), j = rnd.below(pieces.length);
      switch (rnd.below(3)) {
        case 0: [pieces[i], pieces[j]] = [pieces[j], pieces[i]]; break;
        case 1: pieces.splice(i, 0, pieces[j]); break;
        default: if (pieces.length > 1) pieces.splice(i, 1);
      }
    }
    return Buffer.concat([buf.subarray(0, first), ...pieces, buf.subarray(last.offset + last.length)]);
  },
};

const OPERATOR_NAMES = Object.keys(OPERATORS);

/** Damage done to a gzip file after compression. */
function damageGzip(gz: Buffer, rnd: Random): { bytes: Buffer; step: string } {
  const out = Buffer.from(gz);
  switch (rnd.below(7)) {
    case 0: { // bit flips in the deflate stream
      for (let k = 1 + rnd.below(3); k > 0; k--) if (out.length > 18) out[10 + rnd.below(out.length - 18)] ^= 1 << rnd.below(8);
      return { bytes: out, step: 'gzip-flip' };
    }
    case 1: return { bytes: out.subarray(0, rnd.below(out.length)), step: 'gzip-cut' };
    case 2: { if (out.length >= 8) out.writeUInt32LE(rnd.next(), out.length - 8); return { bytes: out, step: 'gzip-crc' }; }
    case 3: { if (out.length >= 4) out.writeUInt32LE(rnd.pick(LENGTHS), out.length - 4); return { bytes: out, step: 'gzip-isize' }; }
    case 4: return { bytes: Buffer.concat([out, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, rnd.next() & 0xff])]), step: 'gzip-trailing-garbage' };
    case 5: { out[3] = rnd.next() & 0x1f; return { bytes: out, step: 'gzip-flags' }; } // FEXTRA/FNAME/FCOMMENT without them
    default: return { bytes: Buffer.concat([out, out]), step: 'gzip-two-members' };
  }
}

/** One mutated input: 1 to 4 operators stacked, sometimes gzip-wrapped, sometimes with gzip damage. */
export function mutate(seed: Buffer, others: Buffer[], rnd: Random): Mutated {
  let bytes = seed;
  const steps: string[] = [];
  for (let k = 1 + rnd.below(rnd.chance(0.3) ? 4 : 2); k > 0; k--) {
    // Framing mutations mostly end the read early; TCP-level ones reach the flow and close stages.
    const name = rnd.chance(0.25) ? 'tcpField' : rnd.pick(OPERATOR_NAMES);
    bytes = OPERATORS[name](bytes, layout(bytes), rnd, others);
    steps.push(name);
  }
  const gzip = rnd.chance(0.15);
  return { bytes, gzip, steps };
}

/** The bytes written to disk for a mutated input: gzip-wrapped (and maybe damaged) when asked. */
export function encode(m: Mutated, rnd: Random): Buffer {
  if (!m.gzip) return m.bytes;
  const gz = gzipSync(m.bytes, { level: 1 + rnd.below(9) });
  if (!rnd.chance(0.6)) {
    m.steps.push('gzip');
    return gz;
  }
  const damaged = damageGzip(gz, rnd);
  m.steps.push(damaged.step);
  return damaged.bytes;
}
