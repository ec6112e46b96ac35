// The ladder diagram of one connection, as in TCP/IP Illustrated and RFC 9293 figure 13: a vertical
// line per side, an arrow per segment with its flags, sequence and acknowledgement numbers, the time
// since the connection began and since the previous line, and each side's state written beside its
// line where it changes. Timers (TIME_WAIT's 2 MSL) get their own line. Bulk data in the middle folds
// into one line. A segment that was sent again is marked; the one it replaced is drawn stopping short
// of the other side: the original when the peer never acknowledged it, else the peer's lost ACK.

import type { StateChange, Verdict } from '../close/index.js';
import {
  SEG_ACKS_UNSEEN, SEG_DATA_AFTER_FIN, SEG_FOLDED, SEG_KEEPALIVE, SEG_RETRANSMISSION, SEG_ZERO_WINDOW, type Segment,
} from '../flow/index.js';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../decode/packet-view.js';
import { clientText, compactDuration, serverText } from './format.js';
import { fitLine, span, type Line, type Tone } from './lines.js';
import { displayWidth, fit, fitRight, formatBytes, groupDigits, truncate, wrap } from './text.js';

/** A run of plain segments folds into one line once it holds this many packets. */
export const FOLD_MIN_PACKETS = 6;
const STATE_WIDTH = 12;
const DELTA_WIDTH = 8;
const MAX_ARROW = 64;

const FLAG_NAMES: [number, string, string][] = [
  [TCP_SYN, 'SYN', 'S'], [TCP_FIN, 'FIN', 'F'], [TCP_RST, 'RST', 'R'], [TCP_PSH, 'PSH', 'P'],
  [TCP_ACK, 'ACK', '.'], [TCP_URG, 'URG', 'U'], [TCP_ECE, 'ECE', 'E'], [TCP_CWR, 'CWR', 'W'],
];

export const TAGS: Record<string, string> = {
  rtx: 'sent again (retransmission)',
  'lost?': 'never arrived: the segment was sent again later (or, for an ACK, the peer resent what it acknowledged)',
  ka: 'keep-alive probe',
  zw: 'zero receive window',
  unseen: 'acknowledges data the capture never showed (the capture missed packets)',
  'after-fin': 'data after its own FIN',
};

/**
 * A segment's flags and numbers: 'full' ("FIN,ACK seq 121 ack 601"), 'short' ("FIN,ACK 121 a601"),
 * or 'letters' as tcpdump writes flags ("F. 121 a601"; a bare ACK stays "ACK").
 */
export function segmentLabel(s: Segment, form: 'full' | 'short' | 'letters'): string {
  const flags = FLAG_NAMES.filter(([bit]) => (s.flags & bit) !== 0);
  const seqEnd = s.len > 0 ? `:${s.seq + s.len}` : '';
  const names = flags.map(([, n]) => n).join(',') || 'none';
  if (form === 'full') return `${names} seq ${s.seq}${seqEnd}${s.ack >= 0 ? ` ack ${s.ack}` : ''}`;
  const shown = form === 'short' || s.flags === TCP_ACK ? names : flags.map(([, , c]) => c).join('') || '-';
  return `${shown} ${s.seq}${seqEnd}${s.ack >= 0 ? ` a${s.ack}` : ''}`;
}

function segmentTags(s: Segment, resent: boolean, lost: boolean): string[] {
  const tags: string[] = [];
  if (resent) tags.push('rtx');
  if (lost) tags.push('lost?');
  if ((s.marks & SEG_KEEPALIVE) !== 0) tags.push('ka');
  if ((s.marks & SEG_ZERO_WINDOW) !== 0) tags.push('zw');
  if ((s.marks & SEG_ACKS_UNSEEN) !== 0) tags.push('unseen');
  if ((s.marks & SEG_DATA_AFTER_FIN) !== 0) tags.push('after-fin');
  return tags;
}

const CTRL = TCP_SYN | TCP_FIN;

/** The earlier copy of segment r (same direction, sequence number and SYN/FIN), or -1. */
function earlierCopy(segs: readonly Segment[], r: number): number {
  const re = segs[r];
  if (re.count !== 1 || (re.len === 0 && (re.flags & CTRL) === 0)) return -1;
  for (let o = r - 1; o >= 0; o--) {
    const s = segs[o];
    if (s.dir === re.dir && s.seq === re.seq && (s.flags & CTRL) === (re.flags & CTRL) && s.count === 1 && (s.len > 0 || (s.flags & CTRL) !== 0)) return o;
  }
  return -1;
}

