// FlowOptions.recycle reuses finished connections and their segments for new ones. A reused
// connection must be indistinguishable from a new one: every capture gives the same verdicts with
// and without it, and a recycled connection's fields equal a fresh connection's.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../src/capture/index.js';
import { analyzeConnection, DEFAULT_CLOSE_OPTIONS, type Verdict } from '../../src/close/index.js';
import { DecodeKind, decodePacket, PacketView, TCP_ACK, TCP_FIN, TCP_SYN } from '../../src/decode/index.js';
import { FlowTable } from '../../src/flow/index.js';
import { FlowConnection, resetDirection } from '../../src/flow/connection.js';
import type { DirectionFacts } from '../../src/flow/types.js';

const CAPTURES = join(process.cwd(), 'captures');

/**
 * Every verdict of a capture, as JSON made at the end: a verdict that still shared anything with
 * its connection (the segment log the ladder keeps) would show the reuse by then.
 */
async function verdictsOf(file: string, recycle: boolean, keepSegments = false): Promise<string[]> {
  const kept: Verdict[] = [];
  const table = new FlowTable((c) => { kept.push(analyzeConnection(c, DEFAULT_CLOSE_OPTIONS, keepSegments)); }, { recycle });
  const view = new PacketView();
  let last = 0;
  await readCapture(file, (rec) => {
    if (decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength, rec.originalLength) !== DecodeKind.Tcp) return;
    last = rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000);
    table.add(view, last, rec.packetNumber);
  }, { file });
  table.flush(last);
  return kept.map((v) => JSON.stringify({ ...v, segments: v.segments?.toArray() ?? null }));
}

test('recycled connections give the same verdicts on every capture', async () => {
  const files = readdirSync(CAPTURES).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  assert.ok(files.length > 10);
  for (const f of files) {
    const fresh = await verdictsOf(join(CAPTURES, f), false);
    const recycled = await verdictsOf(join(CAPTURES, f), true);
    assert.deepEqual(recycled, fresh, f);
  }
});

test('verdicts that keep their segment logs (the UI) are the same with connections recycled', async () => {
  for (const f of ['busy.pcap', 'lost-final-ack-client.pcap', 'fin-retransmitted.pcap', 'port-pressure-tw-reuse.pcap']) {
    const fresh = await verdictsOf(join(CAPTURES, f), false, true);
    assert.ok(fresh.every((v) => JSON.parse(v).segments.length > 0), `${f}: every verdict kept its log`);
    assert.deepEqual(await verdictsOf(join(CAPTURES, f), true, true), fresh, f);
  }
});

function view(src: number, sport: number, dst: number, dport: number, flags: number, seq: number, ack: number, len = 0): PacketView {
  const v = new PacketView();
  v.kind = DecodeKind.Tcp;
  v.ipVersion = 4;
  v.src[0] = src;
  v.dst[0] = dst;
  v.srcPort = sport;
  v.dstPort = dport;
  v.flags = flags;
  v.seq = seq;
  v.ack = ack;
  v.payloadLength = len;
  v.window = 100;
  v.ipId = seq & 0xffff;
  return v;
}

/**
 * Own fields as plain values (typed arrays as arrays), without the pool reference and the packed
 * log's storage (what it holds beyond the log's length is not read), and the log as segments.
 */
function fields(c: FlowConnection): Record<string, unknown> {
  const out: Record<string, unknown> = { log: JSON.parse(JSON.stringify(c.log)) };
  for (const [k, x] of Object.entries(c)) {
    if (k === 'segmentPool' || k === 'packed') continue;
    out[k] = JSON.parse(JSON.stringify(x, (_k, y: unknown) => (y instanceof Uint32Array ? [...y] : y)));
  }
  return out;
}

test('a connection restarted with start() has the fields of a new one', () => {
  const syn = view(0x0a000001, 40000, 0x0a000002, 80, TCP_SYN, 1000, 0);
  const used = new FlowConnection(7, 1, syn, true, 'syn', 5, 1);
  used.useSegmentPool([]);
  used.update(syn, 0, 5, 1, 64);
  used.update(view(0x0a000002, 80, 0x0a000001, 40000, TCP_SYN | TCP_ACK, 9000, 1001), 1, 6, 2, 64);
  used.update(view(0x0a000001, 40000, 0x0a000002, 80, TCP_ACK, 1001, 9001, 50), 0, 7, 3, 64);
  used.update(view(0x0a000001, 40000, 0x0a000002, 80, TCP_FIN | TCP_ACK, 1051, 9001), 0, 8, 4, 64);
  used.previousId = 3;
  used.reusedAtUs = 99;
  used.endReason = 'reused';
  used.releaseSegments();

  const first = view(0x0a000009, 443, 0x0a000003, 50000, TCP_ACK, 77, 88, 10);
  const fresh = new FlowConnection(12, 0, first, false, 'well-known-port', 100, 20);
  used.start(12, 0, first, false, 'well-known-port', 100, 20);
  assert.deepEqual(fields(used), fields(fresh));
});

test('resetDirection sets every field newDirection has, to the same value', () => {
  const fresh = new FlowConnection(1, 0, view(1, 1, 2, 2, TCP_SYN, 0, 0), true, 'syn', 0, 1).dirs[0];
  const dirty = { ...fresh } as Record<string, unknown>;
  for (const k of Object.keys(dirty)) dirty[k] = typeof dirty[k] === 'boolean' ? !dirty[k] : 12345;
  resetDirection(dirty as unknown as DirectionFacts);
  assert.deepEqual(dirty, { ...fresh });
});
