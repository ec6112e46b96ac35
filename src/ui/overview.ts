// The Overview screen: the capture, the socket-state histogram at the chosen instant with each
// state's sparkline over the capture, the findings by code (selectable: Enter lists them), the
// endpoints behind most findings, and the close-duration percentiles. It fits 80x24 and spreads into
// three columns on wide terminals.

import type { Finding, Severity } from '../close/index.js';
import { formatDuration } from '../common/duration.js';
import { formatTimeOfDay } from '../common/time.js';
import type { InputResult } from '../pipeline/index.js';
import type { Summary } from '../report/summary.js';
import { compactDuration, SEVERITY_TONE } from './format.js';
import { fitHeight, fitLine, lineWidth, span, toned, type Line } from './lines.js';
import { displayWidth, fit, fitRight, groupDigits, truncate } from './text.js';
import { HISTOGRAM_STATES, type Timeline } from './timeline.js';

export interface FindingRow {
  code: string;
  severity: Severity;
  count: number;
  /** For a finding about the capture as a whole (no connection carries it): the finding. */
  captureWide: Finding | null;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

/** Findings by code, most severe first, then most frequent. */
export function findingRows(summary: Summary): FindingRow[] {
  return Object.entries(summary.findingsByCode)
    .map(([code, x]) => ({
      code, severity: x.severity as Severity, count: x.count,
      captureWide: summary.findings.find((f) => f.code === code) ?? null,
    }))
    .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.count - a.count || (a.code < b.code ? -1 : 1));
}

const SPARKS = ' ▁▂▃▄▅▆▇█';
const DURATIONS_WIDTH = 38;

/** One character per value, scaled to `peak` (any non-zero value shows at least ▁). */
export function sparkline(values: ArrayLike<number>, peak: number): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += v <= 0 || peak <= 0 ? SPARKS[0] : SPARKS[Math.max(1, Math.round((v / peak) * 8))];
  }
  return out;
}

export interface HistogramLayout { label: number; count: number; bar: number; spark: number; peak: number }

/**
 * How the state rows split the width: name, count at the instant, bar, the sparkline (one cell per
 * instant), and the sparkline's peak (each state's line is scaled to its own peak).
 */
export function histogramLayout(width: number): HistogramLayout {
  const label = 12, count = 7, peak = 6;
  const rest = Math.max(10, width - label - count - 4 - peak);
  const bar = Math.max(4, Math.min(40, Math.floor(rest * 0.34)));
  return { label, count, bar, spark: Math.max(4, rest - bar), peak };
}

/** "7", "950", "3.3k", "12k", "1.2M": a peak in five cells. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1e6).toFixed(1)}M`;
}

const VANTAGE_TEXT: Record<string, string> = {
  client: 'near the client', server: 'near the server', between: 'between client and server', unknown: 'at an undetermined point',
};

/** A long path loses its beginning first ("…/captures/busy.pcap"): the file name and what was read matter. */
function shortenPath(path: string, room: number): string {
  const keep = Math.max(room, 16);
  return path.length <= keep ? path : `…${path.slice(path.length - keep + 1)}`;
}

