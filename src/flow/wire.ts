// A finished connection as numbers in a Float64Array, to hand it to another thread: the flow stage
// runs on one core and the close stage on another (src/batch/split.ts). A connection is a few
// hundred bytes here (its facts, its history letters and its packed segment log), written with
// plain stores and read back into one reused object, so neither side allocates per connection.

import { newDirection } from './connection.js';
import { newSegment, PACKED, readSegment, SegmentLog } from './segment-log.js';
import type { Connection, DirectionFacts, EndReason, RoleReason, Segment } from './types.js';

const ROLE_REASONS: readonly RoleReason[] = ['syn', 'syn-ack', 'first-sender', 'well-known-port'];
const END_REASONS: readonly EndReason[] = ['capture-end', 'closed-quiet', 'idle', 'reused', 'evicted', 'zeek-timeout'];

// The fixed part of a packed connection, in numbers from its start.
const W_LENGTH = 0; // numbers in this connection, the fixed part included
const W_ID = 1;
const W_INPUT = 2;
const W_FAMILY = 3;
const W_ADDRS = 4; // client's 4 words, then server's 4
const W_PORTS = 12;
const W_ROLE = 14;
const W_FIRST_US = 15;
const W_LAST_US = 16;
const W_FIRST_PACKET = 17;
const W_LAST_PACKET = 18;
const W_FOLDED = 19;
const W_PREVIOUS_ID = 20; // -1: null
const W_REUSED_AT = 21;
const W_REUSED_BY = 22; // -1: null
const W_END_REASON = 23;
const W_OBSERVED_UNTIL = 24;
const W_HISTORY_LEN = 25;
const W_LOG_LEN = 26;
const W_DIRS = 27;
/** Numbers per direction's facts. */
export const DIRECTION_WORDS = 33;
const W_FIXED = W_DIRS + 2 * DIRECTION_WORDS;

/** Numbers a connection takes packed. */
export function packedSize(conn: Connection & { logSize: number }): number {
  return W_FIXED + conn.history.length + conn.logSize * PACKED;
}

const b = (x: boolean): number => (x ? 1 : 0);

/**
 * A whole number read from the array, as a small integer when it is one: V8 stores a double into a
 * field that holds null or a small integer only after a check that failed, and deoptimized load()
 * for it again and again.
 */
const integer = (x: number): number => (x <= 0x3fffffff ? x | 0 : x);

/** Writes one direction's facts at `at` (DIRECTION_WORDS numbers); readDirection is the inverse. */
export function writeDirection(p: Float64Array, at: number, f: DirectionFacts): void {
  p[at] = f.packets; p[at + 1] = f.bytes; p[at + 2] = f.uniqueBytes; p[at + 3] = f.firstUs; p[at + 4] = f.lastUs;
  p[at + 5] = f.baseSeq; p[at + 6] = b(f.baseFromSyn); p[at + 7] = f.maxSeqEnd; p[at + 8] = f.maxAck;
  p[at + 9] = f.synUs; p[at + 10] = f.synCount; p[at + 11] = b(f.synAck);
  p[at + 12] = f.finUs; p[at + 13] = f.finLastUs; p[at + 14] = f.finSeq; p[at + 15] = f.finCount; p[at + 16] = f.finAckedUs;
  p[at + 17] = f.rstUs; p[at + 18] = f.rstCount; p[at + 19] = f.rstSeq; p[at + 20] = b(f.rstWithAck);
  p[at + 21] = f.retransmissions; p[at + 22] = f.retransmittedBytes; p[at + 23] = f.duplicates;
  p[at + 24] = f.ackedUnseenEvents; p[at + 25] = f.ackedUnseenBytes;
  p[at + 26] = f.zeroWindows; p[at + 27] = f.keepAlives; p[at + 28] = f.dataAfterFin;
  p[at + 29] = f.mss; p[at + 30] = f.windowScale; p[at + 31] = b(f.sackPermitted); p[at + 32] = b(f.timestamps);
}

