// roundTrips() answers each segment with the first acknowledgement from the other side in one pass
// (heaps of segments waiting). It must give what searching forward from every segment gives: on
// every connection of the lab's real captures, and on random logs with folded runs,
// retransmissions, RSTs and acknowledgements out of order.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { roundTrips } from '../../src/close/round-trips.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/packet-view.js';
import { newSegment } from '../../src/flow/segment-log.js';
import { SEG_FOLDED, SEG_RETRANSMISSION, type Dir, type Segment } from '../../src/flow/index.js';
import { rebuild } from '../helpers/analyze-file.js';

/** The definition: for each segment that asks, the first later segment the other way whose ACK reaches its end. */
function byScan(log: readonly Segment[]): [number, number] {
  const best: [number, number] = [Infinity, Infinity];
  for (let i = 0; i < log.length; i++) {
    const s = log[i];
    if ((s.marks & (SEG_FOLDED | SEG_RETRANSMISSION)) !== 0) continue;
    const control = (s.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0;
    if (s.len === 0 && control === 0) continue;
    const end = (s.flags & TCP_SYN) !== 0 ? s.seq + 1 : s.seq + s.len + control;
    for (let j = i + 1; j < log.length; j++) {
      const r = log[j];
      if (r.dir === s.dir || r.ack < 0 || (r.flags & TCP_RST) !== 0 || r.ack < end) continue;
      if ((r.marks & SEG_FOLDED) === 0) best[s.dir] = Math.min(best[s.dir], r.timeUs - s.timeUs);
      break;
    }
  }
  return best;
}

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomLog(next: () => number, length: number): Segment[] {
  const log: Segment[] = [];
  const sent = [0, 0];
  let t = 0;
  for (let i = 0; i < length; i++) {
    const s = newSegment();
    const dir: Dir = next() < 0.5 ? 0 : 1;
    s.dir = dir;
    t += Math.floor(next() * 1000);
    s.timeUs = s.lastTimeUs = t;
    const kind = next();
    s.flags = kind < 0.05 ? TCP_SYN : kind < 0.1 ? TCP_FIN | TCP_ACK : kind < 0.15 ? TCP_RST | TCP_ACK : TCP_ACK;
    if (next() < 0.1) s.flags &= ~TCP_ACK;
    s.len = next() < 0.5 ? Math.floor(next() * 1500) : 0;
    // Mostly in order, sometimes back (retransmitted or reordered data).
    s.seq = next() < 0.8 ? sent[dir] : Math.max(0, sent[dir] - Math.floor(next() * 5000));
    sent[dir] = Math.max(sent[dir], s.seq + s.len);
    const peer = sent[dir === 0 ? 1 : 0];
    s.ack = (s.flags & TCP_ACK) === 0 ? -1 : Math.max(0, peer - Math.floor(next() * 3000) + (next() < 0.1 ? 1 : 0));
    if (next() < 0.1) s.marks |= SEG_FOLDED;
    if (next() < 0.1) s.marks |= SEG_RETRANSMISSION;
    log.push(s);
  }
  return log;
}

describe('round trips in one pass', () => {
  it('equal the forward search on every connection of the real captures', async () => {
    const dir = join(process.cwd(), 'captures');
    let connections = 0, sampled = 0;
    for (const name of readdirSync(dir).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f))) {
      for (const conn of (await rebuild(join(dir, name))).connections) {
        const got = roundTrips(conn.log, [0, 0]);
        assert.deepEqual(got, byScan(conn.log), `${name} connection ${conn.id}`);
        connections++;
        if (Number.isFinite(got[0]) && Number.isFinite(got[1])) sampled++;
      }
    }
    assert.ok(connections > 100 && sampled > 50, `${connections} connections, ${sampled} with both samples`);
  });

  it('equal the forward search on random logs, including one left unanswered', () => {
    const next = random(7);
    let differentDirs = 0;
    for (let k = 0; k < 2000; k++) {
      const log = randomLog(next, 1 + Math.floor(next() * 60));
      const expected = byScan(log);
      assert.deepEqual(roundTrips(log, [0, 0]), expected, `log ${k}: ${JSON.stringify(log)}`);
      if (expected[0] !== expected[1]) differentDirs++;
    }
    assert.ok(differentDirs > 500);
  });

  it('a peer that never acknowledges 200 000 segments gives no sample for that direction', () => {
    const log: Segment[] = [];
    for (let i = 0; i < 200_000; i++) {
      const s = newSegment();
      s.dir = 0;
      s.timeUs = s.lastTimeUs = i;
      s.flags = TCP_ACK;
      s.seq = i * 10;
      s.len = 10;
      log.push(s);
    }
    assert.deepEqual(roundTrips(log, [0, 0]), [Infinity, Infinity]);
  });
});
