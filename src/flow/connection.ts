// One connection's bookkeeping, updated per packet. The update does not allocate except when it
// logs a segment worth keeping (handshake, FIN/RST and the close that follows).

import {
  TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type PacketView,
} from '../decode/packet-view.js';
import { rel32, unwrap } from './sequence.js';
import {
  SEG_ACKS_PEER_FIN, SEG_ACKS_UNSEEN, SEG_DATA_AFTER_FIN, SEG_FOLDED, SEG_KEEPALIVE,
  SEG_RETRANSMISSION, SEG_ZERO_WINDOW,
  type Connection, type Dir, type DirectionFacts, type EndReason, type RoleReason, type Segment,
} from './types.js';
import {
  newSegment, P_ACK, P_BITS, P_COUNT, P_LAST_TIME, P_LEN, P_PACKET, P_SEQ, P_TIME, PACKED, packBits, readSegment, SegmentLog,
} from './segment-log.js';
import { recordHistory, ZeekHistoryState } from './zeek-history.js';

/** The first packets of a connection are always logged: they are the handshake. */
const HEAD_SEGMENTS = 6;
const CONTROL = TCP_SYN | TCP_FIN | TCP_RST;
/** Marks that make a segment worth its own log line. */
const NOTABLE = SEG_ACKS_PEER_FIN | SEG_DATA_AFTER_FIN | SEG_ACKS_UNSEEN;
/**
 * SYNs, FINs, RSTs, segments of data after their sender's FIN, and ACKs of data the capture did not
 * show, each logged up to this many times from each side; later ones are folded like bulk data
 * (the facts still count them all). A real stack retransmits a SYN or FIN a few times at most, but
 * a blind-reset attack sends a million RSTs to one 4-tuple, and a capture that sees one direction
 * of a transfer sees nothing but ACKs of unseen data: a log entry for each made one connection's
 * memory grow with the capture (a million RSTs: 430 MB).
 */
export const LOGGED_PER_KIND = 256;

/** A direction's facts before its first packet, always in this one shape (an object literal). */
export function newDirection(): DirectionFacts {
  return {
    packets: 0, bytes: 0, uniqueBytes: 0, firstUs: -1, lastUs: -1,
    baseSeq: 0, baseFromSyn: false, maxSeqEnd: 0, maxAck: -1,
    synUs: -1, synCount: 0, synAck: false,
    finUs: -1, finLastUs: -1, finSeq: -1, finCount: 0, finAckedUs: -1,
    rstUs: -1, rstCount: 0, rstSeq: -1, rstWithAck: false,
    retransmissions: 0, retransmittedBytes: 0, duplicates: 0, ackedUnseenEvents: 0, ackedUnseenBytes: 0,
    zeroWindows: 0, keepAlives: 0, dataAfterFin: 0,
    mss: -1, windowScale: -1, sackPermitted: false, timestamps: false,
  };
}

/**
 * Every field of a direction's facts back to newDirection()'s values, for a recycled connection
 * (FlowOptions.recycle): a field added to DirectionFacts must be set here too (a test holds the
 * two to the same fields and values).
 */
export function resetDirection(f: DirectionFacts): void {
  f.packets = 0; f.bytes = 0; f.uniqueBytes = 0; f.firstUs = -1; f.lastUs = -1;
  f.baseSeq = 0; f.baseFromSyn = false; f.maxSeqEnd = 0; f.maxAck = -1;
  f.synUs = -1; f.synCount = 0; f.synAck = false;
  f.finUs = -1; f.finLastUs = -1; f.finSeq = -1; f.finCount = 0; f.finAckedUs = -1;
  f.rstUs = -1; f.rstCount = 0; f.rstSeq = -1; f.rstWithAck = false;
  f.retransmissions = 0; f.retransmittedBytes = 0; f.duplicates = 0; f.ackedUnseenEvents = 0; f.ackedUnseenBytes = 0;
  f.zeroWindows = 0; f.keepAlives = 0; f.dataAfterFin = 0;
  f.mss = -1; f.windowScale = -1; f.sackPermitted = false; f.timestamps = false;
}

