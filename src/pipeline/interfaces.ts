// A capture taken on several interfaces at once (dumpcap -i a -i b on a router, a bridge or a
// relay) holds every forwarded packet twice, and dumpcap writes each interface's packets in
// batches, so the file is not in time order. Fed as they come, the copies look like
// retransmissions and the batches like reordering. For such inputs the pipeline puts TCP packets
// through this window: it releases them in time order and drops the second copy of a packet seen
// on another interface. Single-interface inputs never come here (it copies fields per packet).

import { DecodeKind, PacketView } from '../decode/index.js';

/** The fields of a PacketView that the flow stage reads. */
interface Snapshot {
  timeUs: number;
  packet: number;
  iface: number;
  order: number;
  ipVersion: 0 | 4 | 6;
  src: Uint32Array;
  dst: Uint32Array;
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
}

export type Deliver = (view: PacketView, timeUs: number, packet: number) => void;

function before(a: Snapshot, b: Snapshot): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.order < b.order);
}

/**
 * The identity of a packet on the wire: what a bridge or router does not change. The IP ID and
 * the TCP timestamp differ between a packet and its retransmission, so a retransmission is never
 * taken for a copy.
 */
function identity(s: Snapshot): string {
  return `${s.ipVersion}|${s.src.join('.')}|${s.dst.join('.')}|${s.srcPort}|${s.dstPort}|${s.seq}|${s.ack}|${s.flags}|${s.payloadLength}|${s.ipId}|${s.hasTimestamp ? s.tsVal : -1}|${s.window}`;
}

export class InterfaceMerger {
  /** Second copies dropped (seen before on another interface). */
  duplicates = 0;
  /** Packets that arrived in the file before an earlier-timestamped one. */
  reordered = 0;
  private readonly heap: Snapshot[] = [];
  private readonly seen = new Map<string, { iface: number; timeUs: number }>();
  private readonly view = new PacketView();
  private maxTimeUs = -Infinity;
  private order = 0;
  private lastSweepUs = -Infinity;

  /** `windowUs`: how far out of order the file may be, and how far apart two copies may be. */
  constructor(private readonly deliver: Deliver, private readonly windowUs = 2_000_000) {
    this.view.kind = DecodeKind.Tcp;
  }

  push(v: PacketView, timeUs: number, packet: number, iface: number): void {
    if (timeUs < this.maxTimeUs) this.reordered++;
    else this.maxTimeUs = timeUs;
    this.heapPush({
      timeUs, packet, iface, order: this.order++, ipVersion: v.ipVersion,
      src: new Uint32Array(v.src), dst: new Uint32Array(v.dst), srcPort: v.srcPort, dstPort: v.dstPort,
      seq: v.seq, ack: v.ack, flags: v.flags, window: v.window, payloadLength: v.payloadLength,
      mss: v.mss, windowScale: v.windowScale, sackPermitted: v.sackPermitted, hasTimestamp: v.hasTimestamp,
      tsVal: v.tsVal, tsEcr: v.tsEcr, ipId: v.ipId,
    });
    while (this.heap.length > 0 && this.heap[0].timeUs < this.maxTimeUs - this.windowUs) this.release(this.heapPop());
  }

  /** Releases everything still held (end of input). */
  flush(): void {
    while (this.heap.length > 0) this.release(this.heapPop());
  }

  private release(s: Snapshot): void {
    const key = identity(s);
    const prior = this.seen.get(key);
    if (prior !== undefined && prior.iface !== s.iface && s.timeUs - prior.timeUs <= this.windowUs) {
      this.duplicates++;
      return;
    }
    this.seen.set(key, { iface: s.iface, timeUs: s.timeUs });
    if (s.timeUs - this.lastSweepUs > this.windowUs) {
      for (const [k, e] of this.seen) if (s.timeUs - e.timeUs > this.windowUs) this.seen.delete(k);
      this.lastSweepUs = s.timeUs;
    }
    const v = this.view;
    v.ipVersion = s.ipVersion;
    v.src.set(s.src);
    v.dst.set(s.dst);
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

  private heapPush(s: Snapshot): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
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
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