/**
 * Segments sent again: marked so by the flow stage, or a SYN/FIN repeated with the same sequence
 * number (the flow stage counts repeated SYNs apart from retransmissions).
 */
export function resentSegments(segs: readonly Segment[]): Set<number> {
  const out = new Set<number>();
  for (let r = 0; r < segs.length; r++) {
    if ((segs[r].marks & SEG_RETRANSMISSION) !== 0 || ((segs[r].flags & CTRL) !== 0 && earlierCopy(segs, r) >= 0)) out.add(r);
  }
  return out;
}

/** Sequence space a segment occupies: SYN and FIN count one each. */
function seqEnd(s: Segment): number {
  return s.seq + s.len + ((s.flags & TCP_SYN) !== 0 ? 1 : 0) + ((s.flags & TCP_FIN) !== 0 ? 1 : 0);
}

/**
 * Which logged segments were lost beyond the capture point, judged from what was sent again: for
 * each retransmission, the earlier copy if the peer never acknowledged it before the resend, else
 * the peer's acknowledgement (it was seen here, yet the sender resent).
 */
export function lostSegments(segs: readonly Segment[], resent: Set<number> = resentSegments(segs)): Set<number> {
  const lost = new Set<number>();
  for (const r of resent) {
    const o = earlierCopy(segs, r);
    if (o < 0) continue;
    const end = seqEnd(segs[o]);
    let acked = -1;
    for (let k = o + 1; k < r; k++) {
      if (segs[k].dir !== segs[r].dir && segs[k].ack >= end && (segs[k].flags & TCP_RST) === 0) { acked = k; break; }
    }
    lost.add(acked >= 0 ? acked : o);
  }
  return lost;
}

type Row =
  | { kind: 'segment'; seg: Segment; index: number; resent: boolean; lost: boolean; left: StateChange | null; right: StateChange | null }
  | { kind: 'fold'; packets: number; bytes: [number, number]; firstUs: number; lastUs: number }
  | { kind: 'states'; atUs: number; left: StateChange | null; right: StateChange | null }
  | { kind: 'timer'; atUs: number; left: StateChange | null; right: StateChange | null; text: string };

function timerText(c: StateChange, observedUntilUs: number): string {
  const after = c.atUs > observedUntilUs ? ' (after capture)' : '';
  switch (c.cause) {
    case 'timeout': return `2 MSL timer ends${after}`;
    case 'reuse': return `a new connection took the 4-tuple${after}`;
    case 'implied': return c.state === 'LISTEN' ? 'listening before the capture' : 'its opening was not captured';
    case 'mid-stream': return 'already open when the capture began';
    default: return c.cause;
  }
}

