// The shortest round trips the capture point saw toward each endpoint, in one pass over a
// connection's segment log.

import { TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import { SEG_FOLDED, SEG_RETRANSMISSION, type Segment } from '../flow/index.js';

/**
 * Segments still waiting for their acknowledgement, least sequence end first: a binary heap of
 * (end, capture time) pairs. One per direction, reused from connection to connection.
 */
class Waiting {
  private ends: number[] = [];
  private times: number[] = [];
  size = 0;

  clear(): void { this.size = 0; }

  get firstEnd(): number { return this.ends[0]; }
  get firstTime(): number { return this.times[0]; }

  push(end: number, timeUs: number): void {
    const ends = this.ends, times = this.times;
    let i = this.size++;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (ends[up] <= end) break;
      ends[i] = ends[up];
      times[i] = times[up];
      i = up;
    }
    ends[i] = end;
    times[i] = timeUs;
  }

  pop(): void {
    const ends = this.ends, times = this.times;
    const n = --this.size;
    if (n === 0) return;
    const end = ends[n], time = times[n];
    let i = 0;
    for (;;) {
      let down = 2 * i + 1;
      if (down >= n) break;
      if (down + 1 < n && ends[down + 1] < ends[down]) down++;
      if (ends[down] >= end) break;
      ends[i] = ends[down];
      times[i] = times[down];
      i = down;
    }
    ends[i] = end;
    times[i] = time;
  }
}

const waiting: [Waiting, Waiting] = [new Waiting(), new Waiting()];

/**
 * The shortest round trips from the capture point to each endpoint and back, [toward the server,
 * toward the client]: a segment toward the endpoint, and the first segment from it that
 * acknowledges it. The handshake gives the first sample (SYN -> SYN-ACK, SYN-ACK -> ACK); data and
 * FINs add more, and the minimum drops the samples inflated by delayed ACKs or a busy path.
 * Infinity where there is no sample. Both directions in one pass over the log, into `best`.
 *
 * Each segment that asks for an answer waits in its direction's heap until the first segment the
 * other way acknowledges its end (RSTs aside); a folded run that does gives no sample. Searching
 * forward from each segment instead was quadratic in the log: a connection whose peer never
 * acknowledged 80 000 segments of data sent after a FIN took 13 s, a million of them half an hour.
 */
export function roundTrips(log: readonly Segment[], best: [number, number]): [number, number] {
  best[0] = best[1] = Infinity;
  waiting[0].clear();
  waiting[1].clear();
  for (let i = 0; i < log.length; i++) {
    const s = log[i];
    // What s acknowledges, of what the other direction sent before it.
    if (s.ack >= 0 && (s.flags & TCP_RST) === 0) {
      const asked = s.dir === 0 ? 1 : 0;
      const w = waiting[asked];
      const sample = (s.marks & SEG_FOLDED) === 0;
      while (w.size > 0 && w.firstEnd <= s.ack) {
        // best[0] is toward the server: the round trips of what the client (dir 0) sent.
        if (sample) best[asked] = Math.min(best[asked], s.timeUs - w.firstTime);
        w.pop();
      }
    }
    if ((s.marks & (SEG_FOLDED | SEG_RETRANSMISSION)) !== 0) continue;
    const control = (s.flags & (TCP_SYN | TCP_FIN)) !== 0 ? 1 : 0;
    if (s.len === 0 && control === 0) continue;
    waiting[s.dir].push((s.flags & TCP_SYN) !== 0 ? s.seq + 1 : s.seq + s.len + control, s.timeUs);
  }
  return best;
}

