// The whole screen as lines, from the data, the UI state and the terminal size: the tab bar, the
// current view, and the status or filter line. Also returns the Context the reducer needs for the
// next key (list length, page sizes), so the App is: key -> action -> reduce -> frame -> render.
//
// Costly derivations (the filtered, sorted order; the timeline; a ladder) are cached in a Derived
// object keyed by their inputs; a cache hit changes nothing but the time, so frame() stays a
// function of (data, state, size).

import type { Verdict } from '../close/index.js';
import { parseFilter } from '../filter/index.js';
import { listOrder, listView, SORT_LABEL, type SortKey } from './connections.js';
import type { UiData } from './data.js';
import { detailView, type DetailView } from './detail.js';
import { helpLines } from './help.js';
import { fitHeight, fitLine, span, type Line } from './lines.js';
import { loadingLines, type LoadingState } from './loading.js';
import { findingRows, histogramLayout, overviewView } from './overview.js';
import type { Context, UiState } from './state.js';
import { displayWidth, groupDigits, truncate } from './text.js';
import { computeTimeline, instantIndex, type Timeline } from './timeline.js';

export interface Size { columns: number; rows: number }

/** Caches for one UiData. */
export class Derived {
  private orderKey = '';
  private orderValue: Uint32Array = new Uint32Array(0);
  private readonly orders = new Map<string, Uint32Array>();
  private readonly timelines = new Map<string, Timeline>();
  private detailKey = '';
  private detailValue: DetailView | null = null;
  private helpKey = -1;
  private helpValue: Line[] = [];

  constructor(readonly data: UiData) {}

  order(filter: string, sort: SortKey, descending: boolean): Uint32Array {
    const key = `${sort}|${descending}|${filter}`;
    if (key === this.orderKey) return this.orderValue;
    let order = this.orders.get(key);
    if (order === undefined) {
      const parsed = filter === '' ? null : parseFilter(filter);
      const predicate = parsed === null || !parsed.ok ? null : parsed.predicate;
      order = listOrder(this.data.verdicts, predicate, sort, descending);
      // A few recent orders: flipping between two sorts or filters is instant the second time.
      if (this.orders.size >= 6) this.orders.delete(this.orders.keys().next().value as string);
      this.orders.set(key, order);
    }
    this.orderKey = key;
    this.orderValue = order;
    return order;
  }

  timeline(host: string | null, instants: number): Timeline {
    const key = `${host}|${instants}`;
    let t = this.timelines.get(key);
    if (t === undefined) {
      t = computeTimeline(this.data.verdicts, host, this.data.startUs, this.data.endUs, instants);
      if (this.timelines.size >= 8) this.timelines.delete(this.timelines.keys().next().value as string);
      this.timelines.set(key, t);
    }
    return t;
  }

  detail(verdict: Verdict, width: number): DetailView {
    const key = `${verdict.id}|${width}`;
    if (key !== this.detailKey || this.detailValue === null) {
      this.detailValue = detailView(verdict, width);
      this.detailKey = key;
    }
    return this.detailValue;
  }

  help(width: number): Line[] {
    if (width !== this.helpKey) {
      this.helpValue = helpLines(width);
      this.helpKey = width;
    }
    return this.helpValue;
  }
}

const TABS: [UiState['view'], string][] = [['overview', '1 Overview'], ['connections', '2 Connections'], ['detail', '3 Detail'], ['help', '? Help']];

function tabBar(state: UiState, d: Derived, order: Uint32Array, width: number): Line {
  // The name gives way to the filter on narrow terminals.
  const line: Line = width >= 100 ? [span(' finscope ', 'bold')] : [];
  for (const [view, label] of TABS) {
    if (view === 'detail' && state.detail === null) continue;
    if (line.length > 0) line.push(span(' '));
    line.push(span(` ${label} `, state.view === view ? 'tabActive' : 'tab'));
  }
  const total = d.data.verdicts.length;
  const files = d.data.inputs.map((i) => i.file === '-' ? 'stdin' : i.file.split('/').pop() ?? i.file).join(', ');
  const right = state.filter.text === ''
    ? `${files} · ${groupDigits(total)} connections`
    : `${groupDigits(order.length)} of ${groupDigits(total)} · ${state.filter.text}`;
  const used = line.reduce((w, x) => w + displayWidth(x.text), 0);
  const room = width - used - 2;
  if (room >= 8) {
    const text = truncate(right, room);
    line.push(span(' '.repeat(Math.max(1, width - used - displayWidth(text) - 1))), span(text, state.filter.text === '' ? 'dim' : 'accent'));
  }
  return fitLine(line, width);
}

function filterLines(state: UiState, width: number): Line[] {
  const f = state.filter;
  const prompt = '/ ';
  const room = Math.max(4, width - prompt.length - 1);
  const start = Math.max(0, f.cursor - room + 1);
  const shown = f.draft.slice(start, start + room);
  const cur = f.cursor - start;
  const input: Line = [span(prompt, 'key'), span(shown.slice(0, cur)), span(shown[cur] ?? ' ', 'cursor'), span(shown.slice(cur + 1))];
  if (f.error === null) {
    const info: Line = [span('Enter', 'key'), span(' apply · '), span('Esc', 'key'), span(' cancel · '), span('Ctrl-U', 'key'),
      span(' clear · e.g. finding lost-final-ack, fin-wait-2 > 30s, host 10.0.0.1 and port 80', 'dim')];
    return [fitLine(info, width), fitLine(input, width)];
  }
  return [errorLine(f.error.message, prompt.length + f.error.position - start, width), fitLine(input, width)];
}