export function readDirection(p: Float64Array, at: number, f: DirectionFacts): void {
  f.packets = p[at]; f.bytes = p[at + 1]; f.uniqueBytes = p[at + 2]; f.firstUs = p[at + 3]; f.lastUs = p[at + 4];
  f.baseSeq = p[at + 5]; f.baseFromSyn = p[at + 6] !== 0; f.maxSeqEnd = p[at + 7]; f.maxAck = p[at + 8];
  f.synUs = p[at + 9]; f.synCount = p[at + 10]; f.synAck = p[at + 11] !== 0;
  f.finUs = p[at + 12]; f.finLastUs = p[at + 13]; f.finSeq = p[at + 14]; f.finCount = p[at + 15]; f.finAckedUs = p[at + 16];
  f.rstUs = p[at + 17]; f.rstCount = p[at + 18]; f.rstSeq = p[at + 19]; f.rstWithAck = p[at + 20] !== 0;
  f.retransmissions = p[at + 21]; f.retransmittedBytes = p[at + 22]; f.duplicates = p[at + 23];
  f.ackedUnseenEvents = p[at + 24]; f.ackedUnseenBytes = p[at + 25];
  f.zeroWindows = p[at + 26]; f.keepAlives = p[at + 27]; f.dataAfterFin = p[at + 28];
  f.mss = p[at + 29]; f.windowScale = p[at + 30]; f.sackPermitted = p[at + 31] !== 0; f.timestamps = p[at + 32] !== 0;
}

/** What packConnection needs of a connection besides the Connection contract (FlowConnection has it). */
export interface PackableConnection extends Connection {
  readonly logSize: number;
  copyLog(out: Float64Array, at: number): number;
}

/**
 * Writes `conn` at `at` in `p`, which must have packedSize(conn) numbers from there; returns the
 * end. Every field of Connection is kept: the connection read back judges to the same verdict.
 */
export function packConnection(p: Float64Array, at: number, conn: PackableConnection): number {
  const history = conn.history;
  p[at + W_ID] = conn.id;
  p[at + W_INPUT] = conn.input;
  p[at + W_FAMILY] = conn.family;
  const c = conn.addrs[0], s = conn.addrs[1];
  p[at + W_ADDRS] = c[0]; p[at + W_ADDRS + 1] = c[1]; p[at + W_ADDRS + 2] = c[2]; p[at + W_ADDRS + 3] = c[3];
  p[at + W_ADDRS + 4] = s[0]; p[at + W_ADDRS + 5] = s[1]; p[at + W_ADDRS + 6] = s[2]; p[at + W_ADDRS + 7] = s[3];
  p[at + W_PORTS] = conn.ports[0];
  p[at + W_PORTS + 1] = conn.ports[1];
  p[at + W_ROLE] = ROLE_REASONS.indexOf(conn.roleReason);
  p[at + W_FIRST_US] = conn.firstUs;
  p[at + W_LAST_US] = conn.lastUs;
  p[at + W_FIRST_PACKET] = conn.firstPacket;
  p[at + W_LAST_PACKET] = conn.lastPacket;
  p[at + W_FOLDED] = conn.foldedPackets;
  p[at + W_PREVIOUS_ID] = conn.previousId ?? -1;
  p[at + W_REUSED_AT] = conn.reusedAtUs;
  p[at + W_REUSED_BY] = conn.reusedById ?? -1;
  p[at + W_END_REASON] = END_REASONS.indexOf(conn.endReason);
  p[at + W_OBSERVED_UNTIL] = conn.observedUntilUs;
  p[at + W_HISTORY_LEN] = history.length;
  p[at + W_LOG_LEN] = conn.logSize;
  writeDirection(p, at + W_DIRS, conn.dirs[0]);
  writeDirection(p, at + W_DIRS + DIRECTION_WORDS, conn.dirs[1]);
  let end = at + W_FIXED;
  for (let i = 0; i < history.length; i++) p[end++] = history.charCodeAt(i);
  end = conn.copyLog(p, end);
  p[at + W_LENGTH] = end - at;
  return end;
}

/**
 * A packed connection read back: one object, loaded again for each connection (load()). What the
 * close stage keeps of a connection (the verdict) is copied out of it, so reuse is safe as long as
 * nothing holds the connection itself past the next load.
 */
