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
  /** The next delivered snapshot with the same hash (InterfaceMerger.seen). */
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

export class InterfaceMerger {
  /** Second copies dropped (seen before on another interface). */
  duplicates = 0;
  /** Packets that arrived in the file before an earlier-timestamped one. */
  reordered = 0;
  private readonly heap: Snapshot[] = [];
  /** Released snapshots, for the next packets. */
  private readonly free: Snapshot[] = [];
  /** The latest delivered snapshot of each identity in the window, chained by hash (Snapshot.sameHash). */
  private readonly seen = new Map<number, Snapshot>();
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
    this.heapPush(s);
    while (this.heap.length > 0 && this.heap[0].timeUs < this.maxTimeUs - this.windowUs) this.release(this.heapPop());
  }

  /** Releases everything still held (end of input). */
  flush(): void {
    while (this.heap.length > 0) this.release(this.heapPop());
  }

  private release(s: Snapshot): void {
    this.forget(s.timeUs);
    const hash = identityHash(s);
    let prior = this.seen.get(hash) ?? null;
    while (prior !== null && !sameIdentity(prior, s)) prior = prior.sameHash;
    if (prior !== null && prior.iface !== s.iface && s.timeUs - prior.timeUs <= this.windowUs) {
      this.duplicates++;
      this.free.push(s);
      return;
    }
    if (prior !== null) this.unlink(prior);
    s.hash = hash;
    s.sameHash = this.seen.get(hash) ?? null;
    s.inSeen = true;
    this.seen.set(hash, s);
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
    const head = this.seen.get(e.hash)!;
    if (head === e) {
      if (e.sameHash === null) this.seen.delete(e.hash);
      else this.seen.set(e.hash, e.sameHash);
    } else {
      let p = head;
      while (p.sameHash !== e) p = p.sameHash!;
      p.sameHash = e.sameHash;
    }
    e.sameHash = null;
    e.inSeen = false;
  }

  private heapPush(s: Snapshot): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      const t = h[i]; h[i] = h[p]; h[p] = t;
      i = p;
    }
  }

  private heapPop(): Snapshot {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as Snapshot;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        const t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
      }
    }
    return top;
  }
}
