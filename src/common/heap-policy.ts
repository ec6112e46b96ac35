// V8's garbage-collector settings, process-wide (worker threads included). The batch commands trade
// a little CPU for memory that follows the live connections; a capture that keeps hundreds of
// thousands of connections live at once (a SYN flood, a scan) gets the CPU back.

import { setFlagsFromString } from 'node:v8';

/**
 * Settings for the batch commands (report, merge), whose memory must follow the live
 * connections. Not for the terminal UI, which keeps every verdict with its segment log (~1.4 GB
 * for 300 000 connections): there they made V8 collect so often that garbage collection took half
 * of the 31-35 s to an interactive view of the real 3 M-packet capture, against 15-16 s without them.
 */
export function batchHeapSettings(): void {
  // V8 allocates objects from "long-lived" allocation sites straight into the old generation. The
  // flow table pools its connections, and the sites V8 picks end up filling the old generation
  // with short-lived verdict data: on the 3 M-packet loopback capture, peak RSS 400 MB instead of
  // 250 MB, at the same CPU time.
  setFlagsFromString('--no-allocation-site-pretenuring');
  // V8 grows the old generation by a factor that rises with the run's allocation rate, so a long
  // run kept more garbage, not more data: the synthetic capture at 3 M packets peaked at 297 MB and
  // at 30 M (same live connections) at 433 MB; with a 200 MB old-space cap both ran, at 301 and
  // 344 MB. Growing the heap as for small devices keeps it near the live data: 258 and 289 MB
  // (the real capture: 219 -> 174 MB), for about 8% more CPU time.
  setFlagsFromString('--optimize-for-size');
}

/** Live connections from which the flow table calls manyLiveConnections(). */
export const MANY_LIVE = 100_000;

let relaxed = false;

/**
 * The flow table holds MANY_LIVE connections at once (~2.5 KB each): growing the heap as for
 * small devices now means a full collection over that whole table every few megabytes. A SYN
 * flood from a million sources (500 000 live, the default cap) took 47 s, 24 s of it collecting;
 * with V8's usual growth, 31 s. Memory then follows the live connections at V8's usual slack.
 */
export function manyLiveConnections(): void {
  if (relaxed) return;
  relaxed = true;
  setFlagsFromString('--no-optimize-for-size');
  // Most of what is allocated now lives long (the connections being added to the table): copying
  // it out of the young generation twice cost the flood a second (scavenges 4.3 s, now 3.3 s).
  setFlagsFromString('--allocation-site-pretenuring');
}