function captureLines(inputs: readonly InputResult[], summary: Summary, width: number): Line[] {
  const out: Line[] = [];
  const shown = inputs.length <= 2 ? inputs : inputs.slice(0, 1);
  for (const r of shown) {
    const i = r.info;
    const malformed = (r.decode.byKind.malformed ?? 0) + (r.decode.byKind.truncated ?? 0);
    const fmt = i.format === null ? 'unknown format' : `${i.format}${i.compression ? '.gz' : ''}`;
    const details = [
      `  ${fmt} · ${r.linkTypeNames.join(', ') || 'no link type'} · ${groupDigits(i.packets)} packets`,
      malformed > 0 ? ` (${groupDigits(malformed)} malformed)` : '',
      ` · ${groupDigits(r.flow.connections)} connections`,
    ];
    out.push(fitLine([
      span(shortenPath(r.file === '-' ? 'stdin' : r.file, width - details.join('').length), 'bold'),
      span(details[0]),
      span(details[1], malformed > 0 ? 'warning' : undefined),
      span(details[2]),
    ], width));
  }
  if (inputs.length > shown.length) {
    const packets = inputs.reduce((n, r) => n + r.info.packets, 0);
    out.push(fitLine([span(`+ ${inputs.length - shown.length} more inputs`, 'bold'), span(` · ${groupDigits(packets)} packets in all`)], width));
  }
  const names = [...new Set(inputs.flatMap((r) => r.info.interfaces.map((x) => x.name).filter((n): n is string => n !== null)))];
  const voted = summary.vantageVotes.client + summary.vantageVotes.server + summary.vantageVotes.between;
  const on = names.length > 0 ? ` on ${names.join(', ')}` : '';
  const hasSpan = summary.endUs >= summary.startUs && summary.connections > 0;
  const time = (us: number, digits: number): string => formatTimeOfDay(us).slice(0, 9 + digits);
  // The longest form that fits: microseconds and the handshake count when there is room.
  const candidates = [6, 3].flatMap((digits) => [true, false].map((votes) => {
    const when = hasSpan ? `${time(summary.startUs, digits)} → ${time(summary.endUs, digits)} UTC (${formatDuration(summary.endUs - summary.startUs)})` : 'no TCP packets';
    return `${when} · captured ${VANTAGE_TEXT[summary.vantage]}${votes && voted > 0 ? ` (${groupDigits(voted)} handshakes)` : ''}${on}`;
  }));
  const where = candidates.find((c) => displayWidth(c) <= width) ?? candidates[candidates.length - 1];
  out.push(fitLine([span(where)], width));
  const comments = inputs.flatMap((r) => r.info.comments);
  if (comments.length > 0) out.push(fitLine([span(`comment: ${comments[0]}`, 'dim')], width));
  for (const r of inputs) {
    if (r.info.error !== null) out.push(fitLine([span(`${r.file}: ${r.info.error.message} at byte ${r.info.error.offset}; read up to there`, 'error')], width));
  }
  return out;
}

function axisLine(t: Timeline, layout: HistogramLayout, instant: number): Line {
  const lead = ' '.repeat(layout.label + 1 + layout.count + 1 + layout.bar + 1) + ' ';
  const cells = new Array<string>(layout.spark).fill(' ');
  const put = (at: number, text: string): boolean => {
    if (at < 0 || at + text.length > cells.length) return false;
    for (let k = 0; k < text.length; k++) if (cells[at + k] !== ' ') return false;
    for (let k = 0; k < text.length; k++) cells[at + k] = text[k];
    return true;
  };
  const caret = Math.min(cells.length - 1, instant);
  cells[caret] = '^';
  const start = formatTimeOfDay(t.startUs).slice(0, 8), end = formatTimeOfDay(t.endUs).slice(0, 8);
  put(0, start);
  // The end's label moves left of the caret when the caret sits on it.
  if (!put(cells.length - end.length, end)) put(caret - end.length - 1, end);
  return [span(lead), span(cells.join(''), 'dim')];
}

export interface OverviewInput {
  inputs: readonly InputResult[];
  summary: Summary;
  /** Computed for histogramLayout(width).spark instants. */
  timeline: Timeline;
  instant: number;
  selectedFinding: number;
  findingTop: number;
  width: number;
  height: number;
}

export interface OverviewView {
  lines: Line[];
  /** The findings list's scroll position (kept so the selection stays visible). */
  findingTop: number;
  /** How many finding rows fit (PgUp/PgDn step). */
  findingRowsVisible: number;
  status: Line;
}

