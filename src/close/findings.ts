// What went wrong in a termination. Each detector reads the facts and the replayed state machines
// and says one thing, with the figures, in one line.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import { SEG_RETRANSMISSION, type Connection, type Dir, type Segment } from '../flow/index.js';
import { formatDuration as dur } from '../common/duration.js';
import type { SideRun, StateChange } from './machine.js';
import type { TcpState } from './states.js';
import type { CloseOptions, Finding, FindingCode, Severity, Side, SideVerdict, Vantage } from './types.js';

const SIDE: readonly Side[] = ['client', 'server'];

export const SEVERITY: Record<FindingCode, Severity> = {
  'lost-final-ack': 'warning',
  'missing-peer-fin': 'warning',
  'long-fin-wait-2': 'warning',
  'long-close-wait': 'warning',
  'fin-retransmitted': 'warning',
  'fin-unacked': 'warning',
  'reset-after-fin': 'warning',
  'abortive-close': 'warning',
  'simultaneous-close': 'info',
  'half-close': 'info',
  'data-after-fin': 'error',
  'time-wait-reuse': 'info',
  'time-wait-assassination': 'error',
  'time-wait-rst-ignored': 'info',
  'ephemeral-port-pressure': 'error',
  'not-closed': 'info',
  'connection-refused': 'info',
  'syn-unanswered': 'warning',
  'syn-ack-unanswered': 'warning',
  'capture-missed-packets': 'info',
};

export interface FindingContext {
  conn: Connection;
  runs: [SideRun, SideRun];
  sides: [SideVerdict, SideVerdict];
  vantage: Vantage;
  options: CloseOptions;
  activeCloser: Side | 'both' | null;
}

const BOTH_DIRS: readonly Dir[] = [0, 1];

