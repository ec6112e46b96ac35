// A finished connection packed into doubles, and a Connection read back from them: how the flow
// stage on one thread hands connections to the close stage on another (src/batch/offload.ts).
// Every field of the Connection contract travels, so the close stage judges the unpacked
// connection exactly as it judges the original (a test holds the two verdicts equal on every
// capture in captures/).
//
// Layout of one connection, from `at`:
//   HEADER numbers (the C_* offsets), then the client's and the server's DirectionFacts (DIR_WORDS
//   each, in DIRECTION_FIELDS order, booleans as 0/1), then the Zeek history's UTF-16 code units,
//   one a number, then the segment log as the flow table keeps it (PACKED numbers a segment).

import { newDirection, type FlowConnection } from './connection.js';
import { newSegment, PACKED, readSegment, SegmentLog } from './segment-log.js';
import type { Connection, DirectionFacts, EndReason, RoleReason, Segment } from './types.js';

const C_ID = 0;
const C_INPUT = 1;
const C_FAMILY = 2;
/** Client address words at C_ADDRS..+3, server's at +4..+7. */
const C_ADDRS = 3;
const C_PORTS = 11;
const C_ROLE_REASON = 13;
const C_FIRST_US = 14;
const C_LAST_US = 15;
const C_FIRST_PACKET = 16;
const C_LAST_PACKET = 17;
const C_FOLDED = 18;
/** NaN for null. */
const C_PREVIOUS_ID = 19;
const C_REUSED_AT = 20;
/** NaN for null. */
const C_REUSED_BY = 21;
const C_END_REASON = 22;
const C_OBSERVED_UNTIL = 23;
const C_HISTORY_LENGTH = 24;
const C_LOG_LENGTH = 25;
const HEADER = 26;

/** The DirectionFacts fields in packed order: every field of the interface (a test holds them equal). */
export const DIRECTION_FIELDS = [
  'packets', 'bytes', 'uniqueBytes', 'firstUs', 'lastUs', 'baseSeq', 'baseFromSyn', 'maxSeqEnd', 'maxAck',
  'synUs', 'synCount', 'synAck', 'finUs', 'finLastUs', 'finSeq', 'finCount', 'finAckedUs',
  'rstUs', 'rstCount', 'rstSeq', 'rstWithAck', 'retransmissions', 'retransmittedBytes', 'duplicates',
  'ackedUnseenEvents', 'ackedUnseenBytes', 'zeroWindows', 'keepAlives', 'dataAfterFin',
  'mss', 'windowScale', 'sackPermitted', 'timestamps',
] as const satisfies readonly (keyof DirectionFacts)[];
const DIR_WORDS = DIRECTION_FIELDS.length;

const ROLE_REASONS: readonly RoleReason[] = ['syn', 'syn-ack', 'first-sender', 'well-known-port'];
const END_REASONS: readonly EndReason[] = ['capture-end', 'closed-quiet', 'idle', 'reused', 'evicted', 'zeek-timeout'];

/** Numbers `c` packs into. */
export function packedSize(c: FlowConnection): number {
  return HEADER + 2 * DIR_WORDS + c.history.length + c.loggedSegments * PACKED;
}

/** Packs `c` at out[at..]; returns where the next connection goes. The caller checks packedSize first. */
export function packConnection(c: FlowConnection, out: Float64Array, at: number): number {
  out[at + C_ID] = c.id;
  out[at + C_INPUT] = c.input;
  out[at + C_FAMILY] = c.family;
  const a = c.addrs[0], b = c.addrs[1];
  out[at + C_ADDRS] = a[0]; out[at + C_ADDRS + 1] = a[1]; out[at + C_ADDRS + 2] = a[2]; out[at + C_ADDRS + 3] = a[3];
  out[at + C_ADDRS + 4] = b[0]; out[at + C_ADDRS + 5] = b[1]; out[at + C_ADDRS + 6] = b[2]; out[at + C_ADDRS + 7] = b[3];
  out[at + C_PORTS] = c.ports[0];
  out[at + C_PORTS + 1] = c.ports[1];
  out[at + C_ROLE_REASON] = ROLE_REASONS.indexOf(c.roleReason);
  out[at + C_FIRST_US] = c.firstUs;
  out[at + C_LAST_US] = c.lastUs;
  out[at + C_FIRST_PACKET] = c.firstPacket;
  out[at + C_LAST_PACKET] = c.lastPacket;
  out[at + C_FOLDED] = c.foldedPackets;
  out[at + C_PREVIOUS_ID] = c.previousId ?? NaN;
  out[at + C_REUSED_AT] = c.reusedAtUs;
  out[at + C_REUSED_BY] = c.reusedById ?? NaN;
  out[at + C_END_REASON] = END_REASONS.indexOf(c.endReason);
  out[at + C_OBSERVED_UNTIL] = c.observedUntilUs;
  const history = c.history;
  out[at + C_HISTORY_LENGTH] = history.length;
  out[at + C_LOG_LENGTH] = c.loggedSegments;
  let k = at + HEADER;
  k = packDirection(c.dirs[0], out, k);
  k = packDirection(c.dirs[1], out, k);
  for (let i = 0; i < history.length; i++) out[k++] = history.charCodeAt(i);
  return c.copyLog(out, k);
}

