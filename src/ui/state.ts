// Everything the UI remembers, and how each key changes it: one pure reducer. The App maps Ink's key
// events to actions (keys.ts) and passes what the reducer needs to know about the data (list length,
// page sizes, the timeline's instants) as a context, so the reducer is tested without any rendering.

import { parseFilter, type FilterProblem } from '../filter/index.js';
import { defaultDescending, scrollTop, SORT_KEYS, type SortKey } from './connections.js';

export type View = 'overview' | 'connections' | 'detail' | 'help';

export interface FilterState {
  /** The applied filter, in canonical form ('' = everything). */
  text: string;
  editing: boolean;
  draft: string;
  /** Cursor position in the draft (code units). */
  cursor: number;
  error: FilterProblem | null;
}

export interface UiState {
  view: View;
  /** Where help returns to. */
  helpReturn: View;
  overview: { instantUs: number | null; selected: number; top: number; allHosts: boolean };
  list: { selected: number; top: number; sort: SortKey; descending: boolean };
  /** The open connection: its row in the list when opened, and the verdict index. */
  detail: { row: number; verdict: number; top: number } | null;
  help: { top: number };
  filter: FilterState;
  /** Set when the UI should end: 'quit' (q) or 'interrupt' (Ctrl-C). */
  exit: 'quit' | 'interrupt' | null;
}

export type EditAction =
  | { type: 'insert'; text: string } | { type: 'backspace' } | { type: 'left' } | { type: 'right' }
  | { type: 'home' } | { type: 'end' } | { type: 'kill' } | { type: 'wordBack' } | { type: 'submit' } | { type: 'cancel' };

export type Action =
  | { type: 'up' } | { type: 'down' } | { type: 'pageUp' } | { type: 'pageDown' } | { type: 'home' } | { type: 'end' }
  | { type: 'left' } | { type: 'right' } | { type: 'enter' } | { type: 'escape' }
  | { type: 'nextView' } | { type: 'prevView' } | { type: 'view'; view: View }
  | { type: 'filter' } | { type: 'sort' } | { type: 'reverse' } | { type: 'help' } | { type: 'hosts' }
  | { type: 'nextConnection' } | { type: 'prevConnection' }
  | { type: 'quit' } | { type: 'interrupt' }
  | { type: 'edit'; edit: EditAction };

export interface Context {
  listLength: number;
  /** Verdict index of list row `row`. */
  rowVerdict: (row: number) => number;
  /** Rows visible at once in each scrolling area. */
  pages: { list: number; detail: number; help: number; findings: number };
  /** Scrollable lines of the open detail, and of help. */
  detailLines: number;
  helpLines: number;
  /** The Overview's finding codes in list order; capture-wide ones cannot be listed. */
  findings: { code: string; captureWide: boolean }[];
  /** The Overview timeline's instants (ascending, the last is the capture's end). */
  instants: ArrayLike<number>;
}

