// The connection list: which verdicts, in which order, and the few rows on screen. The order is an
// index array computed once per filter and sort; a key press only moves a window over it, and only
// the visible rows are formatted, so a list of 300 000 scrolls as fast as one of 30.

import type { SideDurations, Verdict } from '../close/index.js';
import { worstSeverityRank } from '../filter/index.js';
import { badges, clientText, compactDuration, serverText, SHORT_STATE, distinctFindings } from './format.js';
import { fitLine, span, toned, type Line } from './lines.js';
import { formatDuration } from '../common/duration.js';
import { formatTimeOfDay } from '../common/time.js';
import { sortIndicesByValue } from '../common/radix-sort.js';
import { displayWidth, fit, fitRight, truncateMiddle } from './text.js';

export type SortKey = 'start' | 'duration' | 'severity' | keyof SideDurations;
export const SORT_KEYS: readonly SortKey[] = ['start', 'duration', 'severity', 'finWait2', 'closeWait', 'timeWait', 'finWait1', 'lastAck', 'closing'];
export const SORT_LABEL: Record<SortKey, string> = {
  start: 'start', duration: 'duration', severity: 'severity', finWait1: 'FIN_WAIT_1', finWait2: 'FIN_WAIT_2',
  closing: 'CLOSING', timeWait: 'TIME_WAIT', closeWait: 'CLOSE_WAIT', lastAck: 'LAST_ACK',
};

/** Start reads oldest first; everything else biggest first. */
export function defaultDescending(key: SortKey): boolean {
  return key !== 'start';
}