// The segment log is kept packed while the connection lives (segment-log.ts) and turned into
// Segment objects only when it is read (when the connection is judged). On the synthetic capture
// (32 000 live connections) objects took 57 MB of the flow table's 170.

// The previous packet of a direction, as kept for duplicate detection (FlowConnection.previous).
const PREV_SEQ = 0;
const PREV_ACK = 1;
const PREV_FLAGS = 2;
const PREV_LEN = 3;
const PREV_IP_ID = 4;
const PREV_TS_VAL = 5;
const PREV_WINDOW = 6;
const PREV_TIME = 7;
const PREV_SACK = 8;
const PREV_WORDS = 9;

/**
 * Finished connections and their segments, kept for reuse (FlowOptions.recycle): a busy capture
 * starts and finishes hundreds of thousands of connections, and allocating each one's ~25 objects
 * and ~10 segments anew made garbage collection a third of the flow stage's time (measured on a
 * 3 M-packet loopback capture: 31% of CPU in the collector). Reused objects stay in the old
 * generation and are overwritten in place.
 */
export class FlowPool {
  readonly connections: FlowConnection[] = [];
  readonly segments: Segment[] = [];
}

export class FlowConnection implements Connection {
  // Every field that depends on the connection is (re)set in start(): a pooled connection is
  // reused for another one (FlowOptions.recycle). A new field must be set there too.
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
  /**
   * The segment log, packed (P_* offsets); `log` gives it as objects. Room for one segment to
   * begin with, doubled as needed (a pooled connection keeps what it grew to): 64 bytes is as large
   * as V8 keeps a typed array inside its heap. A larger first buffer was memory outside the heap,
   * which V8 answers with collections: a SYN flood from a million sources (500 000 connections
   * live, one segment each) spent 2 s of its 22 s allocating them.
   */
  private packed = new Float64Array(PACKED);
  private logLength = 0;
  /** The log as Segment objects, made when it is read and kept until the next segment. */
  private readonly logObjects: Segment[] = [];
  private logCurrent = true;
  foldedPackets = 0;
  previousId: number | null = null;
  reusedAtUs = -1;
  reusedById: number | null = null;
  endReason: EndReason = 'capture-end';
  observedUntilUs = -1;
  /** When a close completed in Zeek's sense (a RST, or a FIN after the peer's or into silence); -1 before. */
  zeekClosedUs = -1;

  // --- table internals (not part of the Connection contract)
  /** Hash of the 4-tuple (symmetric), the TupleIndex's key. */
  hash = 0;
  /** Links in the table's recency list (open, closed or reset list). */
  newer: FlowConnection | null = null;
  older: FlowConnection | null = null;
  /** Which recency list it is on: false = open, true = closed (both FINs or a RST seen). */
  closed = false;
  /** Closed by a RST before both FINs: on the table's reset list (over once quiet for 5 s). */
  wasReset = false;
  /** Base sequence known for a direction (from its SYN, its first segment, or the peer's ACK). */
  private readonly baseKnown = [false, false];
  private packetCount = 0;
  /**
   * The previous packet of each direction (PREV_* fields at dir * PREV_WORDS), to recognise a
   * capture's duplicate frames. One array rather than one per field: it is read and written for
   * every packet, and with thousands of live connections each extra object is a cache miss. A plain
   * array, not a Float64Array: one this size would get an off-heap buffer, which costs the garbage
   * collector more for every connection.
   */
  private readonly previous: number[] = new Array<number>(2 * PREV_WORDS).fill(-1);
  /** Segments logged individually since the close began. */
  private closeLogged = 0;
  private readonly zeek = new ZeekHistoryState();
  /** Where logged segments come from and go back to when the connection is recycled (null: never). */
  private segmentPool: Segment[] | null = null;

