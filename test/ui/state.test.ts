// The reducer: every key's effect per view, with a hand-made context (no data, no rendering).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { initialState, reduce, type Action, type Context, type UiState } from '../../src/ui/state.js';

const ctx = (over: Partial<Context> = {}): Context => ({
  listLength: 1000,
  rowVerdict: (row) => row * 2,
  pages: { list: 20, detail: 10, help: 15, findings: 5 },
  detailLines: 50,
  helpLines: 40,
  findings: [{ code: 'lost-final-ack', captureWide: false }, { code: 'ephemeral-port-pressure', captureWide: true }, { code: 'not-closed', captureWide: false }],
  instants: Float64Array.from({ length: 10 }, (_, i) => 1000 + i * 100),
  ...over,
});

function run(actions: (Action | Action['type'])[], start: UiState = initialState(), c: Context = ctx()): UiState {
  let s = start;
  for (const a of actions) s = reduce(s, typeof a === 'string' ? ({ type: a } as Action) : a, c);
  return s;
}

const type = (text: string): Action[] => [...text].map((ch) => ({ type: 'edit', edit: { type: 'insert', text: ch } }));
const submit: Action = { type: 'edit', edit: { type: 'submit' } };
const inList = (): UiState => ({ ...initialState(), view: 'connections' });

describe('reduce: views', () => {
  it('starts on the Overview and tabs between the views that exist', () => {
    assert.equal(run([]).view, 'overview');
    assert.equal(run(['nextView']).view, 'connections');
    assert.equal(run(['nextView', 'nextView']).view, 'overview');
    assert.equal(run(['prevView']).view, 'connections');
    const opened = run(['nextView', 'enter']);
    assert.equal(opened.view, 'detail');
    assert.equal(run(['nextView'], opened).view, 'overview');
    assert.equal(run([{ type: 'view', view: 'detail' }]).view, 'overview', 'no detail before one is opened');
  });

  it('help opens over any view and returns to it', () => {
    const s = run(['nextView', 'help']);
    assert.equal(s.view, 'help');
    assert.equal(run(['escape'], s).view, 'connections');
    assert.equal(run(['help'], s).view, 'connections');
    assert.equal(run(['down', 'down'], s).help.top, 2);
    assert.equal(run(['end'], s).help.top, 25);
  });

  it('q quits and Ctrl-C interrupts from anywhere, the filter line included', () => {
    assert.equal(run(['quit']).exit, 'quit');
    assert.equal(run(['filter', 'interrupt']).exit, 'interrupt');
  });
});

describe('reduce: connections', () => {
  it('moves, pages and jumps, never past either end', () => {
    assert.equal(run(['up'], inList()).list.selected, 0);
    assert.equal(run(['down', 'down', 'up'], inList()).list.selected, 1);
    assert.equal(run(['pageDown', 'pageDown'], inList()).list.selected, 40);
    assert.equal(run(['end'], inList()).list.selected, 999);
    assert.equal(run(['end', 'down'], inList()).list.selected, 999);
    assert.equal(run(['end', 'home'], inList()).list.selected, 0);
    const s = run(['pageDown', 'down'], inList());
    assert.equal(s.list.top, 2, 'the window follows the selection');
    assert.equal(run(['down'], inList(), ctx({ listLength: 0 })).list.selected, 0);
  });

  it('cycles sort keys with s, reverses with S, and starts again from the top', () => {
    const s = run(['end', 'sort'], inList());
    assert.deepEqual([s.list.sort, s.list.descending, s.list.selected], ['duration', true, 0]);
    assert.equal(run(['sort', 'sort'], inList()).list.sort, 'severity');
    assert.equal(run(['sort', 'sort', 'sort'], inList()).list.sort, 'finWait2');
    assert.equal(run(['sort', 'reverse'], inList()).list.descending, false);
    let t = inList();
    for (let i = 0; i < 9; i++) t = run(['sort'], t);
    assert.equal(t.list.sort, 'start');
  });

  it('opens the selected connection and walks the list from the detail with n and p', () => {
    const s = run(['down', 'down', 'enter'], inList());
    assert.deepEqual(s.detail, { row: 2, verdict: 4, top: 0 });
    const n = run(['nextConnection', 'nextConnection', 'prevConnection'], s);
    assert.deepEqual(n.detail, { row: 3, verdict: 6, top: 0 });
    assert.equal(n.list.selected, 3, 'the list follows');
    assert.equal(run(['escape'], n).view, 'connections');
    assert.equal(run(['enter'], inList(), ctx({ listLength: 0 })).view, 'connections');
  });

  it('scrolls the detail within its length', () => {
    const s = run(['enter'], inList());
    assert.equal(run(['down', 'down'], s).detail?.top, 2);
    assert.equal(run(['end'], s).detail?.top, 40);
    assert.equal(run(['pageDown', 'pageUp', 'up'], s).detail?.top, 0);
  });

  it('Esc clears a filter first, then goes to the Overview', () => {
    const filtered = run(['filter', ...type('port 80'), submit], inList());
    assert.equal(filtered.filter.text, 'port 80');
    const cleared = run(['escape'], filtered);
    assert.equal(cleared.filter.text, '');
    assert.equal(cleared.view, 'connections');
    assert.equal(run(['escape'], cleared).view, 'overview');
  });
});