export class WireConnection implements Connection {
  id = 0;
  input = 0;
  family: 4 | 6 = 4;
  readonly addrs: [Uint32Array, Uint32Array] = [new Uint32Array(4), new Uint32Array(4)];
  readonly ports: [number, number] = [0, 0];
  roleReason: RoleReason = 'syn';
  firstUs = 0;
  lastUs = 0;
  firstPacket = 0;
  lastPacket = 0;
  readonly dirs: [DirectionFacts, DirectionFacts] = [newDirection(), newDirection()];
  foldedPackets = 0;
  history = '';
  previousId: number | null = null;
  reusedAtUs = -1;
  reusedById: number | null = null;
  endReason: EndReason = 'capture-end';
  observedUntilUs = -1;
  private readonly segments: Segment[] = [];
  private packed: Float64Array = new Float64Array(0);
  private logAt = 0;
  private logLength = 0;
  private logCurrent = false;

  /** Reads the connection packed at `at`; returns where the next one starts. */
  load(p: Float64Array, at: number): number {
    // Small integers kept as such (| 0): a double read from the array, used as an offset, made V8
    // deoptimize this function over and over (an offset it had seen as a small integer).
    const length = p[at + W_LENGTH] | 0;
    this.id = p[at + W_ID];
    this.input = p[at + W_INPUT];
    this.family = p[at + W_FAMILY] === 6 ? 6 : 4;
    const c = this.addrs[0], s = this.addrs[1];
    c[0] = p[at + W_ADDRS]; c[1] = p[at + W_ADDRS + 1]; c[2] = p[at + W_ADDRS + 2]; c[3] = p[at + W_ADDRS + 3];
    s[0] = p[at + W_ADDRS + 4]; s[1] = p[at + W_ADDRS + 5]; s[2] = p[at + W_ADDRS + 6]; s[3] = p[at + W_ADDRS + 7];
    this.ports[0] = p[at + W_PORTS];
    this.ports[1] = p[at + W_PORTS + 1];
    this.roleReason = ROLE_REASONS[p[at + W_ROLE]];
    this.firstUs = p[at + W_FIRST_US];
    this.lastUs = p[at + W_LAST_US];
    this.firstPacket = p[at + W_FIRST_PACKET];
    this.lastPacket = p[at + W_LAST_PACKET];
    this.foldedPackets = p[at + W_FOLDED];
    const previous = p[at + W_PREVIOUS_ID], reusedBy = p[at + W_REUSED_BY];
    this.previousId = previous < 0 ? null : integer(previous);
    this.reusedAtUs = p[at + W_REUSED_AT];
    this.reusedById = reusedBy < 0 ? null : integer(reusedBy);
    this.endReason = END_REASONS[p[at + W_END_REASON]];
    this.observedUntilUs = p[at + W_OBSERVED_UNTIL];
    readDirection(p, at + W_DIRS, this.dirs[0]);
    readDirection(p, at + W_DIRS + DIRECTION_WORDS, this.dirs[1]);
    const historyLength = p[at + W_HISTORY_LEN] | 0;
    let history = '';
    for (let i = 0; i < historyLength; i++) history += String.fromCharCode(p[at + W_FIXED + i]);
    this.history = history;
    this.packed = p;
    this.logAt = at + W_FIXED + historyLength;
    this.logLength = p[at + W_LOG_LEN] | 0;
    this.logCurrent = false;
    return at + length;
  }

  get log(): Segment[] {
    if (!this.logCurrent) {
      const out = this.segments;
      while (out.length > this.logLength) out.pop();
      for (let i = 0; i < this.logLength; i++) {
        if (i === out.length) out.push(newSegment());
        readSegment(this.packed, this.logAt + i * PACKED, out[i]);
      }
      this.logCurrent = true;
    }
    return this.segments;
  }

  segmentLog(): SegmentLog {
    return new SegmentLog(Array.from(this.packed.subarray(this.logAt, this.logAt + this.logLength * PACKED)));
  }
}