export function initialState(options: { filter?: string; allHosts?: boolean } = {}): UiState {
  const text = options.filter ?? '';
  return {
    view: 'overview',
    helpReturn: 'overview',
    overview: { instantUs: null, selected: 0, top: 0, allHosts: options.allHosts ?? false },
    list: { selected: 0, top: 0, sort: 'start', descending: false },
    detail: null,
    help: { top: 0 },
    filter: { text, editing: false, draft: text, cursor: text.length, error: null },
    exit: null,
  };
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

function moveList(s: UiState, c: Context, to: number): UiState {
  const selected = clamp(to, 0, Math.max(0, c.listLength - 1));
  return { ...s, list: { ...s.list, selected, top: scrollTop(s.list.top, selected, c.pages.list, c.listLength) } };
}

function scrollDetail(s: UiState, c: Context, to: number): UiState {
  if (s.detail === null) return s;
  return { ...s, detail: { ...s.detail, top: clamp(to, 0, Math.max(0, c.detailLines - c.pages.detail)) } };
}

function scrollHelp(s: UiState, c: Context, to: number): UiState {
  return { ...s, help: { top: clamp(to, 0, Math.max(0, c.helpLines - c.pages.help)) } };
}

function moveFinding(s: UiState, c: Context, to: number): UiState {
  return { ...s, overview: { ...s.overview, selected: clamp(to, 0, Math.max(0, c.findings.length - 1)) } };
}

function currentInstant(s: UiState, c: Context): number {
  const n = c.instants.length;
  if (s.overview.instantUs === null || n === 0) return n - 1;
  let best = 0;
  for (let i = 1; i < n; i++) if (Math.abs(c.instants[i] - s.overview.instantUs) < Math.abs(c.instants[best] - s.overview.instantUs)) best = i;
  return best;
}

function moveInstant(s: UiState, c: Context, by: number | 'start' | 'end'): UiState {
  const n = c.instants.length;
  if (n === 0) return s;
  const i = by === 'start' ? 0 : by === 'end' ? n - 1 : clamp(currentInstant(s, c) + by, 0, n - 1);
  return { ...s, overview: { ...s.overview, instantUs: i === n - 1 ? null : c.instants[i] } };
}

function applyFilter(s: UiState, text: string): UiState {
  return {
    ...s,
    view: 'connections',
    filter: { text, editing: false, draft: text, cursor: text.length, error: null },
    list: { ...s.list, selected: 0, top: 0 },
  };
}

function openDetail(s: UiState, c: Context, row: number): UiState {
  if (c.listLength === 0) return s;
  const r = clamp(row, 0, c.listLength - 1);
  const moved = moveList(s, c, r);
  return { ...moved, view: 'detail', detail: { row: r, verdict: c.rowVerdict(r), top: 0 } };
}

function views(s: UiState): View[] {
  return s.detail === null ? ['overview', 'connections'] : ['overview', 'connections', 'detail'];
}

function edit(s: UiState, e: EditAction): UiState {
  const f = s.filter;
  const set = (draft: string, cursor: number): UiState => ({ ...s, filter: { ...f, draft, cursor: clamp(cursor, 0, draft.length) } });
  switch (e.type) {
    case 'insert': {
      // Pasted text may hold newlines or control bytes; a filter is one line.
      const text = e.text.replace(/[\u0000-\u001f\u007f]/g, ' ');
      return set(f.draft.slice(0, f.cursor) + text + f.draft.slice(f.cursor), f.cursor + text.length);
    }
    case 'backspace': return f.cursor === 0 ? s : set(f.draft.slice(0, f.cursor - 1) + f.draft.slice(f.cursor), f.cursor - 1);
    case 'left': return set(f.draft, f.cursor - 1);
    case 'right': return set(f.draft, f.cursor + 1);
    case 'home': return set(f.draft, 0);
    case 'end': return set(f.draft, f.draft.length);
    case 'kill': return set(f.draft.slice(f.cursor), 0);
    case 'wordBack': {
      const before = f.draft.slice(0, f.cursor).replace(/\S+\s*$/, '');
      return set(before + f.draft.slice(f.cursor), before.length);
    }
    case 'cancel': return { ...s, filter: { ...f, editing: false, draft: f.text, cursor: f.text.length, error: null } };
    case 'submit': {
      const r = parseFilter(f.draft);
      // A bad expression keeps the old filter and the line open, with the place marked (the cursor
      // stays put: Backspace should still erase what was just typed).
      if (!r.ok) return { ...s, filter: { ...f, error: r.error } };
      return applyFilter(s, r.normalized);
    }
  }
}

export function reduce(s: UiState, a: Action, c: Context): UiState {
  if (a.type === 'interrupt') return { ...s, exit: 'interrupt' };
  if (a.type === 'edit') return s.filter.editing ? edit(s, a.edit) : s;
  if (a.type === 'quit') return { ...s, exit: 'quit' };
  if (a.type === 'filter') return { ...s, filter: { ...s.filter, editing: true, draft: s.filter.text, cursor: s.filter.text.length, error: null } };
  if (a.type === 'help') return s.view === 'help' ? { ...s, view: s.helpReturn } : { ...s, view: 'help', helpReturn: s.view, help: { top: 0 } };
  if (a.type === 'view') return a.view === 'detail' && s.detail === null ? s : { ...s, view: a.view };
  if (a.type === 'nextView' || a.type === 'prevView') {
    if (s.view === 'help') return { ...s, view: s.helpReturn };
    const list = views(s);
    const i = list.indexOf(s.view);
    return { ...s, view: list[(i + (a.type === 'nextView' ? 1 : list.length - 1)) % list.length] };
  }

  switch (s.view) {
    case 'help':
      switch (a.type) {
        case 'up': return scrollHelp(s, c, s.help.top - 1);
        case 'down': return scrollHelp(s, c, s.help.top + 1);
        case 'pageUp': return scrollHelp(s, c, s.help.top - c.pages.help);
        case 'pageDown': return scrollHelp(s, c, s.help.top + c.pages.help);
        case 'home': return scrollHelp(s, c, 0);
        case 'end': return scrollHelp(s, c, Infinity);
        case 'escape': case 'enter': return { ...s, view: s.helpReturn };
        default: return s;
      }
    case 'overview':
      switch (a.type) {
        case 'up': return moveFinding(s, c, s.overview.selected - 1);
        case 'down': return moveFinding(s, c, s.overview.selected + 1);
        case 'home': return moveInstant(s, c, 'start');
        case 'end': return moveInstant(s, c, 'end');
        case 'left': return moveInstant(s, c, -1);
        case 'right': return moveInstant(s, c, 1);
        case 'pageUp': return moveInstant(s, c, -10);
        case 'pageDown': return moveInstant(s, c, 10);
        case 'hosts': return { ...s, overview: { ...s.overview, allHosts: !s.overview.allHosts } };
        case 'enter': {
          const f = c.findings[s.overview.selected];
          if (f === undefined || f.captureWide) return s;
          return applyFilter(s, `finding ${f.code}`);
        }
        default: return s;
      }
    case 'connections':
      switch (a.type) {
        case 'up': return moveList(s, c, s.list.selected - 1);
        case 'down': return moveList(s, c, s.list.selected + 1);
        case 'pageUp': return moveList(s, c, s.list.selected - Math.max(1, c.pages.list));
        case 'pageDown': return moveList(s, c, s.list.selected + Math.max(1, c.pages.list));
        case 'home': return moveList(s, c, 0);
        case 'end': return moveList(s, c, c.listLength - 1);
        case 'enter': return openDetail(s, c, s.list.selected);
        case 'sort': {
          const next = SORT_KEYS[(SORT_KEYS.indexOf(s.list.sort) + 1) % SORT_KEYS.length];
          return { ...s, list: { sort: next, descending: defaultDescending(next), selected: 0, top: 0 } };
        }
        case 'reverse': return { ...s, list: { ...s.list, descending: !s.list.descending, selected: 0, top: 0 } };
        case 'escape': return s.filter.text !== '' ? applyFilter(s, '') : { ...s, view: 'overview' };
        default: return s;
      }
    case 'detail':
      if (s.detail === null) return { ...s, view: 'connections' };
      switch (a.type) {
        case 'up': return scrollDetail(s, c, s.detail.top - 1);
        case 'down': return scrollDetail(s, c, s.detail.top + 1);
        case 'pageUp': return scrollDetail(s, c, s.detail.top - c.pages.detail);
        case 'pageDown': return scrollDetail(s, c, s.detail.top + c.pages.detail);
        case 'home': return scrollDetail(s, c, 0);
        case 'end': return scrollDetail(s, c, Infinity);
        case 'nextConnection': return s.detail.row + 1 < c.listLength ? openDetail(s, c, s.detail.row + 1) : s;
        case 'prevConnection': return s.detail.row > 0 ? openDetail(s, c, Math.min(s.detail.row - 1, c.listLength - 1)) : s;
        case 'escape': return { ...s, view: 'connections' };
        default: return s;
      }
  }
}