  constructor(id: number, input: number, view: PacketView, clientIsSource: boolean, roleReason: RoleReason, timeUs: number, packet: number) {
    this.start(id, input, view, clientIsSource, roleReason, timeUs, packet);
  }

  /** Sets the connection up from its first packet, as new (also for a recycled one). */
  start(id: number, input: number, view: PacketView, clientIsSource: boolean, roleReason: RoleReason, timeUs: number, packet: number): this {
    this.id = id;
    this.input = input;
    this.family = view.ipVersion === 6 ? 6 : 4;
    copyAddress(this.addrs[0], clientIsSource ? view.src : view.dst);
    copyAddress(this.addrs[1], clientIsSource ? view.dst : view.src);
    this.ports[0] = clientIsSource ? view.srcPort : view.dstPort;
    this.ports[1] = clientIsSource ? view.dstPort : view.srcPort;
    this.roleReason = roleReason;
    this.firstUs = timeUs;
    this.lastUs = timeUs;
    this.firstPacket = packet;
    this.lastPacket = packet;
    resetDirection(this.dirs[0]);
    resetDirection(this.dirs[1]);
    this.logLength = 0;
    // Usually empty already (releaseSegments); setting `length` is a runtime call even then.
    if (this.logObjects.length !== 0) this.logObjects.length = 0;
    this.logCurrent = true;
    this.foldedPackets = 0;
    this.previousId = null;
    this.reusedAtUs = -1;
    this.reusedById = null;
    this.endReason = 'capture-end';
    this.observedUntilUs = -1;
    this.zeekClosedUs = -1;
    this.hash = 0;
    this.newer = this.older = null;
    this.closed = false;
    this.wasReset = false;
    this.baseKnown[0] = this.baseKnown[1] = false;
    this.packetCount = 0;
    // A loop, not fill(): fill is a runtime call, a fifth of start()'s time for these 18 numbers.
    const previous = this.previous;
    for (let i = 0; i < previous.length; i++) previous[i] = -1;
    this.closeLogged = 0;
    this.zeek.reset();
    // Zeek marks a flipped originator with '^' (see the conformance README).
    if (roleReason === 'syn-ack' || roleReason === 'well-known-port') this.zeek.history = '^';
    return this;
  }

  /** Logged segments come from (and return to) `pool`: see FlowPool. */
  useSegmentPool(pool: Segment[]): void {
    this.segmentPool = pool;
  }

  /** Hands the segments back to the pool; the connection must not be read again until start(). */
  releaseSegments(): void {
    const pool = this.segmentPool, segments = this.logObjects;
    // Popped one by one: cheaper than `length = 0`, a runtime call, for a log of a few segments.
    for (let seg = segments.pop(); seg !== undefined; seg = segments.pop()) pool?.push(seg);
    this.logLength = 0;
    this.logCurrent = true;
  }

  /** Control segments and those around them, in capture order; bulk data folded. */
  get log(): Segment[] {
    if (!this.logCurrent) this.unpack();
    return this.logObjects;
  }

  /** Entries in the segment log. */
  get loggedSegments(): number { return this.logLength; }

  /** Copies the packed log to out[at..] (connection-codec.ts); returns the index after it. */
  copyLog(out: Float64Array, at: number): number {
    const p = this.packed, n = this.logLength * PACKED;
    for (let i = 0; i < n; i++) out[at + i] = p[i];
    return at + n;
  }

  /** The log as the verdict keeps it for the ladder: a packed copy, no objects. */
  segmentLog(): SegmentLog {
    return SegmentLog.copyOf(this.packed, 0, this.logLength * PACKED);
  }

  /** Makes the Segment objects of the log (reusing those made before, and pooled ones). */
  private unpack(): void {
    const p = this.packed, out = this.logObjects, pool = this.segmentPool;
    for (let i = 0; i < this.logLength; i++) {
      const at = i * PACKED;
      let seg = out[i];
      if (seg === undefined) {
        seg = pool !== null && pool.length > 0 ? pool.pop()! : newSegment();
        out.push(seg);
      }
      readSegment(p, at, seg);
    }
    this.logCurrent = true;
  }

