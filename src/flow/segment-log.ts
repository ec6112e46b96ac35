// A connection's segment log packed into numbers, 8 a segment: how the flow table keeps it while
// the connection lives, and how a verdict keeps it for the ladder diagram. As objects, a segment
// took ~180 bytes of heap (its time fields boxed) and one more object for the collector to trace;
// packed, 64 bytes in one array. The UI keeps every connection's log: on a 3 M-packet capture
// (300 000 connections) that was the difference between 2.1 GB and a load 4 times as long, and a
// fraction of that.

import type { Dir, Segment } from './types.js';

export const P_TIME = 0;
export const P_LAST_TIME = 1;
export const P_SEQ = 2;
export const P_ACK = 3;
export const P_PACKET = 4;
export const P_LEN = 5;
export const P_COUNT = 6;
/** window * 2^17 + dir * 2^16 + flags * 2^7 + marks (flags 9 bits, marks 7 bits): exact in a double. */
export const P_BITS = 7;
/** Numbers per segment. */
export const PACKED = 8;

export const packBits = (dir: Dir, flags: number, marks: number, window: number): number => window * 131072 + dir * 65536 + flags * 128 + marks;

/** A logged segment, always built in this one shape (the close stage's loops stay monomorphic). */
export function newSegment(): Segment {
  return { dir: 0, packet: 0, timeUs: 0, flags: 0, marks: 0, seq: 0, ack: 0, len: 0, window: 0, count: 1, lastTimeUs: 0 };
}

/** Fills `seg` with the packed segment at `at` (a multiple of PACKED). */
export function readSegment(p: ArrayLike<number>, at: number, seg: Segment): Segment {
  const bits = p[at + P_BITS];
  seg.dir = (Math.floor(bits / 65536) & 1) as Dir;
  seg.packet = p[at + P_PACKET];
  seg.timeUs = p[at + P_TIME];
  seg.flags = Math.floor(bits / 128) & 0x1ff;
  seg.marks = bits % 128;
  seg.seq = p[at + P_SEQ];
  seg.ack = p[at + P_ACK];
  seg.len = p[at + P_LEN];
  seg.window = Math.floor(bits / 131072);
  seg.count = p[at + P_COUNT];
  seg.lastTimeUs = p[at + P_LAST_TIME];
  return seg;
}

/** A finished connection's log, kept packed; Segment objects are made only when it is read. */
export class SegmentLog {
  /** `packed` is the log's own copy (a plain array of doubles: one object, nothing to trace). */
  constructor(private readonly packed: readonly number[]) {}

  /**
   * A log of its own of packed[start, end), copied number by number: Array.from on a typed array
   * goes through its iterator, ten times slower (the terminal UI makes one for every connection).
   */
  static copyOf(packed: Float64Array, start: number, end: number): SegmentLog {
    const copy = new Array<number>(end - start);
    for (let i = start; i < end; i++) copy[i - start] = packed[i];
    return new SegmentLog(copy);
  }

  get length(): number { return this.packed.length / PACKED; }

  /** The segments as objects, in capture order (a new array each call). */
  toArray(): Segment[] {
    const out: Segment[] = new Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = readSegment(this.packed, i * PACKED, newSegment());
    return out;
  }
}
