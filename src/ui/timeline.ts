// Socket states over the capture's time: at each of N evenly spaced instants, how many sockets were
// in each state, counted as summarize() counts them for its histogram (the same host, LISTEN and
// CLOSED left out, a side's state at an instant is its last change at or before it). The last
// instant is the capture's end, where each side's final state is used, so the histogram at the end
// is exactly the report's.
//
// One pass over every state change, adding each stay to a difference array: O(changes + N x states),
// so 300 000 connections take tens of milliseconds and moving the instant costs nothing.

import type { TcpState, Verdict } from '../close/index.js';

/** The states a histogram shows, in the order `ss -tan` users read them. */
export const HISTOGRAM_STATES: readonly TcpState[] = [
  'ESTABLISHED', 'SYN_SENT', 'SYN_RECEIVED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK',
];
const STATE_INDEX = new Map<TcpState, number>(HISTOGRAM_STATES.map((s, i) => [s, i]));

export interface Timeline {
  startUs: number;
  endUs: number;
  /** The instants, ascending; the last is endUs. */
  instants: Float64Array;
  /** counts[state index][instant index], states in HISTOGRAM_STATES order. */
  counts: Int32Array[];
  /** Highest count of each state over the instants. */
  peaks: Int32Array;
  host: string | null;
}

export function computeTimeline(verdicts: readonly Verdict[], host: string | null, startUs: number, endUs: number, buckets: number): Timeline {
  const n = Math.max(1, Math.floor(buckets));
  const span = Math.max(0, endUs - startUs);
  const step = span / n;
  const instants = new Float64Array(n);
  for (let i = 0; i < n; i++) instants[i] = i === n - 1 ? endUs : startUs + (i + 1) * step;
  const states = HISTOGRAM_STATES.length;
  // One extra slot so a stay that lasts past the last instant can end "after" it.
  const diff = Array.from({ length: states }, () => new Int32Array(n + 1));
  const last = new Int32Array(states);
  /** Index of the first instant at or after t (n when none). */
  const lowerBound = (t: number): number => {
    let i = step > 0 ? Math.ceil((t - startUs) / step) - 1 : 0;
    i = i < 0 ? 0 : i > n - 1 ? n - 1 : i;
    while (i > 0 && instants[i - 1] >= t) i--;
    while (i < n && instants[i] < t) i++;
    return i;
  };
  // The last instant is the end, counted from final states below.
  const lastRegular = n - 1;

  for (const v of verdicts) {
    for (let s = 0; s < 2; s++) {
      const side = s === 0 ? v.sides.client : v.sides.server;
      if (host !== null && (s === 0 ? v.client.ip : v.server.ip) !== host) continue;
      const ch = side.changes;
      for (let k = 0; k < ch.length; k++) {
        const idx = STATE_INDEX.get(ch[k].state);
        if (idx === undefined) continue;
        // A side has no state before its connection's first packet (summarize's rule).
        const from = Math.max(ch[k].atUs, v.startUs);
        const to = k + 1 < ch.length ? ch[k + 1].atUs : Infinity;
        if (to <= from) continue;
        const a = lowerBound(from);
        const b = Math.min(to === Infinity ? n : lowerBound(to), lastRegular);
        if (b <= a) continue;
        diff[idx][a]++;
        diff[idx][b]--;
      }
      const fin = side.finalState === null ? undefined : STATE_INDEX.get(side.finalState);
      if (fin !== undefined) last[fin]++;
    }
  }

  const counts: Int32Array[] = [];
  const peaks = new Int32Array(states);
  for (let s = 0; s < states; s++) {
    const c = new Int32Array(n);
    let run = 0;
    for (let i = 0; i < lastRegular; i++) {
      run += diff[s][i];
      c[i] = run;
    }
    c[n - 1] = last[s];
    let peak = 0;
    for (let i = 0; i < n; i++) if (c[i] > peak) peak = c[i];
    peaks[s] = peak;
    counts.push(c);
  }
  return { startUs, endUs, instants, counts, peaks, host };
}

/** The instant index nearest to `atUs` (null: the end). */
export function instantIndex(t: Timeline, atUs: number | null): number {
  const n = t.instants.length;
  if (atUs === null || atUs >= t.endUs) return n - 1;
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (t.instants[mid] < atUs) lo = mid + 1; else hi = mid;
  }
  if (lo > 0 && atUs - t.instants[lo - 1] < t.instants[lo] - atUs) return lo - 1;
  return lo;
}

/** Sockets per state at instant `i`, in HISTOGRAM_STATES order. */
export function histogramAt(t: Timeline, i: number): { state: TcpState; count: number }[] {
  return HISTOGRAM_STATES.map((state, s) => ({ state, count: t.counts[s][i] }));
}