function longestSide(v: Verdict, key: keyof SideDurations): number | null {
  const a = v.sides.client.durations[key], b = v.sides.server.durations[key];
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** The sort key of a verdict; NaN when it has none (never in that state): those go last either way. */
export function sortValue(v: Verdict, key: SortKey): number {
  switch (key) {
    case 'start': return v.startUs;
    case 'duration': return v.endUs - v.startUs;
    // Severity first, then how many findings.
    case 'severity': return worstSeverityRank(v) * 1000 + Math.min(999, v.findings.length);
    default: return longestSide(v, key) ?? NaN;
  }
}

/**
 * Indices into `verdicts` of those the predicate keeps, sorted; ties keep the verdict order (by id),
 * so the list never reshuffles rows with equal keys.
 */
export function listOrder(verdicts: readonly Verdict[], predicate: ((v: Verdict) => boolean) | null, key: SortKey, descending: boolean): Uint32Array {
  let kept: Uint32Array;
  if (predicate === null) {
    kept = new Uint32Array(verdicts.length);
    for (let i = 0; i < kept.length; i++) kept[i] = i;
  } else {
    const tmp = new Uint32Array(verdicts.length);
    let n = 0;
    for (let i = 0; i < verdicts.length; i++) if (predicate(verdicts[i])) tmp[n++] = i;
    kept = tmp.slice(0, n);
  }
  if (key === 'start' && !descending) return kept;
  // Descending sorts the values negated: ties stay in id order, and those without one last either way.
  const values = new Float64Array(verdicts.length);
  for (let k = 0; k < kept.length; k++) {
    const v = sortValue(verdicts[kept[k]], key);
    values[kept[k]] = Number.isNaN(v) ? Infinity : descending ? -v : v;
  }
  return sortIndicesByValue(kept, values);
}

export interface ListColumns {
  wide: boolean;
  /**
   * What the second duration column shows: CLOSE_WAIT, or the sort key when the list is sorted by
   * a time the row would not otherwise show (so the order can be read off the screen).
   */
  second: SortKey;
  start: number;
  endpoints: number;
  closer: number;
  final: number;
  finalServer: number;
  duration: number;
  findings: number;
}

/** The endpoint column's natural width: the longest "client → server" in the capture (capped). */
export function endpointsWidth(verdicts: readonly Verdict[]): number {
  let w = 0;
  for (const v of verdicts) {
    const n = displayWidth(clientText(v)) + displayWidth(serverText(v)) + 1;
    if (n > w) w = n;
  }
  return w;
}

const WIDE = 110;

/**
 * Column widths for a terminal `width` cells wide. Narrow terminals get relative start times,
 * abbreviated states and one-letter closers; the endpoints take what is left after a findings column
 * of at least 8 cells.
 */
export function listColumns(width: number, naturalEndpoints: number, sortKey: SortKey = 'start'): ListColumns {
  const shownWide: SortKey[] = ['start', 'severity', 'finWait2', 'closeWait', 'duration'];
  const shownNarrow: SortKey[] = ['start', 'severity', 'finWait2', 'closeWait'];
  if (width >= WIDE) {
    const second = shownWide.includes(sortKey) ? 'closeWait' : sortKey;
    // marker 2, start 15, closer 6, final 12 + 12, FW2 6, CW 6, duration 6, and separators.
    const fixed = 2 + 15 + 1 + 1 + 6 + 1 + 12 + 1 + 12 + 1 + 6 + 1 + 6 + 1 + 6 + 1;
    const endpoints = Math.max(24, Math.min(naturalEndpoints, 64, width - fixed - 24));
    return { wide: true, second, start: 15, endpoints, closer: 6, final: 12, finalServer: 12, duration: 6, findings: Math.max(0, width - fixed - endpoints) };
  }
  const second = shownNarrow.includes(sortKey) ? 'closeWait' : sortKey;
  // marker 1, start 9, closer 1, final 13, FW2 6, CW 6, and separators.
  const fixed = 1 + 9 + 1 + 1 + 1 + 1 + 13 + 1 + 6 + 1 + 6 + 1;
  const endpoints = Math.max(16, Math.min(naturalEndpoints, width - fixed - 8));
  return { wide: false, second, start: 9, endpoints, closer: 1, final: 13, finalServer: 0, duration: 6, findings: Math.max(0, width - fixed - endpoints) };
}

const SHORT_KEY: Record<SortKey, string> = {
  start: 'Start', duration: 'Dur', severity: 'Findings', finWait1: 'FW1', finWait2: 'FW2', closing: 'CLG',
  timeWait: 'TW', closeWait: 'CW', lastAck: 'LACK',
};

export function listHeader(c: ListColumns, width: number, sortKey: SortKey, descending: boolean): Line {
  const arrow = descending ? '↓' : '↑';
  const mark = (key: SortKey, text: string): string => sortKey === key ? `${text}${arrow}` : text;
  const cells: string[] = c.wide
    ? [' ', fit(mark('start', 'Start'), c.start), fit('Client → Server', c.endpoints), fit('Closer', c.closer),
      fit('Client', c.final), fit('Server', c.finalServer), fitRight(mark('finWait2', 'FW2'), c.duration),
      fitRight(mark(c.second, SHORT_KEY[c.second]), c.duration), fitRight(mark('duration', 'Dur'), c.duration), mark('severity', 'Findings')]
    : [fit(mark('start', 't+s'), c.start + 1), fit('Client → Server', c.endpoints), fit('1', c.closer),
      fit('Final c/s', c.final), fitRight(mark('finWait2', 'FW2'), c.duration), fitRight(mark(c.second, SHORT_KEY[c.second]), c.duration),
      mark('severity', 'Findings')];
  return fitLine([span(cells.join(' '), 'heading')], width);
}

const CLOSER_LETTER: Record<string, string> = { client: 'c', server: 's', both: 'b' };

function durationCell(v: Verdict, key: SortKey): string {
  const d = key === 'duration' ? v.endUs - v.startUs : key === 'start' || key === 'severity' ? null : longestSide(v, key);
  return d === null ? '-' : compactDuration(d);
}

/** One row; `selected` draws it inverse with a ">" marker (the marker survives NO_COLOR and plain-text captures). */
export function listRow(v: Verdict, c: ListColumns, width: number, captureStartUs: number, selected: boolean): Line {
  const cs = v.sides.client.finalState, ss = v.sides.server.finalState;
  const endpoints = truncateMiddle(`${clientText(v)}→${serverText(v)}`, c.endpoints);
  const line: Line = [];
  if (c.wide) {
    line.push(span(selected ? '> ' : '  '));
    line.push(span(fit(formatTimeOfDay(v.startUs), c.start) + ' '));
    line.push(span(fit(endpoints, c.endpoints) + ' '));
    line.push(span(fit(v.activeCloser ?? '-', c.closer) + ' '));
    line.push(span(fit(cs ?? '-', c.final) + ' ', 'state'));
    line.push(span(fit(ss ?? '-', c.finalServer) + ' ', 'state'));
    line.push(span(fitRight(durationCell(v, 'finWait2'), c.duration) + ' '));
    line.push(span(fitRight(durationCell(v, c.second), c.duration) + ' '));
    line.push(span(fitRight(durationCell(v, 'duration'), c.duration) + ' '));
  } else {
    line.push(span(selected ? '>' : ' '));
    line.push(span(fitRight(`${((v.startUs - captureStartUs) / 1e6).toFixed(3)}`, c.start) + ' '));
    line.push(span(fit(endpoints, c.endpoints) + ' '));
    line.push(span(fit(v.activeCloser === null ? '-' : CLOSER_LETTER[v.activeCloser], c.closer) + ' '));
    line.push(span(fit(`${cs === null ? '-' : SHORT_STATE[cs]}/${ss === null ? '-' : SHORT_STATE[ss]}`, c.final) + ' ', 'state'));
    line.push(span(fitRight(durationCell(v, 'finWait2'), c.duration) + ' '));
    line.push(span(fitRight(durationCell(v, c.second), c.duration) + ' '));
  }
  const b = badges(v.findings, c.findings);
  b.forEach((x, i) => line.push(span((i > 0 ? ' ' : '') + x.text, x.tone)));
  const fitted = fitLine(line, width, selected ? 'selected' : undefined);
  return selected ? toned(fitted, 'selected') : fitted;
}

/** The selected connection in one line, full names: the list's footer. */
export function selectionSummary(v: Verdict, width: number): Line {
  const found = distinctFindings(v.findings);
  const line: Line = [
    span(`#${v.id} `, 'bold'), span(`${clientText(v)} → ${serverText(v)}`),
    span(`  ${formatDuration(v.endUs - v.startUs)}`, 'dim'),
    span(`  client ${v.sides.client.finalState ?? '-'}, server ${v.sides.server.finalState ?? '-'}`),
  ];
  if (found.length > 0) {
    line.push(span('  '));
    found.forEach((f, i) => line.push(span(`${i > 0 ? ', ' : ''}${f.code}`, f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'info')));
  }
  return fitLine(line, width);
}

/** Scroll position that keeps `selected` visible in `height` rows, moving as little as possible. */
export function scrollTop(top: number, selected: number, height: number, count: number): number {
  if (height <= 0) return 0;
  let t = top;
  if (selected < t) t = selected;
  if (selected >= t + height) t = selected - height + 1;
  return Math.max(0, Math.min(t, Math.max(0, count - height)));
}

export interface ListView {
  header: Line;
  rows: Line[];
  footer: Line;
  top: number;
}

/** The list's visible part: only rows top..top+height are formatted. */
export function listView(
  verdicts: readonly Verdict[], order: Uint32Array, opts: {
    width: number; height: number; selected: number; top: number; captureStartUs: number;
    naturalEndpoints: number; sortKey: SortKey; descending: boolean;
  },
): ListView {
  const c = listColumns(opts.width, opts.naturalEndpoints, opts.sortKey);
  const rowsHeight = Math.max(0, opts.height);
  const top = scrollTop(opts.top, opts.selected, rowsHeight, order.length);
  const rows: Line[] = [];
  for (let i = top; i < Math.min(order.length, top + rowsHeight); i++) {
    rows.push(listRow(verdicts[order[i]], c, opts.width, opts.captureStartUs, i === opts.selected));
  }
  const selectedVerdict = order.length > 0 ? verdicts[order[Math.min(opts.selected, order.length - 1)]] : null;
  return {
    header: listHeader(c, opts.width, opts.sortKey, opts.descending),
    rows,
    footer: selectedVerdict === null ? [span('no connection matches the filter', 'dim')] : selectionSummary(selectedVerdict, opts.width),
    top,
  };
}
