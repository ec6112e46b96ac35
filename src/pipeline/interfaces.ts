// A capture taken on several interfaces at once (dumpcap -i a -i b on a router, a bridge or a
// relay) holds every forwarded packet twice, and dumpcap writes each interface's packets in
// batches, so the file is not in time order. Fed as they come, the copies look like
// retransmissions and the batches like reordering. For such inputs the pipeline puts TCP packets
// through this window: it releases them in time order and drops the second copy of a packet seen
// on another interface. Single-interface inputs never come here (it copies fields per packet).

import { DecodeKind, PacketView } from '../decode/index.js';

/**
 * The fields of a PacketView that the flow stage reads. Addresses as eight numbers, not two typed
 * arrays: a snapshot is made per packet and held for the window, and typed arrays made the
 * collector a third of a multi-interface capture's time. Snapshots are reused once released.
 */
interface Snapshot {
  timeUs: number;
  packet: number;
  iface: number;
  order: number;
  ipVersion: 0 | 4 | 6;
  s0: number; s1: number; s2: number; s3: number;
  d0: number; d1: number; d2: number; d3: number;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  payloadLength: number;
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  hasTimestamp: boolean;
  tsVal: number;
  tsEcr: number;
  ipId: number;
  /** identityHash() of it, once delivered. */
  hash: number;
  /** The next delivered snapshot in the same bucket of InterfaceMerger.seen. */
  sameHash: Snapshot | null;
  /** Whether it is in InterfaceMerger.seen (the latest delivered with its identity). */
  inSeen: boolean;
}

function newSnapshot(): Snapshot {
  return {
    timeUs: 0, packet: 0, iface: 0, order: 0, ipVersion: 0, s0: 0, s1: 0, s2: 0, s3: 0, d0: 0, d1: 0, d2: 0, d3: 0,
    srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: 0, window: 0, payloadLength: 0, mss: 0, windowScale: 0,
    sackPermitted: false, hasTimestamp: false, tsVal: 0, tsEcr: 0, ipId: 0, hash: 0, sameHash: null, inSeen: false,
  };
}

export type Deliver = (view: PacketView, timeUs: number, packet: number) => void;

function before(a: Snapshot, b: Snapshot): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.order < b.order);
}

/**
 * The identity of a packet on the wire: what a bridge or router does not change. The IP ID and
 * the TCP timestamp differ between a packet and its retransmission, so a retransmission is never
 * taken for a copy. Compared field by field (sameIdentity), found by a hash of the same fields:
 * a text key per packet made the collector most of a multi-interface capture's time.
 */
function identityHash(s: Snapshot): number {
  let h: number = s.ipVersion;
  h = Math.imul(h ^ s.s0, 0x9e3779b1); h = Math.imul(h ^ s.s1, 0x9e3779b1); h = Math.imul(h ^ s.s2, 0x9e3779b1);
  h = Math.imul(h ^ s.s3, 0x9e3779b1); h = Math.imul(h ^ s.d0, 0x9e3779b1); h = Math.imul(h ^ s.d1, 0x9e3779b1);
  h = Math.imul(h ^ s.d2, 0x9e3779b1); h = Math.imul(h ^ s.d3, 0x9e3779b1);
  h = Math.imul(h ^ (s.srcPort * 65536 + s.dstPort), 0x9e3779b1);
  h = Math.imul(h ^ s.seq, 0x9e3779b1); h = Math.imul(h ^ s.ack, 0x9e3779b1);
  h = Math.imul(h ^ (s.flags * 65536 + s.payloadLength), 0x9e3779b1);
  h = Math.imul(h ^ (s.ipId * 65536 + s.window), 0x9e3779b1);
  h = Math.imul(h ^ (s.hasTimestamp ? s.tsVal : -1), 0x9e3779b1);
  return h ^ (h >>> 15);
}

function sameIdentity(a: Snapshot, b: Snapshot): boolean {
  return a.ipVersion === b.ipVersion && a.s0 === b.s0 && a.s1 === b.s1 && a.s2 === b.s2 && a.s3 === b.s3 &&
    a.d0 === b.d0 && a.d1 === b.d1 && a.d2 === b.d2 && a.d3 === b.d3 && a.srcPort === b.srcPort && a.dstPort === b.dstPort &&
    a.seq === b.seq && a.ack === b.ack && a.flags === b.flags && a.payloadLength === b.payloadLength && a.ipId === b.ipId &&
    (a.hasTimestamp ? a.tsVal : -1) === (b.hasTimestamp ? b.tsVal : -1) && a.window === b.window;
}

/** Held snapshots, taken in (time, arrival) order: the earliest is first(). */
interface Held {
  /** Where it sits in InterfaceMerger.heads while it holds packets. */
  pos: number;
  isEmpty(): boolean;
  first(): Snapshot;
  shift(): Snapshot;
}