export function overviewView(o: OverviewInput): OverviewView {
  const { summary, timeline: t, width } = o;
  const layout = histogramLayout(width);
  const lines: Line[] = captureLines(o.inputs, summary, width);

  // The histogram at the instant, with the sparklines over the whole capture.
  const i = Math.max(0, Math.min(t.instants.length - 1, o.instant));
  const atUs = t.instants[i];
  const atEnd = i === t.instants.length - 1;
  const who = t.host === null ? 'all endpoints' : `${t.host}${summary.hostReason === 'vantage' && t.host === summary.host ? ' (capture host)' : ''}`;
  const heading = [6, 3].flatMap((digits) => ['  ←/→ instant · H host', '  ←/→ · H', ''].map((hint) => {
    const when = `${formatTimeOfDay(atUs).slice(0, 9 + digits)}${atEnd ? ' (end)' : ` (+${compactDuration(atUs - t.startUs)})`}`;
    return [span(`Sockets of ${who} at ${when}`, 'heading'), span(hint, 'dim')];
  }));
  lines.push(fitLine(heading.find((l) => lineWidth(l) <= width) ?? heading[heading.length - 1], width));
  const shown = HISTOGRAM_STATES.map((state, s) => ({ state, s })).filter(({ s }) => t.peaks[s] > 0);
  let maxNow = 1;
  for (const { s } of shown) maxNow = Math.max(maxNow, t.counts[s][i]);
  if (shown.length === 0) lines.push([span('  (no socket in an open or closing state at any instant)', 'dim')]);
  for (const { state, s } of shown) {
    const n = t.counts[s][i];
    const bar = n === 0 ? '' : '█'.repeat(Math.max(1, Math.round((n / maxNow) * layout.bar)));
    const spark = sparkline(t.counts[s], t.peaks[s]);
    const sparkCells = [...spark];
    const caret = Math.min(sparkCells.length - 1, i);
    lines.push(fitLine([
      span(fit(state, layout.label) + ' ', 'state'),
      span(fitRight(groupDigits(n), layout.count) + ' ', n > 0 ? 'bold' : 'dim'),
      span(fit(bar, layout.bar), 'accent'),
      span(' │'),
      span(sparkCells.slice(0, caret).join(''), 'accent'),
      span(sparkCells[caret] ?? '', 'cursor'),
      span(sparkCells.slice(caret + 1).join(''), 'accent'),
      span(fit(` ↑${compactCount(t.peaks[s])}`, layout.peak), 'dim'),
    ], width));
  }
  if (shown.length > 0) lines.push(fitLine(axisLine(t, layout, i), width));

  // Below: findings | endpoints | durations.
  const rows = findingRows(summary);
  const lowerHeight = Math.max(3, o.height - lines.length - 1);
  lines.push([]);
  const threeColumns = width >= 120;
  const leftWidth = width < 60 ? width : threeColumns ? Math.floor(width * 0.4) : Math.floor(width / 2);
  const listHeight = lowerHeight - 1;
  const selected = Math.max(0, Math.min(rows.length - 1, o.selectedFinding));
  let top = Math.max(0, Math.min(o.findingTop, Math.max(0, rows.length - listHeight)));
  if (selected < top) top = selected;
  if (selected >= top + listHeight) top = selected - listHeight + 1;
  const sev = summary.findingsBySeverity;
  const left: Line[] = [fitLine([span('Findings', 'heading'), span(`  ${sev.error} err · ${sev.warning} warn · ${sev.info} info`, 'dim')], leftWidth - 1)];
  if (rows.length === 0) left.push([span('  none: every connection closed cleanly', 'ok')]);
  const codeWidth = Math.max(10, Math.min(24, leftWidth - 1 - 2 - 8 - 8));
  for (let k = top; k < Math.min(rows.length, top + listHeight); k++) {
    const r = rows[k];
    const line: Line = [
      span(k === selected ? '> ' : '  '),
      span(fit(r.severity, 8), SEVERITY_TONE[r.severity]),
      span(fit(r.code, codeWidth)),
      span(fitRight(groupDigits(r.count), 7)),
    ];
    const fitted = fitLine(line, leftWidth - 1, k === selected ? 'selected' : undefined);
    left.push(k === selected ? toned(fitted, 'selected') : fitted);
  }

  const rightWidth = width - leftWidth;
  const endpointLines = (w: number, max: number): Line[] => {
    const out: Line[] = [fitLine([span('Endpoints behind most findings', 'heading')], w)];
    if (summary.findingsByEndpoint.length === 0) out.push([span('  -', 'dim')]);
    for (const e of summary.findingsByEndpoint.slice(0, max)) {
      const codes = Object.entries(e.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ');
      const epWidth = Math.min(26, Math.max(12, w - 20));
      out.push(fitLine([span(fit(truncate(e.endpoint, epWidth), epWidth)), span(fitRight(groupDigits(e.count), 7) + '  '), span(codes, 'dim')], w));
    }
    return out;
  };
  const durationLines = (w: number): Line[] => {
    const out: Line[] = [fitLine([span(fit('Durations', 14), 'heading'), span(fitRight('median', 8) + fitRight('p90', 8) + fitRight('max', 8), 'heading')], w)];
    const names: [keyof Summary['durations'], string][] = [['finWait1', 'FIN_WAIT_1'], ['finWait2', 'FIN_WAIT_2'], ['closing', 'CLOSING'], ['timeWait', 'TIME_WAIT'], ['closeWait', 'CLOSE_WAIT'], ['lastAck', 'LAST_ACK']];
    let any = false;
    for (const [k, label] of names) {
      const d = summary.durations[k];
      if (d === null) continue;
      any = true;
      out.push(fitLine([span(fit(label, 14), 'state'), span(fitRight(compactDuration(d.median), 8) + fitRight(compactDuration(d.p90), 8) + fitRight(compactDuration(d.max), 8))], w));
    }
    if (!any) out.push([span('  no side reached a close state', 'dim')]);
    return out;
  };
  let columns: Line[][];
  if (width < 60) {
    columns = [[...left, [], ...endpointLines(width, 3), [], ...durationLines(width)]];
  } else if (threeColumns) {
    // The durations table needs 38 cells; the endpoints (with their codes) get the rest.
    const middle = rightWidth - DURATIONS_WIDTH;
    columns = [left, endpointLines(middle - 1, listHeight), durationLines(DURATIONS_WIDTH)];
  } else {
    const ep = endpointLines(rightWidth, Math.max(1, Math.min(3, lowerHeight - 9)));
    columns = [left, [...ep, [], ...durationLines(rightWidth)]];
  }
  const widths = width < 60 ? [width] : threeColumns ? [leftWidth, rightWidth - DURATIONS_WIDTH, DURATIONS_WIDTH] : [leftWidth, rightWidth];
  for (let row = 0; row < lowerHeight; row++) {
    const line: Line = [];
    columns.forEach((col, c) => {
      const cell = col[row] ?? [];
      const last = c === columns.length - 1;
      line.push(...(last ? fitLine(cell, widths[c]) : fitLine(cell, widths[c], 'plain')));
    });
    lines.push(line);
  }

  const sel = rows[selected];
  const status: Line = sel === undefined ? [span('No findings in this capture.', 'dim')]
    : sel.captureWide !== null ? fitLine([span(`${sel.code}: `, 'bold'), span(sel.captureWide.detail)], width)
      : fitLine([span('Enter', 'key'), span(` lists the connections with ${sel.code} (${groupDigits(sel.count)} finding${sel.count === 1 ? '' : 's'})`)], width);
  return { lines: fitHeight(lines, o.height), findingTop: top, findingRowsVisible: listHeight, status };
}

/** Width check used by tests: no line is wider than the screen. */
export function widest(lines: readonly Line[]): number {
  let w = 0;
  for (const l of lines) w = Math.max(w, displayWidth(l.map((x) => x.text).join('')));
  return w;
}