/** The earlier of two capture times, where a negative one never happened (negative when neither did). */
function earliest(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/** Configured limits as text: the same few for every connection, so each is formatted once. */
const limitTexts = new Map<number, string>();

function limitText(us: number): string {
  let text = limitTexts.get(us);
  if (text === undefined) limitTexts.set(us, text = dur(us));
  return text;
}

function finding(code: FindingCode, side: Side | null, atUs: number, detail: string): Finding {
  return { code, severity: SEVERITY[code], side, atUs, detail };
}

/** ACKs from `d` that cover the peer's FIN (RSTs excluded). */
function acksOfPeerFin(conn: Connection, d: Dir): Segment[] {
  const peerFin = conn.dirs[d === 0 ? 1 : 0].finSeq;
  if (peerFin < 0) return [];
  return conn.log.filter((s) => s.dir === d && s.count === 1 && (s.flags & TCP_ACK) !== 0 &&
    (s.flags & TCP_RST) === 0 && s.ack > peerFin);
}

/** The first FIN segment of a direction. */
export function firstFin(conn: Connection, d: Dir): Segment | undefined {
  // A loop, not log.find: a closure for each of the ~4 calls per connection was garbage.
  const log = conn.log;
  for (let i = 0; i < log.length; i++) if (log[i].dir === d && (log[i].flags & TCP_FIN) !== 0) return log[i];
  return undefined;
}

/** A side's first change into `state`. */
function firstChangeTo(changes: readonly StateChange[], state: TcpState): StateChange | undefined {
  for (let i = 0; i < changes.length; i++) if (changes[i].state === state) return changes[i];
  return undefined;
}

/** Whether each side sent its FIN before it had the other's (the FINs crossed). */
export function isSimultaneousClose(conn: Connection): boolean {
  const a = firstFin(conn, 0), b = firstFin(conn, 1);
  if (a === undefined || b === undefined) return false;
  const coversB = (a.flags & TCP_ACK) !== 0 && a.ack > conn.dirs[1].finSeq;
  const coversA = (b.flags & TCP_ACK) !== 0 && b.ack > conn.dirs[0].finSeq;
  return !coversA && !coversB;
}

export function activeCloserOf(conn: Connection): Side | 'both' | null {
  const c = conn.dirs[0], s = conn.dirs[1];
  if (c.finUs >= 0 && s.finUs >= 0) {
    if (isSimultaneousClose(conn)) return 'both';
    return c.finUs <= s.finUs ? 'client' : 'server';
  }
  if (c.finUs >= 0) return 'client';
  if (s.finUs >= 0) return 'server';
  // An abortive close: whoever reset first closed it.
  if (c.rstUs >= 0 && (s.rstUs < 0 || c.rstUs <= s.rstUs)) return 'client';
  if (s.rstUs >= 0) return 'server';
  return null;
}

function lostFinalAck(ctx: FindingContext, p: Dir): Finding | null {
  const { conn } = ctx;
  const a: Dir = p === 0 ? 1 : 0;
  const P = SIDE[p], A = SIDE[a];
  // Only a FIN sent from LAST_ACK or CLOSING waits for a "final" ACK: the peer closed first or both did.
  if (conn.dirs[p].finCount < 2 || !(ctx.activeCloser === A || ctx.activeCloser === 'both')) return null;
  const fins = ctx.runs[p].lossFins;
  if (fins.length < 2) return null;
  const f1 = fins[0], f2 = fins[1];
  const acks = acksOfPeerFin(conn, a);
  const before = acks.find((s) => s.timeUs < f2.timeUs);
  const after = acks.find((s) => s.timeUs >= f2.timeUs);
  const resetAfter = conn.log.find((s) => s.dir === a && (s.flags & TCP_RST) !== 0 && s.timeUs >= f2.timeUs);
  const reAck = after !== undefined
    ? `${A} re-acknowledged it from TIME_WAIT ${dur(after.timeUs - f2.timeUs)} after the retransmission`
    : resetAfter !== undefined
      ? `${A} answered with a RST (its TIME_WAIT socket was gone)`
      : `${A} did not re-acknowledge it in the capture`;
  const times = `${P} sent its FIN ${fins.length} times, first retransmission ${dur(f2.timeUs - f1.timeUs)} after the first`;
  if (before !== undefined) {
    return finding('lost-final-ack', A, before.timeUs,
      `${A}'s final ACK passed the capture point and was lost after it; ${times}; ${reAck}`);
  }
  // Never seen: lost before the capture point, unless the capture sits next to the ACK's sender,
  // in which case the ACK was never sent because the FIN itself was lost.
  if (after === undefined || ctx.vantage === A) return null;
  return finding('lost-final-ack', A, f2.timeUs,
    `${A}'s final ACK never reached the capture point (implied by the retransmitted FIN; vantage ${ctx.vantage}); ${times}; ${reAck}`);
}

function finRetransmitted(ctx: FindingContext, d: Dir, explained: boolean): Finding | null {
  const f = ctx.conn.dirs[d];
  if (explained) return null;
  const fins = ctx.runs[d].lossFins;
  if (fins.length < 2) return null;
  const state = ctx.activeCloser === 'both' ? 'CLOSING' : ctx.activeCloser === SIDE[d] ? 'FIN_WAIT_1' : 'LAST_ACK';
  const last = fins[fins.length - 1].timeUs;
  if (f.finAckedUs >= 0 && f.finAckedUs <= fins[1].timeUs) {
    // The ACK had passed the capture point already: it reached the sender late or was lost after.
    return finding('fin-retransmitted', SIDE[d], fins[1].timeUs,
      `${SIDE[d]} sent its FIN again ${dur(fins[1].timeUs - f.finUs)} after the first although the capture saw it acknowledged ${dur(f.finAckedUs - f.finUs)} after the first (the ACK was lost beyond the capture point or arrived late)`);
  }
  const acked = f.finAckedUs >= 0 ? `, acknowledged ${dur(f.finAckedUs - f.finUs)} after the first` : ', never acknowledged';
  return finding('fin-retransmitted', SIDE[d], fins[1].timeUs,
    `${SIDE[d]} sent its FIN ${fins.length} times over ${dur(last - f.finUs)} (${state} stalled)${acked}`);
}

function halfClose(ctx: FindingContext, x: Dir): Finding | null {
  const { conn } = ctx;
  const y: Dir = x === 0 ? 1 : 0;
  const xf = conn.dirs[x];
  if (xf.finAckedUs < 0) return null;
  const yFin = conn.dirs[y].finUs >= 0 ? conn.dirs[y].finUs : Infinity;
  let segs = 0, bytes = 0, first = -1, last = -1;
  for (const s of conn.log) {
    if (s.dir !== y || s.len === 0 || s.timeUs <= xf.finAckedUs || s.timeUs > yFin) continue;
    if ((s.marks & SEG_RETRANSMISSION) !== 0 || (s.flags & TCP_SYN) !== 0) continue;
    segs += s.count;
    bytes += s.len;
    if (first < 0) first = s.timeUs;
    last = s.lastTimeUs;
  }
  if (segs === 0) return null;
  // Data answered by a RST from the first closer was not a half-close: its socket was closed.
  if (conn.dirs[x].rstUs >= first) return null;
  return finding('half-close', SIDE[y], first,
    `${SIDE[y]} kept sending after ${SIDE[x]}'s FIN was acknowledged: ${bytes} bytes in ${segs} segments over ${dur(last - first)}`);
}

export function detectFindings(ctx: FindingContext): Finding[] {
  const { conn, runs, sides, options } = ctx;
  const out: Finding[] = [];
  const end = conn.observedUntilUs;
  const anyFin = conn.dirs[0].finUs >= 0 || conn.dirs[1].finUs >= 0;
  const anyRst = conn.dirs[0].rstUs >= 0 || conn.dirs[1].rstUs >= 0;
  const firstRst = earliest(conn.dirs[0].rstUs, conn.dirs[1].rstUs);

  if (ctx.activeCloser === 'both') {
    out.push(finding('simultaneous-close', null, Math.max(conn.dirs[0].finUs, conn.dirs[1].finUs),
      `both sides sent FIN before having the other's (${dur(Math.abs(conn.dirs[0].finUs - conn.dirs[1].finUs))} apart at the capture point)`));
  }

  for (const d of BOTH_DIRS) {
    const side = SIDE[d], peer = SIDE[1 - d];
    const f = conn.dirs[d], pf = conn.dirs[1 - d];
    const lost = lostFinalAck(ctx, d);
    if (lost !== null) out.push(lost);
    // A FIN at the very end of the capture had no time to be acknowledged: call it unacked once
    // it was retransmitted, or 200 ms (the minimum RTO and the longest delayed ACK) went by.
    const unacked = f.finUs >= 0 && f.finAckedUs < 0 && !anyRst && conn.reusedAtUs < 0 &&
      (runs[d].lossFins.length > 1 || end - f.finLastUs >= 200_000);
    // fin-unacked already says how often it was sent.
    const fr = finRetransmitted(ctx, d, lost !== null || unacked);
    if (fr !== null) out.push(fr);
    if (unacked) {
      const state = ctx.activeCloser === side ? 'FIN_WAIT_1' : ctx.activeCloser === 'both' ? 'CLOSING' : 'LAST_ACK';
      out.push(finding('fin-unacked', side, f.finUs,
        `${side}'s FIN (sent ${f.finCount}×) was never acknowledged in the ${dur(end - f.finUs)} that followed (${side} stuck in ${state})`));
    }
    if (f.finAckedUs >= 0 && pf.finUs < 0) {
      const until = anyRst ? `before the RST ${dur(firstRst - f.finAckedUs)} later`
        : end - f.finAckedUs < 1000 ? 'before the capture ended (right after that ACK)' : `in the ${dur(end - f.finAckedUs)} until the capture ended`;
      out.push(finding('missing-peer-fin', peer, f.finAckedUs,
        `${side}'s FIN was acknowledged but ${peer} sent no FIN ${until} (${peer} in CLOSE_WAIT, ${side} in FIN_WAIT_2)`));
    }
    const fw2 = sides[d].durations.finWait2;
    if (fw2 !== null && fw2 > options.finWait2LimitUs) {
      const ended = pf.finUs >= 0 ? `until ${peer}'s FIN` : anyRst ? 'until the RST' : 'and was still there when the capture ended';
      out.push(finding('long-fin-wait-2', side, f.finAckedUs,
        `${side} was in FIN_WAIT_2 for ${dur(fw2)} ${ended} (limit ${limitText(options.finWait2LimitUs)})`));
    }
    const cw = sides[d].durations.closeWait;
    if (cw !== null && cw > options.closeWaitLimitUs) {
      const how = f.finUs >= 0 ? 'before sending its FIN' : anyRst ? 'until the RST, without sending a FIN' : 'and had not closed when the capture ended';
      out.push(finding('long-close-wait', side, pf.finUs,
        `${side} stayed in CLOSE_WAIT for ${dur(cw)} ${how} (limit ${limitText(options.closeWaitLimitUs)}): its application was slow to call close()`));
    }
    if (f.dataAfterFin > 0) {
      const seg = conn.log.find((s) => s.dir === d && s.len > 0 && s.timeUs >= f.finUs && s.seq + s.len > f.finSeq);
      out.push(finding('data-after-fin', side, seg?.timeUs ?? f.finUs,
        `${side} sent ${f.dataAfterFin} segment(s) with data beyond its own FIN (seq ${f.finSeq})`));
    }
    const ignored = runs[d].rstIgnoredInTimeWait;
    if (ignored !== null) {
      out.push(finding('time-wait-rst-ignored', side, ignored.atUs,
        `a RST from ${peer} reached ${side} in TIME_WAIT and was ignored: ${side} still answered afterwards (tcp_rfc1337=1 behaviour)`));
    }
    const tw = runs[d].rstInTimeWait;
    if (tw !== null) {
      out.push(finding('time-wait-assassination', side, tw.atUs,
        `a RST from ${peer} killed ${side}'s TIME_WAIT after ${dur(tw.atUs - runs[d].timeWaitSinceUs)} (RFC 1337); later segments of the old connection meet no socket`));
    }
    if (runs[d].stateAtReuse === 'TIME_WAIT') {
      const since = firstChangeTo(sides[d].changes, 'TIME_WAIT')?.atUs ?? conn.reusedAtUs;
      out.push(finding('time-wait-reuse', side, conn.reusedAtUs,
        `a new SYN reused the 4-tuple (connection #${conn.reusedById}) while ${side} had been in TIME_WAIT for ${dur(conn.reusedAtUs - since)} of ${limitText(options.timeWaitUs)}`));
    }
    const h = halfClose(ctx, d);
    if (h !== null) out.push(h);
    if (pf.ackedUnseenEvents > 0) {
      out.push(finding('capture-missed-packets', peer, conn.firstUs,
        `${side} acknowledged ${pf.ackedUnseenBytes} bytes of ${peer}'s that the capture never showed (${pf.ackedUnseenEvents} gaps)`));
    }
  }

  if (anyRst) {
    const d: Dir = conn.dirs[0].rstUs >= 0 && (conn.dirs[1].rstUs < 0 || conn.dirs[0].rstUs <= conn.dirs[1].rstUs) ? 0 : 1;
    const r = conn.dirs[d];
    const side = SIDE[d];
    const shape = r.rstWithAck ? 'RST+ACK' : 'bare RST (no ACK)';
    const handshakeDone = firstChangeTo(runs[0].changes, 'ESTABLISHED') !== undefined || firstChangeTo(runs[1].changes, 'ESTABLISHED') !== undefined;
    // Both FINs acknowledged before the RST: the close had finished; a later RST is about a
    // socket that no longer exists (see time-wait-assassination), not how this close ended.
    const closeDone = conn.dirs[0].finAckedUs >= 0 && conn.dirs[1].finAckedUs >= 0 &&
      Math.max(conn.dirs[0].finAckedUs, conn.dirs[1].finAckedUs) <= r.rstUs;
    if (closeDone) {
      // nothing: reported by the TIME_WAIT findings when it matters
    } else if (anyFin && earliest(conn.dirs[0].finUs, conn.dirs[1].finUs) <= r.rstUs) {
      const gone = !r.rstWithAck && firstChangeTo(sides[d].changes, 'FIN_WAIT_2') !== undefined
        ? `; ${side}'s socket was already gone (an orphaned FIN_WAIT_2 socket is dropped silently after tcp_fin_timeout)` : '';
      out.push(finding('reset-after-fin', side, r.rstUs, `the close began with FIN but ${side} ended it with a ${shape}${gone}`));
    } else if (!anyFin && handshakeDone) {
      out.push(finding('abortive-close', side, r.rstUs,
        `${side} reset the connection with a ${shape} and no FIN after ${conn.dirs[0].uniqueBytes + conn.dirs[1].uniqueBytes} bytes (SO_LINGER 0, unread data, or a crash)`));
    } else if (!anyFin && d === 1 && conn.dirs[0].synCount > 0 && conn.dirs[1].synCount === 0) {
      out.push(finding('connection-refused', 'server', r.rstUs, `the server answered the SYN with a ${shape}: nothing listening on port ${conn.ports[1]}`));
    }
  }
  if (!anyFin && !anyRst) {
    const synAcks = conn.dirs[1];
    if (conn.dirs[0].synCount > 0 && conn.dirs[1].packets === 0) {
      out.push(finding('syn-unanswered', 'client', conn.dirs[0].synUs,
        `the client sent ${conn.dirs[0].synCount} SYN(s) over ${dur(conn.dirs[0].lastUs - conn.dirs[0].synUs)} and got no answer`));
    } else if (synAcks.synCount > 0 && synAcks.synAck && sides[0].finalState === 'SYN_SENT') {
      // The replay keeps the client in SYN_SENT only when the SYN/ACK never arrived (machine.ts).
      const times = synAcks.synCount === 1 ? 'once' : `${synAcks.synCount} times over ${dur(synAcks.lastUs - synAcks.synUs)}`;
      const why = synAcks.synCount === 1
        ? `; not sent again in ${dur(end - synAcks.synUs)}, so most likely a SYN cookie (the server kept no socket)`
        : '; the server kept it half-open (SYN_RECEIVED) meanwhile';
      out.push(finding('syn-ack-unanswered', 'server', synAcks.synUs,
        `the server's SYN/ACK went out ${times} and the client never answered it (a spoofed source, as in a SYN flood, or a client that never got it)${why}`));
    } else {
      out.push(finding('not-closed', null, end,
        `no FIN or RST by the end (${conn.endReason === 'idle' ? 'finished as idle' : conn.endReason}); quiet for ${dur(end - conn.lastUs)}`));
    }
  }
  // Most connections have one finding or none: nothing to sort (sort is stable, so the same order).
  if (out.length > 1) out.sort((x, y) => x.atUs - y.atUs);
  return out;
}