/** One interface's snapshots that came in order, from `head`. */
class IfaceQueue implements Held {
  items: Snapshot[] = [];
  head = 0;
  pos = -1;
  isEmpty(): boolean { return this.head === this.items.length; }
  first(): Snapshot { return this.items[this.head]; }
  last(): Snapshot { return this.items[this.items.length - 1]; }
  shift(): Snapshot {
    const items = this.items;
    const s = items[this.head++];
    if (this.head === items.length) {
      items.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > items.length) {
      items.copyWithin(0, this.head);
      items.length -= this.head;
      this.head = 0;
    }
    return s;
  }
}

/**
 * Snapshots earlier than the last one their interface holds (out of order on their own
 * interface), in a binary heap: rare in real captures, and a file made of them (an interface's
 * stamps jumping back and forth) costs a logarithm per packet, not a walk through its queue.
 */
class Stragglers implements Held {
  private readonly items: Snapshot[] = [];
  pos = -1;
  isEmpty(): boolean { return this.items.length === 0; }
  first(): Snapshot { return this.items[0]; }

  /** Adds `s`; whether it is now the first. */
  push(s: Snapshot): boolean {
    const h = this.items;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(s, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = s;
    return i === 0;
  }

  shift(): Snapshot {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = -1;
        let best = last;
        if (l < h.length && before(h[l], best)) { m = l; best = h[l]; }
        if (r < h.length && before(h[r], best)) m = r;
        if (m < 0) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

export class InterfaceMerger {
  /** Second copies dropped (seen before on another interface). */
  duplicates = 0;
  /** Packets that arrived in the file before an earlier-timestamped one. */
  reordered = 0;
  /**
   * Held packets: one queue per interface in (time, arrival) order, the stragglers (see
   * Stragglers), and those of them that hold packets in a min-heap by their first packet. Each
   * interface's packets come nearly in time order (dumpcap writes them in batches per interface),
   * so merging the queues costs a comparison or two per packet, where one heap of every held
   * packet took ~14 levels (2.3 s of a 3 M-packet capture).
   */
  private readonly queues = new Map<number, IfaceQueue>();
  private readonly stragglers = new Stragglers();
  private readonly heads: Held[] = [];
  /** Released snapshots, for the next packets. */
  private readonly free: Snapshot[] = [];
  /**
   * The latest delivered snapshot of each identity in the window, in buckets by hash, chained
   * through Snapshot.sameHash. Not a Map: an entry set and one deleted per packet made V8 rebuild
   * its table again and again.
   */
  private seen: (Snapshot | null)[] = new Array<Snapshot | null>(4096).fill(null);
  private seenMask = 4095;
  private seenCount = 0;
  /** Delivered snapshots in delivery order, from recentHead: kept until they leave the window. */
  private readonly recent: Snapshot[] = [];
  private recentHead = 0;
  private readonly view = new PacketView();
  private maxTimeUs = -Infinity;
  private order = 0;

  /** `windowUs`: how far out of order the file may be, and how far apart two copies may be. */
  constructor(private readonly deliver: Deliver, private readonly windowUs = 2_000_000) {
    this.view.kind = DecodeKind.Tcp;
  }

  push(v: PacketView, timeUs: number, packet: number, iface: number): void {
    if (timeUs < this.maxTimeUs) this.reordered++;
    else this.maxTimeUs = timeUs;
    const s = this.free.pop() ?? newSnapshot();
    s.timeUs = timeUs; s.packet = packet; s.iface = iface; s.order = this.order++; s.ipVersion = v.ipVersion;
    const src = v.src, dst = v.dst;
    s.s0 = src[0]; s.s1 = src[1]; s.s2 = src[2]; s.s3 = src[3];
    s.d0 = dst[0]; s.d1 = dst[1]; s.d2 = dst[2]; s.d3 = dst[3];
    s.srcPort = v.srcPort; s.dstPort = v.dstPort; s.seq = v.seq; s.ack = v.ack; s.flags = v.flags; s.window = v.window;
    s.payloadLength = v.payloadLength; s.mss = v.mss; s.windowScale = v.windowScale; s.sackPermitted = v.sackPermitted;
    s.hasTimestamp = v.hasTimestamp; s.tsVal = v.tsVal; s.tsEcr = v.tsEcr; s.ipId = v.ipId;
    this.hold(s);
    const heads = this.heads, limit = this.maxTimeUs - this.windowUs;
    while (heads.length > 0 && heads[0].first().timeUs < limit) this.release(this.takeFirst());
  }

  /** Releases everything still held (end of input). */
  flush(): void {
    while (this.heads.length > 0) this.release(this.takeFirst());
  }

  /** Puts `s` at the end of its interface's queue, or among the stragglers when it is out of order there. */
  private hold(s: Snapshot): void {
    let q = this.queues.get(s.iface);
    if (q === undefined) this.queues.set(s.iface, q = new IfaceQueue());
    if (q.isEmpty()) {
      q.items.push(s);
      this.addHead(q);
    } else if (!before(s, q.last())) {
      q.items.push(s);
    } else {
      const st = this.stragglers;
      const wasEmpty = st.isEmpty();
      const first = st.push(s);
      if (wasEmpty) this.addHead(st);
      else if (first) this.siftUp(st.pos);
    }
  }

  private addHead(q: Held): void {
    q.pos = this.heads.length;
    this.heads.push(q);
    this.siftUp(q.pos);
  }

  /** Takes the earliest held packet. */
  private takeFirst(): Snapshot {
    const heads = this.heads;
    const q = heads[0];
    const s = q.shift();
    if (q.isEmpty()) {
      const last = heads.pop()!;
      if (last !== q) {
        heads[0] = last;
        last.pos = 0;
      }
    }
    if (heads.length > 0) this.siftDown(0);
    return s;
  }

  private siftUp(i: number): void {
    const h = this.heads;
    const q = h[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(q.first(), h[p].first())) break;
      h[i] = h[p];
      h[i].pos = i;
      i = p;
    }
    h[i] = q;
    q.pos = i;
  }

  private siftDown(i: number): void {
    const h = this.heads, n = h.length;
    const q = h[i];
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = -1;
      let best = q.first();
      if (l < n && before(h[l].first(), best)) { m = l; best = h[l].first(); }
      if (r < n && before(h[r].first(), best)) m = r;
      if (m < 0) break;
      h[i] = h[m];
      h[i].pos = i;
      i = m;
    }
    h[i] = q;
    q.pos = i;
  }

  private release(s: Snapshot): void {
    this.forget(s.timeUs);
    const hash = identityHash(s);
    let prior = this.seen[hash & this.seenMask];
    while (prior !== null && !(prior.hash === hash && sameIdentity(prior, s))) prior = prior.sameHash;
    if (prior !== null && prior.iface !== s.iface && s.timeUs - prior.timeUs <= this.windowUs) {
      this.duplicates++;
      this.free.push(s);
      return;
    }
    if (prior !== null) this.unlink(prior);
    s.hash = hash;
    if (this.seenCount >= this.seen.length) this.growSeen();
    const b = hash & this.seenMask;
    s.sameHash = this.seen[b];
    s.inSeen = true;
    this.seen[b] = s;
    this.seenCount++;
    this.recent.push(s);
    const v = this.view;
    v.ipVersion = s.ipVersion;
    const src = v.src, dst = v.dst;
    src[0] = s.s0; src[1] = s.s1; src[2] = s.s2; src[3] = s.s3;
    dst[0] = s.d0; dst[1] = s.d1; dst[2] = s.d2; dst[3] = s.d3;
    v.srcPort = s.srcPort;
    v.dstPort = s.dstPort;
    v.seq = s.seq;
    v.ack = s.ack;
    v.flags = s.flags;
    v.window = s.window;
    v.payloadLength = s.payloadLength;
    v.mss = s.mss;
    v.windowScale = s.windowScale;
    v.sackPermitted = s.sackPermitted;
    v.hasTimestamp = s.hasTimestamp;
    v.tsVal = s.tsVal;
    v.tsEcr = s.tsEcr;
    v.ipId = s.ipId;
    this.deliver(v, s.timeUs, s.packet);
  }

  /** Snapshots delivered more than the window before `timeUs` go back to the free list. */
  private forget(timeUs: number): void {
    const recent = this.recent;
    while (this.recentHead < recent.length && recent[this.recentHead].timeUs < timeUs - this.windowUs) {
      const e = recent[this.recentHead++];
      if (e.inSeen) this.unlink(e);
      this.free.push(e);
    }
    if (this.recentHead > 4096 && this.recentHead * 2 > recent.length) {
      recent.copyWithin(0, this.recentHead);
      recent.length -= this.recentHead;
      this.recentHead = 0;
    }
  }

  /** Takes `e` out of seen. */
  private unlink(e: Snapshot): void {
    const b = e.hash & this.seenMask;
    let p = this.seen[b]!;
    if (p === e) this.seen[b] = e.sameHash;
    else {
      while (p.sameHash !== e) p = p.sameHash!;
      p.sameHash = e.sameHash;
    }
    e.sameHash = null;
    e.inSeen = false;
    this.seenCount--;
  }

  /** Twice the buckets, when there are as many entries as buckets. */
  private growSeen(): void {
    const old = this.seen;
    const seen = new Array<Snapshot | null>(old.length * 2).fill(null);
    const mask = seen.length - 1;
    for (let e of old) {
      while (e !== null) {
        const next: Snapshot | null = e.sameHash;
        const b = e.hash & mask;
        e.sameHash = seen[b];
        seen[b] = e;
        e = next;
      }
    }
    this.seen = seen;
    this.seenMask = mask;
  }
}