/** Builds the rows: segments in capture order, state changes placed on the segment that caused them. */
function buildRows(v: Verdict): Row[] {
  const segs: Segment[] = v.segments?.toArray() ?? [];
  const resent = resentSegments(segs);
  const lost = lostSegments(segs, resent);
  const byPacket: Map<number, StateChange[]>[] = [new Map(), new Map()];
  const loose: { side: 0 | 1; change: StateChange }[] = [];
  [v.sides.client.changes, v.sides.server.changes].forEach((changes, side) => {
    for (const c of changes) {
      if (c.packet === null) { loose.push({ side: side as 0 | 1, change: c }); continue; }
      const m = byPacket[side];
      const list = m.get(c.packet);
      if (list === undefined) m.set(c.packet, [c]); else list.push(c);
    }
  });
  // Changes whose packet is not in the log (it should not happen) are shown as loose rows.
  const logged = new Set(segs.map((s) => s.packet));
  byPacket.forEach((m, side) => {
    for (const [packet, list] of m) {
      if (logged.has(packet)) continue;
      for (const change of list) loose.push({ side: side as 0 | 1, change });
      m.delete(packet);
    }
  });
  loose.sort((a, b) => a.change.atUs - b.change.atUs);
  // A state the side was in before the first segment (an implied LISTEN) is written on the first
  // segment's line, as textbooks draw LISTEN beside the SYN, unless that line has its own change.
  if (segs.length > 0) {
    const first = segs[0].packet;
    for (let k = 0; k < loose.length; k++) {
      const { side, change } = loose[k];
      if ((change.cause !== 'implied' && change.cause !== 'start') || change.atUs > segs[0].timeUs || byPacket[side].has(first)) continue;
      byPacket[side].set(first, [change]);
      loose.splice(k--, 1);
    }
  }

  const rows: Row[] = [];
  let li = 0;
  const pushLoose = (beforeUs: number, inclusive: boolean): void => {
    while (li < loose.length && (inclusive ? loose[li].change.atUs <= beforeUs : loose[li].change.atUs < beforeUs)) {
      const { side, change } = loose[li++];
      rows.push({ kind: 'timer', atUs: change.atUs, left: side === 0 ? change : null, right: side === 1 ? change : null, text: timerText(change, v.observedUntilUs) });
    }
  };
  // Inferred starting states come before the first segment, timers after the segments at their time.
  while (li < loose.length && (loose[li].change.cause === 'implied' || loose[li].change.cause === 'start')) pushLoose(loose[li].change.atUs, true);

  const plain = (s: Segment, i: number): boolean =>
    (s.flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && (s.marks & ~SEG_FOLDED) === 0 && !lost.has(i) && !resent.has(i) &&
    !byPacket[0].has(s.packet) && !byPacket[1].has(s.packet);

  let i = 0;
  while (i < segs.length) {
    pushLoose(segs[i].timeUs, false);
    if (plain(segs[i], i)) {
      let j = i, packets = 0, hasRun = false;
      while (j < segs.length && plain(segs[j], j)) { packets += segs[j].count; if (segs[j].count > 1) hasRun = true; j++; }
      if (packets >= FOLD_MIN_PACKETS || hasRun) {
        const bytes: [number, number] = [0, 0];
        for (let k = i; k < j; k++) bytes[segs[k].dir] += segs[k].len;
        rows.push({ kind: 'fold', packets, bytes, firstUs: segs[i].timeUs, lastUs: segs[j - 1].lastTimeUs });
        i = j;
        continue;
      }
    }
    const s = segs[i];
    const left = byPacket[0].get(s.packet) ?? [];
    const right = byPacket[1].get(s.packet) ?? [];
    rows.push({ kind: 'segment', seg: s, index: i, resent: resent.has(i), lost: lost.has(i), left: left[0] ?? null, right: right[0] ?? null });
    // Several changes on one packet (FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT on a FIN+ACK): the later
    // ones go on the lines below, beside the side's line.
    for (let k = 1; k < Math.max(left.length, right.length); k++) {
      rows.push({ kind: 'states', atUs: s.timeUs, left: left[k] ?? null, right: right[k] ?? null });
    }
    i++;
  }
  pushLoose(Infinity, true);
  return rows;
}

function arrow(label: string, width: number, toRight: boolean, lost: boolean): string {
  // A lost segment's arrow stops short of the other side, ending in an X.
  const gap = lost ? Math.min(4, Math.max(1, Math.floor(width / 8))) : 0;
  const body = ` ${label} `;
  const dashes = Math.max(0, width - gap - displayWidth(body) - 1);
  const left = Math.floor(dashes / 2), right = dashes - left;
  const head = lost ? 'X' : toRight ? '>' : '<';
  return toRight
    ? '─'.repeat(left) + body + '─'.repeat(right) + head + ' '.repeat(gap)
    : ' '.repeat(gap) + head + '─'.repeat(left) + body + '─'.repeat(right);
}

function segmentTone(s: Segment, resent: boolean, lost: boolean): Tone {
  if (lost) return 'lost';
  if ((s.flags & TCP_RST) !== 0) return 'rst';
  if (resent) return 'retransmission';
  if ((s.flags & TCP_FIN) !== 0) return 'fin';
  if ((s.flags & TCP_SYN) !== 0) return 'syn';
  return 'plain';
}

export interface Ladder {
  /** Column titles (kept on screen while the rows scroll). */
  header: Line[];
  rows: Line[];
  /** What the [tags] used in the rows mean. */
  legend: Line[];
}

export function ladder(v: Verdict, width: number): Ladder {
  const rows = buildRows(v);
  const timeOf = (r: Row): number => r.kind === 'segment' ? r.seg.timeUs : r.kind === 'fold' ? r.firstUs : r.atUs;
  const rel = (t: number): string => ((t - v.startUs) / 1e6).toFixed(6);
  let timeWidth = 8;
  for (const r of rows) timeWidth = Math.max(timeWidth, rel(timeOf(r)).length);
  const fixed = timeWidth + 1 + DELTA_WIDTH + 1 + STATE_WIDTH + 1 + 1 + 1 + 1 + STATE_WIDTH;
  const arrowWidth = Math.max(10, Math.min(MAX_ARROW, width - fixed));

  const header: Line[] = [
    fitLine([
      span(fit('t (s)', timeWidth) + ' ' + fit('Δ', DELTA_WIDTH) + ' ', 'heading'),
      span(fitRight('client', STATE_WIDTH) + ' ', 'heading'),
      span(fit(truncate(clientText(v), Math.floor(arrowWidth / 2)), Math.floor(arrowWidth / 2) + 1)),
      span(fitRight(truncate(serverText(v), arrowWidth - Math.floor(arrowWidth / 2)), arrowWidth - Math.floor(arrowWidth / 2) + 1)),
      span(' ' + fit('server', STATE_WIDTH), 'heading'),
    ], width),
  ];

  const out: Line[] = [];
  const usedTags = new Set<string>();
  let prevUs: number | null = null;
  const stateSpan = (c: StateChange | null, right: boolean): Line => {
    if (c === null) return [span(' '.repeat(STATE_WIDTH))];
    const text = right ? fit(c.state, STATE_WIDTH) : fitRight(c.state, STATE_WIDTH);
    return [span(text, 'state')];
  };
  for (const r of rows) {
    const t = r.kind === 'states' ? null : timeOf(r);
    const timeText = t === null ? '' : rel(t);
    // Captures from several interfaces can step back in time: say so rather than hide it.
    const delta = t === null || prevUs === null ? '' : t >= prevUs ? `+${compactDuration(t - prevUs)}` : `-${compactDuration(prevUs - t)}`;
    const lead = span(fitRight(timeText, timeWidth) + ' ' + fitRight(delta, DELTA_WIDTH) + ' ', 'dim');
    let middle: Line;
    let left: StateChange | null = null, right: StateChange | null = null;
    if (r.kind === 'segment') {
      const s = r.seg;
      const tags = segmentTags(s, r.resent, r.lost);
      tags.forEach((x) => usedTags.add(x));
      const tagText = tags.map((x) => ` [${x}]`).join('');
      const room = arrowWidth - 4 - (r.lost ? Math.min(4, Math.max(1, Math.floor(arrowWidth / 8))) : 0);
      const forms = (['full', 'short', 'letters'] as const).map((form) => segmentLabel(s, form) + tagText);
      const label = forms.find((l) => displayWidth(l) <= room) ?? truncate(forms[2], room);
      middle = [span('│'), span(arrow(label, arrowWidth, s.dir === 0, r.lost), segmentTone(s, r.resent, r.lost)), span('│')];
      left = r.left; right = r.right;
    } else if (r.kind === 'fold') {
      middle = [span('│'), span(centre(foldText(r.packets, r.bytes, r.lastUs - r.firstUs, arrowWidth), arrowWidth), 'fold'), span('│')];
    } else if (r.kind === 'states') {
      middle = [span('│' + ' '.repeat(arrowWidth) + '│')];
      left = r.left; right = r.right;
    } else {
      middle = [span('│'), span(centre(truncate(r.text, arrowWidth), arrowWidth), 'dim'), span('│')];
      left = r.left; right = r.right;
    }
    out.push(fitLine([lead, ...stateSpan(left, false), span(' '), ...middle, span(' '), ...stateSpan(right, true)], width));
    if (r.kind === 'fold') prevUs = r.lastUs;
    else if (t !== null) prevUs = t;
  }
  if (out.length === 0) out.push([span(v.segments === null ? 'the segment log was not kept for this connection' : 'no segments', 'dim')]);
  const legend: Line[] = [...usedTags].flatMap((x) => wrap(`[${x}] ${TAGS[x]}`, width, '  ').map((text) => [span(text, 'dim')]));
  return { header, rows: out, legend };
}

/** The fold line, as long as the room allows. */
function foldText(packets: number, bytes: [number, number], us: number, width: number): string {
  const n = groupDigits(packets), d = compactDuration(us);
  const candidates = [
    `┄ ${n} packets folded: ${formatBytes(bytes[0])} →, ${formatBytes(bytes[1])} ← in ${d} ┄`,
    `┄ ${n} packets: ${formatBytes(bytes[0])} →, ${formatBytes(bytes[1])} ←, ${d} ┄`,
    `┄ ${n} pkts ${formatBytes(bytes[0]).replace(' ', '')}→ ${formatBytes(bytes[1]).replace(' ', '')}← ${d} ┄`,
    `┄ ${n} packets ┄`,
  ];
  return candidates.find((c) => displayWidth(c) <= width) ?? truncate(candidates[3], width);
}

function centre(text: string, width: number): string {
  const w = displayWidth(text);
  const left = Math.max(0, Math.floor((width - w) / 2));
  return ' '.repeat(left) + text + ' '.repeat(Math.max(0, width - w - left));
}