  get history(): string { return this.zeek.history; }

  /** Direction of a packet: 0 when it goes client -> server. */
  directionOf(view: PacketView): Dir {
    return view.srcPort === this.ports[0] && view.dstPort === this.ports[1] &&
      sameAddr(view.src, this.addrs[0]) && sameAddr(view.dst, this.addrs[1]) ? 0 : 1;
  }

  /** Both FINs or a RST: the table moves it to the closed list. */
  isClosed(): boolean {
    const c = this.dirs[0], s = this.dirs[1];
    return c.rstUs >= 0 || s.rstUs >= 0 || (c.finUs >= 0 && s.finUs >= 0);
  }

  /** Whether a SYN from `dir` with raw sequence `seq` is a retransmission of this connection's SYN. */
  isSameSyn(dir: Dir, seq: number): boolean {
    const f = this.dirs[dir];
    return f.synCount > 0 && f.baseSeq === seq;
  }

  update(view: PacketView, dir: Dir, timeUs: number, packet: number, closeLogLimit: number): void {
    const f = this.dirs[dir];
    const peer = this.dirs[dir === 0 ? 1 : 0];
    const flags = view.flags;
    const len = view.payloadLength;
    const syn = (flags & TCP_SYN) !== 0;
    const fin = (flags & TCP_FIN) !== 0;
    const rst = (flags & TCP_RST) !== 0;
    this.packetCount++;
    if (timeUs > this.lastUs) this.lastUs = timeUs;
    this.lastPacket = packet;
    f.packets++;
    f.bytes += len;
    if (f.firstUs < 0) f.firstUs = timeUs;
    f.lastUs = timeUs;
    if (this.isDuplicate(view, dir, timeUs)) {
      f.duplicates++;
      return;
    }

    if (syn) {
      if (f.synCount === 0) {
        f.synUs = timeUs;
        f.synAck = (flags & TCP_ACK) !== 0;
        f.baseSeq = view.seq;
        f.baseFromSyn = true;
        f.maxSeqEnd = 0;
        this.baseKnown[dir] = true;
        f.mss = view.mss;
        f.windowScale = view.windowScale;
        f.sackPermitted = view.sackPermitted;
        f.timestamps = view.hasTimestamp;
      }
      f.synCount++;
    } else if (!this.baseKnown[dir]) {
      // Mid-stream: count from the first sequence number we see.
      f.baseSeq = view.seq;
      f.maxSeqEnd = 0;
      this.baseKnown[dir] = true;
    }

    let marks = 0;
    const relSeq = unwrap(rel32(view.seq, f.baseSeq), f.maxSeqEnd);
    const dataStart = syn ? relSeq + 1 : relSeq;
    const dataEnd = dataStart + len;
    const seqEnd = dataEnd + (fin ? 1 : 0);

    if (!syn && !rst && !fin && len <= 1 && dataStart === f.maxSeqEnd - 1 && (flags & TCP_ACK) !== 0) {
      // A keep-alive probe sits one below snd_nxt, empty (Linux) or with one old byte (Windows).
      marks |= SEG_KEEPALIVE;
      f.keepAlives++;
    } else if (!syn && !rst && (len > 0 || fin) && dataStart < f.maxSeqEnd) {
      marks |= SEG_RETRANSMISSION;
      f.retransmissions++;
      f.retransmittedBytes += Math.max(0, Math.min(len, f.maxSeqEnd - dataStart));
    }

    if (len > 0 && f.finUs >= 0 && dataEnd > f.finSeq && !(fin && dataEnd === f.finSeq)) {
      marks |= SEG_DATA_AFTER_FIN;
      f.dataAfterFin++;
    }
    if (fin) {
      if (f.finCount === 0) {
        f.finUs = timeUs;
        f.finSeq = dataEnd;
      } else if (dataEnd === f.finSeq) {
        marks |= SEG_RETRANSMISSION;
      }
      f.finCount++;
      f.finLastUs = timeUs;
    }
    if (!rst && seqEnd > f.maxSeqEnd) {
      const newData = dataEnd - Math.max(dataStart, f.maxSeqEnd);
      if (newData > 0) f.uniqueBytes += newData;
      f.maxSeqEnd = seqEnd;
    }
    if (this.zeekClosedUs < 0 && (rst || (fin && (peer.finUs >= 0 || peer.packets === 0)))) this.zeekClosedUs = timeUs;
    if (rst) {
      if (f.rstCount === 0) {
        f.rstUs = timeUs;
        f.rstSeq = relSeq;
        f.rstWithAck = (flags & TCP_ACK) !== 0;
      }
      f.rstCount++;
    }

    let relAck = -1;
    if ((flags & TCP_ACK) !== 0) {
      const peerDir: Dir = dir === 0 ? 1 : 0;
      if (!this.baseKnown[peerDir]) {
        // The peer has not spoken yet: its next sequence number is what we acknowledge.
        peer.baseSeq = view.ack;
        peer.maxSeqEnd = 0;
        this.baseKnown[peerDir] = true;
      }
      relAck = unwrap(rel32(view.ack, peer.baseSeq), Math.max(peer.maxSeqEnd, f.maxAck));
      if (relAck > peer.maxSeqEnd && !rst) {
        // The capture dropped what this ACK covers (or the peer's FIN we never saw).
        marks |= SEG_ACKS_UNSEEN;
        peer.ackedUnseenEvents++;
        peer.ackedUnseenBytes += relAck - peer.maxSeqEnd;
        peer.maxSeqEnd = relAck;
      }
      if (peer.finUs >= 0 && peer.finAckedUs < 0 && relAck > peer.finSeq && !rst) {
        peer.finAckedUs = timeUs;
        marks |= SEG_ACKS_PEER_FIN;
      }
      if (relAck > f.maxAck) f.maxAck = relAck;
    }
    if (view.window === 0 && !rst && !syn) {
      marks |= SEG_ZERO_WINDOW;
      f.zeroWindows++;
    }

    recordHistory(this.zeek, dir, flags, view.seq, len, view.window, (marks & SEG_RETRANSMISSION) !== 0);
    const notable = ((flags & CONTROL) !== 0 || (marks & NOTABLE) !== 0) &&
      ((syn && f.synCount <= LOGGED_PER_KIND) || (fin && f.finCount <= LOGGED_PER_KIND) || (rst && f.rstCount <= LOGGED_PER_KIND) ||
        (marks & SEG_ACKS_PEER_FIN) !== 0 || ((marks & SEG_DATA_AFTER_FIN) !== 0 && f.dataAfterFin <= LOGGED_PER_KIND) ||
        ((marks & SEG_ACKS_UNSEEN) !== 0 && peer.ackedUnseenEvents <= LOGGED_PER_KIND));
    this.log1(dir, packet, timeUs, flags, marks, notable, relSeq, relAck, len, view.window, closeLogLimit);
  }

