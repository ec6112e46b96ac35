// The window that puts a multi-interface capture's packets back in time order and drops the second
// copy of a packet seen on another interface (src/pipeline/interfaces.ts), on hand-made packets:
// which copies go, which look-alikes stay, and the order packets come out in.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeKind, PacketView, TCP_ACK, TCP_SYN } from '../../src/decode/index.js';
import { InterfaceMerger } from '../../src/pipeline/interfaces.js';

interface P { timeUs: number; iface: number; seq: number; ipId: number; port?: number; len?: number; tsVal?: number; window?: number; flags?: number; ack?: number; dst?: number }

function view(p: P): PacketView {
  const v = new PacketView();
  v.kind = DecodeKind.Tcp;
  v.ipVersion = 4;
  v.src[0] = 0x0a000001;
  v.dst[0] = p.dst ?? 0x0a000002;
  v.srcPort = p.port ?? 40000;
  v.dstPort = 80;
  v.seq = p.seq;
  v.ack = p.ack ?? 1;
  v.flags = p.flags ?? TCP_ACK;
  v.payloadLength = p.len ?? 100;
  v.ipId = p.ipId;
  v.window = p.window ?? 500;
  v.hasTimestamp = p.tsVal !== undefined;
  v.tsVal = p.tsVal ?? 0;
  return v;
}

/** What comes out: [time, seq, packet number] per delivered packet, and the counters. */
function through(packets: P[], windowUs?: number): { out: [number, number, number][]; duplicates: number; reordered: number } {
  const out: [number, number, number][] = [];
  const m = new InterfaceMerger((v, t, packet) => out.push([t, v.seq, packet]), windowUs);
  packets.forEach((p, i) => m.push(view(p), p.timeUs, i + 1, p.iface));
  m.flush();
  return { out, duplicates: m.duplicates, reordered: m.reordered };
}

test('the second copy of each packet on the other interface is dropped, and the rest comes out in time order', () => {
  // dumpcap writes each interface's packets in batches: five from interface 0, then the same five
  // seen 20 ms later on interface 1, then the next five, and so on.
  const packets: P[] = [];
  for (let batch = 0; batch < 200; batch++) {
    for (const iface of [0, 1]) {
      for (let k = 0; k < 5; k++) {
        const n = batch * 5 + k;
        packets.push({ timeUs: 1_000_000 + n * 10_000 + iface * 20_000, iface, seq: 1000 + n * 100, ipId: n & 0xffff, tsVal: 7000 + n });
      }
    }
  }
  const r = through(packets);
  assert.equal(r.duplicates, 1000);
  assert.equal(r.out.length, 1000);
  assert.deepEqual(r.out.map(([, seq]) => seq), Array.from({ length: 1000 }, (_, n) => 1000 + n * 100), 'each packet once, in order');
  for (let i = 1; i < r.out.length; i++) assert.ok(r.out[i][0] >= r.out[i - 1][0], 'time order');
  // The first copy is the one kept (interface 0's, 20 ms earlier).
  assert.equal(r.out[0][0], 1_000_000);
  assert.ok(r.reordered > 0);
});

test('look-alikes stay: a retransmission, a copy on the same interface, a copy out of the window, any field apart', () => {
  const base: P = { timeUs: 1_000_000, iface: 0, seq: 5000, ipId: 42, tsVal: 99 };
  const others: P[] = [
    { ...base, timeUs: 1_300_000, ipId: 43, tsVal: 120 }, // a retransmission: new IP ID and TSval
    { ...base, timeUs: 1_001_000 }, // the same frame twice on one interface (a SPAN port): the flow stage's business
    { ...base, timeUs: 3_500_000, iface: 1 }, // the other interface, but 2.5 s later (window 2 s)
    { ...base, timeUs: 1_002_000, iface: 1, port: 40001 },
    { ...base, timeUs: 1_003_000, iface: 1, seq: 5001 },
    { ...base, timeUs: 1_004_000, iface: 1, ack: 2 },
    { ...base, timeUs: 1_005_000, iface: 1, len: 99 },
    { ...base, timeUs: 1_006_000, iface: 1, ipId: 41 },
    { ...base, timeUs: 1_007_000, iface: 1, tsVal: 98 },
    { ...base, timeUs: 1_008_000, iface: 1, window: 501 },
    { ...base, timeUs: 1_009_000, iface: 1, flags: TCP_SYN | TCP_ACK },
    { ...base, timeUs: 1_010_000, iface: 1, dst: 0x0a000003 },
  ];
  const r = through([base, ...others]);
  assert.equal(r.duplicates, 0);
  assert.equal(r.out.length, others.length + 1);
  // And the one true copy among them is dropped.
  const withCopy = through([base, ...others, { ...base, timeUs: 1_020_000, iface: 1 }]);
  assert.equal(withCopy.duplicates, 1);
  assert.equal(withCopy.out.length, others.length + 1);
});

