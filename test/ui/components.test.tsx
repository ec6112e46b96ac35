// One real render per screen through Ink (ink-testing-library): keys typed on stdin reach the
// reducer through useInput, and the frame Ink writes is the view-model's text.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, render } from 'ink-testing-library';

import { App } from '../../src/ui/components/App.js';
import { Loading } from '../../src/ui/components/Loading.js';
import { styledLine } from '../../src/ui/components/Lines.js';
import { Root, Store, type Snapshot } from '../../src/ui/components/Root.js';
import { prepareData, type UiData } from '../../src/ui/data.js';
import type { LoadingState } from '../../src/ui/loading.js';
import { sgrTable, themeFor } from '../../src/ui/theme.js';
import { loadCapture } from './synthetic-capture.js';

const KEY = { down: '\x1b[B', up: '\x1b[A', tab: '\t', enter: '\r', esc: '\x1b', left: '\x1b[D' };
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
// eslint-disable-next-line no-control-regex
const plain = (s: string | undefined): string => (s ?? '').replace(/\x1b\[[\d;]*m/g, '');

let data: UiData;
before(async () => {
  const { input, verdicts } = await loadCapture(join(process.cwd(), 'captures', 'busy.pcap'));
  data = prepareData([input], verdicts, { portRange: [32768, 60999] });
});
after(() => cleanup());

async function typeKeys(stdin: { write: (s: string) => void }, keys: string[]): Promise<void> {
  for (const k of keys) {
    stdin.write(k);
    await tick();
  }
}

/** The last frame once it matches (the machine may be busy: wait up to 5 s, then show what is there). */
async function frameMatching(app: { lastFrame: () => string | undefined }, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 250 && !pattern.test(plain(app.lastFrame())); i++) await tick();
  const frame = plain(app.lastFrame());
  assert.match(frame, pattern);
  return frame;
}

describe('<App>', () => {
  const size = { columns: 80, rows: 23 };

  it('renders the Overview first', async () => {
    const app = render(<App data={data} size={size} colour={true} onExit={() => {}} />);
    const frame = await frameMatching(app, /1 Overview/);
    assert.match(frame, /Sockets of 10\.10\.0\.2/);
    assert.match(frame, /> info +time-wait-reuse +536/);
    assert.equal(frame.split('\n').length, 23);
    app.unmount();
  });

  it('goes from a finding to its connections, into a ladder and back, then quits', async () => {
    let exit: string | null = null;
    const app = render(<App data={data} size={size} colour={true} onExit={(how) => { exit = how; }} />);
    await tick();
    await frameMatching(app, /1 Overview/);
    await typeKeys(app.stdin, [KEY.enter]);
    await frameMatching(app, /536 of 600 · finding time-wait-reuse/);
    await typeKeys(app.stdin, [KEY.down, KEY.down]);
    await frameMatching(app, /3\/536/);
    await typeKeys(app.stdin, [KEY.enter]);
    const ladder = await frameMatching(app, /3 Detail/);
    assert.match(ladder, /SYN_SENT │─+ SYN seq 0 ─+>│ LISTEN/);
    await typeKeys(app.stdin, [KEY.esc]);
    await frameMatching(app, /Client → Server/);
    await typeKeys(app.stdin, ['q']);
    for (let i = 0; i < 250 && exit === null; i++) await tick();
    assert.equal(exit, 'quit');
    app.unmount();
  });

  it('opens the filter line, shows a mistake in place, and applies a good filter', async () => {
    const app = render(<App data={data} size={size} colour={true} onExit={() => {}} />);
    await tick();
    await frameMatching(app, /1 Overview/);
    await typeKeys(app.stdin, ['/', 'port 4000x', KEY.enter]);
    const lines = (await frameMatching(app, /"4000x" is not a port/)).split('\n');
    assert.match(lines[lines.length - 2], /"4000x" is not a port/);
    assert.match(lines[lines.length - 1], /^\/ port 4000x/);
    await typeKeys(app.stdin, ['\x7f', KEY.enter]);
    await frameMatching(app, /^ 1 Overview.* of 600 · port 4000/);
    app.unmount();
  });

  it('shows help over the current view and returns', async () => {
    const app = render(<App data={data} size={{ columns: 100, rows: 60 }} colour={true} onExit={() => {}} />);
    await tick();
    await frameMatching(app, /1 Overview/);
    await typeKeys(app.stdin, [KEY.tab, '?']);
    await frameMatching(app, /Everywhere[\s\S]*Connections[\s\S]*Filters \(the same as --filter\)/);
    await typeKeys(app.stdin, ['?']);
    await frameMatching(app, /Client → Server/);
    app.unmount();
  });

  it('draws without colour when asked (NO_COLOR), keeping bold and inverse', async () => {
    const app = render(<App data={data} size={size} colour={false} onExit={() => {}} />);
    await tick();
    const frame = app.lastFrame() ?? '';
    assert.doesNotMatch(frame, /\x1b\[[\d;]*3[1-6]m/);
    assert.match(frame, /\x1b\[7m/);
    app.unmount();
    const coloured = render(<App data={data} size={size} colour={true} onExit={() => {}} />);
    await tick();
    assert.match(coloured.lastFrame() ?? '', /\x1b\[[\d;]*3[1-6]m/);
    coloured.unmount();
  });
});

describe('<Loading> and <Root>', () => {
  const loading: LoadingState = {
    files: ['captures/busy.pcap'], input: 0, packets: 3000, sourceBytes: 300_000, totalBytes: 600_000,
    connections: 300, startedMs: 0, nowMs: 1000, phase: 'reading',
  };

  it('shows progress and stops on Ctrl-C', async () => {
    let stopped = false;
    const app = render(<Loading state={loading} size={{ columns: 80, rows: 23 }} colour={true} onInterrupt={() => { stopped = true; }} />);
    await frameMatching(app, /50%/);
    app.stdin.write('\x03');
    for (let i = 0; i < 250 && !stopped; i++) await tick();
    assert.ok(stopped);
    app.unmount();
  });

  it('keeps keys typed while loading and applies them when the views open', async () => {
    const store = new Store<Snapshot>({ loading, data: null });
    const app = render(<Root store={store} colour={true} onExit={() => {}} />);
    await frameMatching(app, /reading/);
    await typeKeys(app.stdin, [KEY.tab, KEY.down]);
    store.set({ loading, data });
    await frameMatching(app, /2\/600/);
    app.unmount();
  });

  it('switches from loading to the views when the data arrives', async () => {
    const store = new Store<Snapshot>({ loading, data: null });
    const app = render(<Root store={store} colour={true} onExit={() => {}} />);
    await frameMatching(app, /reading captures\/busy\.pcap/);
    store.set({ loading, data });
    await frameMatching(app, /1 Overview/);
    app.unmount();
  });
});

describe('styledLine', () => {
  it('wraps styled spans in SGR and leaves plain text alone', () => {
    const table = sgrTable(themeFor(true));
    assert.equal(styledLine([{ text: 'a' }, { text: 'b', tone: 'bold' }], table), 'a\x1b[1mb\x1b[0m');
    assert.equal(styledLine([], table), ' ');
  });
});