describe('reduce: filter line', () => {
  it('applies a good expression in canonical form and shows the list', () => {
    const s = run(['filter', ...type('HOST 10.0.0.1 port 80'), submit]);
    assert.equal(s.filter.text, 'host 10.0.0.1 and port 80');
    assert.equal(s.filter.editing, false);
    assert.equal(s.view, 'connections');
    assert.equal(s.list.selected, 0);
  });

  it('keeps the old filter and the line open on a bad one, with the fault marked', () => {
    const good = run(['filter', ...type('port 80'), submit]);
    const bad = run(['filter', ...type(' and stat X'), submit], good);
    assert.equal(bad.filter.text, 'port 80');
    assert.equal(bad.filter.editing, true);
    assert.equal(bad.filter.error?.position, 12);
    assert.equal(bad.filter.cursor, 18);
    const cancelled = run([{ type: 'edit', edit: { type: 'cancel' } }], bad);
    assert.deepEqual([cancelled.filter.text, cancelled.filter.editing, cancelled.filter.error], ['port 80', false, null]);
  });

  it('edits like a shell line: cursor moves, backspace, Ctrl-U, Ctrl-W', () => {
    const e = (edit: Extract<Action, { type: 'edit' }>['edit']): Action => ({ type: 'edit', edit });
    let s = run(['filter', ...type('port 8')]);
    s = run([e({ type: 'left' }), ...type('4'), e({ type: 'end' }), ...type('0')], s);
    assert.equal(s.filter.draft, 'port 480');
    s = run([e({ type: 'backspace' }), e({ type: 'home' }), e({ type: 'backspace' })], s);
    assert.equal(s.filter.draft, 'port 48');
    s = run([e({ type: 'end' }), e({ type: 'wordBack' })], s);
    assert.equal(s.filter.draft, 'port ');
    s = run([e({ type: 'kill' })], s);
    assert.deepEqual([s.filter.draft, s.filter.cursor], ['', 0]);
    s = run([e({ type: 'insert', text: 'port\n80' })], s);
    assert.equal(s.filter.draft, 'port 80');
  });

  it('an empty filter shows everything again', () => {
    const s = run(['filter', ...type('port 80'), submit, 'filter', { type: 'edit', edit: { type: 'kill' } }, submit]);
    assert.equal(s.filter.text, '');
  });
});

describe('reduce: overview', () => {
  it('chooses a finding and lists its connections with Enter', () => {
    const s = run(['down', 'down', 'enter']);
    assert.equal(s.filter.text, 'finding not-closed');
    assert.equal(s.view, 'connections');
    assert.equal(run(['down', 'down', 'down', 'down']).overview.selected, 2);
  });

  it('does nothing on Enter for a capture-wide finding (no connection carries it)', () => {
    const s = run(['down', 'enter']);
    assert.equal(s.view, 'overview');
    assert.equal(s.filter.text, '');
  });

  it('moves the instant with the arrows, ten at a time with PgUp/PgDn, and back to the end', () => {
    assert.equal(run(['left']).overview.instantUs, 1800);
    assert.equal(run(['left', 'left', 'right']).overview.instantUs, 1800);
    assert.equal(run(['home']).overview.instantUs, 1000);
    assert.equal(run(['home', 'pageDown']).overview.instantUs, null, 'clamped to the end');
    assert.equal(run(['pageUp']).overview.instantUs, 1000);
    assert.equal(run(['left', 'end']).overview.instantUs, null);
    assert.equal(run(['right']).overview.instantUs, null);
  });

  it('toggles the histogram between the capture host and every endpoint', () => {
    assert.equal(run(['hosts']).overview.allHosts, true);
    assert.equal(run(['hosts', 'hosts']).overview.allHosts, false);
  });
});