function packDirection(f: DirectionFacts, out: Float64Array, k: number): number {
  out[k] = f.packets; out[k + 1] = f.bytes; out[k + 2] = f.uniqueBytes; out[k + 3] = f.firstUs; out[k + 4] = f.lastUs;
  out[k + 5] = f.baseSeq; out[k + 6] = f.baseFromSyn ? 1 : 0; out[k + 7] = f.maxSeqEnd; out[k + 8] = f.maxAck;
  out[k + 9] = f.synUs; out[k + 10] = f.synCount; out[k + 11] = f.synAck ? 1 : 0;
  out[k + 12] = f.finUs; out[k + 13] = f.finLastUs; out[k + 14] = f.finSeq; out[k + 15] = f.finCount; out[k + 16] = f.finAckedUs;
  out[k + 17] = f.rstUs; out[k + 18] = f.rstCount; out[k + 19] = f.rstSeq; out[k + 20] = f.rstWithAck ? 1 : 0;
  out[k + 21] = f.retransmissions; out[k + 22] = f.retransmittedBytes; out[k + 23] = f.duplicates;
  out[k + 24] = f.ackedUnseenEvents; out[k + 25] = f.ackedUnseenBytes; out[k + 26] = f.zeroWindows;
  out[k + 27] = f.keepAlives; out[k + 28] = f.dataAfterFin;
  out[k + 29] = f.mss; out[k + 30] = f.windowScale; out[k + 31] = f.sackPermitted ? 1 : 0; out[k + 32] = f.timestamps ? 1 : 0;
  return k + DIR_WORDS;
}

function unpackDirection(src: Float64Array, k: number, f: DirectionFacts): number {
  f.packets = src[k]; f.bytes = src[k + 1]; f.uniqueBytes = src[k + 2]; f.firstUs = src[k + 3]; f.lastUs = src[k + 4];
  f.baseSeq = src[k + 5]; f.baseFromSyn = src[k + 6] === 1; f.maxSeqEnd = src[k + 7]; f.maxAck = src[k + 8];
  f.synUs = src[k + 9]; f.synCount = src[k + 10]; f.synAck = src[k + 11] === 1;
  f.finUs = src[k + 12]; f.finLastUs = src[k + 13]; f.finSeq = src[k + 14]; f.finCount = src[k + 15]; f.finAckedUs = src[k + 16];
  f.rstUs = src[k + 17]; f.rstCount = src[k + 18]; f.rstSeq = src[k + 19]; f.rstWithAck = src[k + 20] === 1;
  f.retransmissions = src[k + 21]; f.retransmittedBytes = src[k + 22]; f.duplicates = src[k + 23];
  f.ackedUnseenEvents = src[k + 24]; f.ackedUnseenBytes = src[k + 25]; f.zeroWindows = src[k + 26];
  f.keepAlives = src[k + 27]; f.dataAfterFin = src[k + 28];
  f.mss = src[k + 29]; f.windowScale = src[k + 30]; f.sackPermitted = src[k + 31] === 1; f.timestamps = src[k + 32] === 1;
  return k + DIR_WORDS;
}


/**
 * A Connection read from packed numbers. One object is loaded again and again (its objects reused),
 * so, like a recycled FlowConnection, it must not be read once the next one is loaded.
 */