/**
 * A caret under the fault with the message beside it: after the caret when it fits, else before it,
 * else cut; the caret itself is always drawn.
 */
export function errorLine(message: string, column: number, width: number): Line {
  const at = Math.max(0, Math.min(width - 1, column));
  const after = width - at - 2;
  if (displayWidth(message) <= after || at < width / 2) {
    return fitLine([span(' '.repeat(at)), span('^ ', 'error'), span(truncate(message, Math.max(0, after)), 'error')], width);
  }
  const text = truncate(message, at - 1);
  return fitLine([span(' '.repeat(Math.max(0, at - 1 - displayWidth(text)))), span(text + ' ^', 'error')], width);
}

export interface Frame { lines: Line[]; context: Context }

/** Every line on screen (exactly size.rows lines) and what the reducer needs for the next key. */
export function frame(d: Derived, state: UiState, size: Size): Frame {
  const width = Math.max(20, size.columns);
  const height = Math.max(5, size.rows);
  const data = d.data;
  const order = d.order(state.filter.text, state.list.sort, state.list.descending);
  const bottom = state.filter.editing ? filterLines(state, width) : null;
  const bodyHeight = height - 1 - (bottom === null ? 1 : bottom.length);
  const findings = findingRows(data.summary);
  const host = state.overview.allHosts ? null : data.summary.host;
  const timeline = d.timeline(host, histogramLayout(width).spark);
  const context: Context = {
    listLength: order.length,
    rowVerdict: (row) => order[row],
    pages: { list: Math.max(1, bodyHeight - 2), detail: 1, help: Math.max(1, bodyHeight), findings: 1 },
    detailLines: 0,
    helpLines: 0,
    findings: findings.map((f) => ({ code: f.code, captureWide: f.captureWide !== null })),
    instants: timeline.instants,
  };

  let body: Line[];
  let status: Line;
  switch (state.view) {
    case 'overview': {
      const ov = overviewView({
        inputs: data.inputs, summary: data.summary, timeline,
        instant: instantIndex(timeline, state.overview.instantUs), selectedFinding: state.overview.selected,
        findingTop: state.overview.top, width, height: bodyHeight,
      });
      body = ov.lines;
      status = ov.status;
      context.pages.findings = ov.findingRowsVisible;
      break;
    }
    case 'connections': {
      const lv = listView(data.verdicts, order, {
        width, height: bodyHeight - 2, selected: state.list.selected, top: state.list.top,
        captureStartUs: data.startUs, naturalEndpoints: data.naturalEndpoints, sortKey: state.list.sort, descending: state.list.descending,
      });
      body = [lv.header, ...lv.rows];
      if (order.length === 0) body.push([span(data.verdicts.length === 0 ? '  no TCP connection in this capture' : '  no connection matches the filter (Esc clears it)', 'dim')]);
      body = fitHeight(body, bodyHeight - 1);
      body.push(lv.footer);
      const pos = order.length === 0 ? '' : `${groupDigits(state.list.selected + 1)}/${groupDigits(order.length)}`;
      status = fitLine([span(`sorted by ${SORT_LABEL[state.list.sort]} ${state.list.descending ? '↓' : '↑'}  ${pos}  `, 'dim'),
        span('Enter', 'key'), span(' ladder  '), span('/', 'key'), span(' filter  '), span('s', 'key'), span(' sort  '), span('?', 'key'), span(' help')], width);
      break;
    }
    case 'detail': {
      if (state.detail === null) { body = []; status = []; break; }
      const v = data.verdicts[state.detail.verdict];
      const dv = d.detail(v, width);
      const scrollHeight = Math.max(1, bodyHeight - dv.fixed.length);
      context.pages.detail = scrollHeight;
      context.detailLines = dv.body.length;
      const top = Math.max(0, Math.min(state.detail.top, Math.max(0, dv.body.length - scrollHeight)));
      body = [...dv.fixed, ...dv.body.slice(top, top + scrollHeight)];
      const more = dv.body.length > scrollHeight ? `lines ${top + 1}-${Math.min(dv.body.length, top + scrollHeight)} of ${dv.body.length}  ` : '';
      status = fitLine([span(more, 'dim'), span('↑↓', 'key'), span(' scroll  '), span('n/p', 'key'), span(' next/previous  '), span('Esc', 'key'), span(' back')], width);
      break;
    }
    case 'help': {
      const lines = d.help(width);
      context.helpLines = lines.length;
      const top = Math.max(0, Math.min(state.help.top, Math.max(0, lines.length - bodyHeight)));
      body = lines.slice(top, top + bodyHeight);
      status = fitLine([span('Esc', 'key'), span(' or '), span('?', 'key'), span(' back  '), span(lines.length > bodyHeight ? '↑↓ PgUp PgDn scroll' : '', 'dim')], width);
      break;
    }
  }
  const lines = [tabBar(state, d, order, width), ...fitHeight(body, bodyHeight), ...(bottom ?? [status])];
  return { lines, context };
}

/** The loading screen, same size rules as frame(). */
export function loadingFrame(s: LoadingState, size: Size): Line[] {
  return loadingLines(s, Math.max(20, size.columns), Math.max(5, size.rows));
}