  /**
   * The same frame twice in a row (a SPAN port or bridge copying it, tcpdump -i any seeing it on
   * two devices): every field equal, and the same IPv4 ID or no time for a retransmission (Linux
   * retransmits after at least a 10 ms tail-loss probe, and a retransmission gets a new IP ID and
   * TSval).
   */
  private isDuplicate(view: PacketView, dir: Dir, timeUs: number): boolean {
    const tsVal = view.hasTimestamp ? view.tsVal : -1;
    // Duplicate ACKs of a loss episode differ in their SACK blocks.
    const sack = view.sackBlockCount > 0 ? view.sackBlocks[1] : -1;
    const prev = this.previous, at = dir * PREV_WORDS;
    const same = prev[at + PREV_SEQ] === view.seq && prev[at + PREV_ACK] === view.ack && prev[at + PREV_FLAGS] === view.flags &&
      prev[at + PREV_LEN] === view.payloadLength && prev[at + PREV_IP_ID] === view.ipId && prev[at + PREV_TS_VAL] === tsVal &&
      prev[at + PREV_WINDOW] === view.window && prev[at + PREV_SACK] === sack;
    const dt = timeUs - prev[at + PREV_TIME];
    const duplicate = same && dt >= 0 && (dt < 2_000 || (view.ipId > 0 && dt < 1_000_000));
    prev[at + PREV_SEQ] = view.seq;
    prev[at + PREV_ACK] = view.ack;
    prev[at + PREV_FLAGS] = view.flags;
    prev[at + PREV_LEN] = view.payloadLength;
    prev[at + PREV_IP_ID] = view.ipId;
    prev[at + PREV_TS_VAL] = tsVal;
    prev[at + PREV_WINDOW] = view.window;
    prev[at + PREV_TIME] = timeUs;
    prev[at + PREV_SACK] = sack;
    return duplicate;
  }