export class PackedConnection implements Connection {
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
  readonly log: Segment[] = [];
  foldedPackets = 0;
  history = '';
  reusedAtUs = -1;
  endReason: EndReason = 'capture-end';
  observedUntilUs = -1;
  /** Every Segment object made so far, reused by the next connections' logs. */
  private readonly segments: Segment[] = [];
  // previousId and reusedById kept as numbers (NaN for null): a field that holds null or a number
  // read from a Float64Array got load() deoptimized again and again.
  private previous = NaN;
  private reusedBy = NaN;
  private packed: Float64Array = new Float64Array(0);
  private logAt = 0;
  private logLength = 0;
  /** Histories seen, by their code units: most connections of a capture share a few. */
  private readonly histories = new Map<number, string[]>();

  /** Reads the connection packed at src[at..]; returns where the next one starts. */
  load(src: Float64Array, at: number): number {
    this.id = src[at + C_ID];
    this.input = src[at + C_INPUT];
    this.family = src[at + C_FAMILY] === 6 ? 6 : 4;
    const a = this.addrs[0], b = this.addrs[1];
    a[0] = src[at + C_ADDRS]; a[1] = src[at + C_ADDRS + 1]; a[2] = src[at + C_ADDRS + 2]; a[3] = src[at + C_ADDRS + 3];
    b[0] = src[at + C_ADDRS + 4]; b[1] = src[at + C_ADDRS + 5]; b[2] = src[at + C_ADDRS + 6]; b[3] = src[at + C_ADDRS + 7];
    this.ports[0] = src[at + C_PORTS];
    this.ports[1] = src[at + C_PORTS + 1];
    this.roleReason = ROLE_REASONS[src[at + C_ROLE_REASON]];
    this.firstUs = src[at + C_FIRST_US];
    this.lastUs = src[at + C_LAST_US];
    this.firstPacket = src[at + C_FIRST_PACKET];
    this.lastPacket = src[at + C_LAST_PACKET];
    this.foldedPackets = src[at + C_FOLDED];
    this.previous = src[at + C_PREVIOUS_ID];
    this.reusedAtUs = src[at + C_REUSED_AT];
    this.reusedBy = src[at + C_REUSED_BY];
    this.endReason = END_REASONS[src[at + C_END_REASON]];
    this.observedUntilUs = src[at + C_OBSERVED_UNTIL];
    const historyLength = src[at + C_HISTORY_LENGTH];
    const logLength = src[at + C_LOG_LENGTH];
    let k = at + HEADER;
    k = unpackDirection(src, k, this.dirs[0]);
    k = unpackDirection(src, k, this.dirs[1]);
    this.history = this.historyOf(src, k, historyLength);
    k += historyLength;
    this.packed = src;
    this.logAt = k;
    this.logLength = logLength;
    // log[i] is always segments[i]: a shorter log leaves the objects for the next longer one.
    const log = this.log, segments = this.segments;
    while (log.length > logLength) log.pop();
    for (let i = 0; i < logLength; i++) {
      if (i === segments.length) segments.push(newSegment());
      if (i === log.length) log.push(segments[i]);
      readSegment(src, k + i * PACKED, segments[i]);
    }
    return k + logLength * PACKED;
  }

  get previousId(): number | null { return this.previous === this.previous ? this.previous : null; }
  get reusedById(): number | null { return this.reusedBy === this.reusedBy ? this.reusedBy : null; }

  segmentLog(): SegmentLog {
    return SegmentLog.copyOf(this.packed, this.logAt, this.logAt + this.logLength * PACKED);
  }

  /** The history string at src[k..k+n), the same string object as before when it was seen before. */
  private historyOf(src: Float64Array, k: number, n: number): string {
    let hash = n;
    for (let i = 0; i < n; i++) hash = (Math.imul(hash, 31) + src[k + i]) | 0;
    let bucket = this.histories.get(hash);
    if (bucket !== undefined) {
      for (const h of bucket) if (sameCodes(h, src, k, n)) return h;
    } else if (this.histories.size < 4096) {
      this.histories.set(hash, bucket = []);
    }
    let text = '';
    for (let i = 0; i < n; i++) text += String.fromCharCode(src[k + i]);
    if (bucket !== undefined && bucket.length < 4) bucket.push(text);
    return text;
  }
}

function sameCodes(h: string, src: Float64Array, k: number, n: number): boolean {
  if (h.length !== n) return false;
  for (let i = 0; i < n; i++) if (h.charCodeAt(i) !== src[k + i]) return false;
  return true;
}