/** The rule, written plainly: in time order, a packet goes when the latest kept packet with its identity came on another interface within the window. */
function reference(packets: P[], windowUs = 2_000_000): number[] {
  const kept: number[] = [];
  const latest = new Map<string, { iface: number; timeUs: number }>();
  packets.forEach((p, i) => {
    const key = JSON.stringify([p.port, p.seq, p.ipId, p.tsVal, p.len, p.window, p.flags, p.ack, p.dst]);
    const prior = latest.get(key);
    if (prior !== undefined && prior.iface !== p.iface && p.timeUs - prior.timeUs <= windowUs) return;
    latest.set(key, { iface: p.iface, timeUs: p.timeUs });
    kept.push(i + 1);
  });
  return kept;
}

test('over a long capture, what goes is what the plain rule says, whatever came before', () => {
  // 60 000 packets in time order drawn from 4000 identities, on two interfaces at random, 0-1 ms
  // apart (30 s): an identity comes back every 2 s on average, within the window and outside it.
  let x = 12345;
  const rnd = (n: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  const packets: P[] = [];
  let t = 1_000_000;
  for (let n = 0; n < 60_000; n++) {
    t += rnd(1000);
    const id = rnd(4000);
    packets.push({ timeUs: t, iface: rnd(2), seq: 1000 + id * 7, ipId: id, tsVal: id * 3, port: 40000 + (id % 5) });
  }
  const r = through(packets);
  const kept = reference(packets);
  assert.deepEqual(r.out.map(([, , packet]) => packet), kept);
  assert.ok(r.duplicates > 10_000 && kept.length > 30_000, `${r.duplicates} dropped, ${kept.length} kept`);
});

test('many interfaces written in batches, some packets out of order on their own interface: released in time order, copies dropped', () => {
  // The wire's packets in time order, each seen on one to three of five interfaces a little later,
  // and the file written as dumpcap does: each interface's packets in batches of up to 40, with one
  // packet in a hundred swapped with the one before it on its interface.
  let x = 777;
  const rnd = (n: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  const perIface: P[][] = [[], [], [], [], []];
  let t = 1_000_000;
  for (let n = 0; n < 30_000; n++) {
    t += rnd(200);
    const id = rnd(3000);
    const first = rnd(5);
    for (let c = 0, k = rnd(3) + 1; c < k; c++) {
      const iface = (first + c) % 5;
      perIface[iface].push({ timeUs: t + c * rnd(500), iface, seq: 1000 + id * 7, ipId: id, tsVal: id * 3, port: 40000 + (id % 5) });
    }
  }
  for (const q of perIface) {
    q.sort((a, b) => a.timeUs - b.timeUs);
    for (let i = 1; i < q.length; i++) if (rnd(100) === 0) [q[i - 1], q[i]] = [q[i], q[i - 1]];
  }
  const file: P[] = [];
  const at = [0, 0, 0, 0, 0];
  while (at.some((a, i) => a < perIface[i].length)) {
    const i = rnd(5);
    const n = rnd(40) + 1;
    file.push(...perIface[i].slice(at[i], at[i] + n));
    at[i] = Math.min(at[i] + n, perIface[i].length);
  }
  const r = through(file);
  // The plain rule over the file's packets in (time, place in the file) order.
  const order = file.map((p, i) => ({ p, n: i + 1 })).sort((a, b) => a.p.timeUs - b.p.timeUs || a.n - b.n);
  const kept = reference(order.map((o) => o.p)).map((k) => order[k - 1].n);
  assert.deepEqual(r.out.map(([, , packet]) => packet), kept);
  assert.ok(r.duplicates > 10_000 && r.reordered > 10_000, `${r.duplicates} dropped, ${r.reordered} reordered`);
  // One interface whose stamps jump back and forth by a second (within the window), beside two
  // in order: the stragglers come out in their place too.
  const jumpy: P[] = [];
  for (let n = 0; n < 6000; n++) {
    const iface = n % 3;
    const timeUs = 5_000_000 + n * 300 - (iface === 0 && n % 2 === 0 ? 1_000_000 : 0);
    jumpy.push({ timeUs, iface, seq: 1000 + n * 7, ipId: n & 0xffff, tsVal: n });
  }
  const j = through(jumpy);
  const jOrder = jumpy.map((p, i) => ({ p, n: i + 1 })).sort((a, b) => a.p.timeUs - b.p.timeUs || a.n - b.n);
  assert.deepEqual(j.out.map(([, , packet]) => packet), jOrder.map((o) => o.n));
  // A straggler earlier than the stragglers held, and than every interface's first packet.
  const late = through([
    { timeUs: 1_000_100, iface: 1, seq: 100, ipId: 1 },
    { timeUs: 1_000_300, iface: 0, seq: 300, ipId: 2 },
    { timeUs: 1_000_200, iface: 0, seq: 200, ipId: 3 },
    { timeUs: 1_000_050, iface: 0, seq: 50, ipId: 4 },
  ]);
  assert.deepEqual(late.out.map(([, seq]) => seq), [50, 100, 200, 300]);
  // A packet earlier than everything its interface holds, while another interface's is first.
  const small = through([
    { timeUs: 1_000_010, iface: 0, seq: 10, ipId: 1 },
    { timeUs: 1_000_007, iface: 1, seq: 7, ipId: 2 },
    { timeUs: 1_000_005, iface: 0, seq: 5, ipId: 3 },
  ]);
  assert.deepEqual(small.out.map(([, seq]) => seq), [5, 7, 10]);
});