  /** `notable`: a control or NOTABLE segment within LOGGED_PER_KIND. */
  private log1(dir: Dir, packet: number, timeUs: number, flags: number, marks: number, notable: boolean, seq: number,
    ack: number, len: number, window: number, closeLogLimit: number): void {
    const closing = this.closeLogged > 0 || (flags & (TCP_FIN | TCP_RST)) !== 0;
    const keep = this.packetCount <= HEAD_SEGMENTS || notable || (closing && this.closeLogged < closeLogLimit);
    if (keep) {
      if (closing) this.closeLogged++;
      this.push(dir, packet, timeUs, flags, marks, seq, ack, len, window);
      return;
    }
    this.foldedPackets++;
    const n = this.logLength;
    const p = this.packed;
    const at = (n - 1) * PACKED;
    if (n > 0 && (p[at + P_BITS] & SEG_FOLDED) !== 0) {
      // Fold into the run: count, bytes, the flags and marks seen, the last ACK and time.
      const bits = p[at + P_BITS];
      const oldFlags = Math.floor(bits / 128) & 0x1ff, oldMarks = bits % 128;
      p[at + P_BITS] = bits + ((oldFlags | flags) - oldFlags) * 128 + ((oldMarks | marks) - oldMarks);
      p[at + P_COUNT]++;
      p[at + P_LEN] += len;
      p[at + P_ACK] = ack;
      p[at + P_LAST_TIME] = timeUs;
      this.logCurrent = false;
      return;
    }
    this.push(dir, packet, timeUs, flags, marks | SEG_FOLDED, seq, ack, len, window);
  }

  private push(dir: Dir, packet: number, timeUs: number, flags: number, marks: number, seq: number, ack: number, len: number, window: number): void {
    let p = this.packed;
    const at = this.logLength * PACKED;
    if (at + PACKED > p.length) {
      const bigger = new Float64Array(p.length * 2);
      bigger.set(p);
      this.packed = p = bigger;
    }
    p[at + P_TIME] = timeUs;
    p[at + P_LAST_TIME] = timeUs;
    p[at + P_SEQ] = seq;
    p[at + P_ACK] = ack;
    p[at + P_PACKET] = packet;
    p[at + P_LEN] = len;
    p[at + P_COUNT] = 1;
    p[at + P_BITS] = packBits(dir, flags, marks, window);
    this.logLength++;
    this.logCurrent = false;
  }
}

function sameAddr(a: Uint32Array, b: Uint32Array): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** Four words, copied one by one: TypedArray.prototype.set costs a builtin call per address. */
function copyAddress(to: Uint32Array, from: Uint32Array): void {
  to[0] = from[0];
  to[1] = from[1];
  to[2] = from[2];
  to[3] = from[3];
}
