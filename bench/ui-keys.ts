// Key latency of the terminal UI on 300 000 connections: for each key, the time from the key's
// bytes reaching Ink's stdin to the new frame being written to stdout, i.e. key parsing, the
// reducer, the view-models and Ink's render (React reconcile, Yoga layout, ANSI output) together.
// Ink runs unthrottled here (debug mode, as in ink-testing-library), so the 60 fps frame cap of the
// real UI adds at most 16 ms on top. The terminal's own drawing is not included.
//
//   npm run build && node dist/bench/ui-keys.js [connections=300000] [columns=80] [rows=24]
//
// The verdicts are real (900 connections of nine close scenarios through the pipeline), cloned with
// new ids, client addresses and start times up to the count asked.

import { performance } from 'node:perf_hooks';
import type { Verdict } from '../src/close/index.js';
import { prepareData } from '../src/ui/data.js';
import { Derived, frame } from '../src/ui/screen.js';
import { initialState } from '../src/ui/state.js';
import { syntheticVerdicts } from '../test/ui/synthetic-capture.js';

// As runUi does: React in production mode (loaded after this is set, hence the dynamic imports).
process.env.NODE_ENV ??= 'production';
const { createElement } = await import('react');
const { render } = await import('ink-testing-library');
const { App } = await import('../src/ui/components/App.js');

const count = Number(process.argv[2] ?? 300_000);
const columns = Number(process.argv[3] ?? 80);
const rows = Number(process.argv[4] ?? 24);

function clone(base: Verdict[], n: number): Verdict[] {
  const out: Verdict[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const b = base[i % base.length];
    const shift = Math.floor(i / base.length) * 1_000;
    out[i] = {
      ...b, id: i + 1,
      client: { ip: `10.${1 + ((i >> 16) & 127)}.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60000) },
      startUs: b.startUs + shift, endUs: b.endUs + shift, observedUntilUs: b.observedUntilUs + shift,
    };
  }
  return out;
}

interface Sample { wall: number; cpu: number }

function stats(samples: Sample[]): string {
  const pick = (key: keyof Sample): number[] => samples.map((x) => x[key]).sort((a, b) => a - b);
  const at = (s: number[], p: number): number => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  const w = pick('wall'), c = pick('cpu');
  return `wall median ${at(w, 50).toFixed(1)} p95 ${at(w, 95).toFixed(1)} max ${w[w.length - 1].toFixed(1)} ms; ` +
    `cpu median ${at(c, 50).toFixed(1)} p95 ${at(c, 95).toFixed(1)} ms (${samples.length}x)`;
}

async function main(): Promise<void> {
  const { input, verdicts: base } = await syntheticVerdicts({ count: 900 });
  const verdicts = clone(base, count);
  input.flow.connections = verdicts.length;

  let t = performance.now();
  const data = prepareData([input], verdicts, { portRange: [32768, 60999] });
  console.log(`prepareData (summary of ${count} connections): ${(performance.now() - t).toFixed(0)} ms`);
  t = performance.now();
  frame(new Derived(data), initialState(), { columns, rows: rows - 1 });
  console.log(`first Overview frame (timeline over ${count} connections): ${(performance.now() - t).toFixed(0)} ms`);

  const app = render(createElement(App, { data, size: { columns, rows: rows - 1 }, colour: true, onExit: () => {} }));
  // The time a frame is written, from a wrapper around the test stdout's write.
  let lastFrameAt = 0;
  const write = app.stdout.write;
  app.stdout.write = (frame: string) => { lastFrameAt = performance.now(); write(frame); };
  // Wall time suffers from whatever else the machine runs; CPU time of this process does not.
  const press = async (bytes: string): Promise<Sample> => {
    const before = app.frames.length;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    app.stdin.write(bytes);
    // React flushes the update in a microtask; Ink then writes the frame.
    for (let i = 0; i < 100 && app.frames.length === before; i++) await new Promise((r) => setImmediate(r));
    if (app.frames.length === before) throw new Error(`no frame after ${JSON.stringify(bytes)}`);
    const cpu = process.cpuUsage(c0);
    return { wall: lastFrameAt - t0, cpu: (cpu.user + cpu.system) / 1000 };
  };
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
  const run = async (label: string, bytes: string, times = 1): Promise<Sample[]> => {
    const samples: Sample[] = [];
    for (let i = 0; i < times; i++) { samples.push(await press(bytes)); await settle(); }
    console.log(`${label.padEnd(44)} ${stats(samples)}`);
    return samples;
  };

  const DOWN = '\x1b[B', PGDN = '\x1b[6~', PGUP = '\x1b[5~', RIGHT = '\x1b[C';
  await run('Overview: → (move the instant)', RIGHT, 50);
  await run('Tab to Connections (first order: by start)', '\t');
  const scroll = [
    ...await run('Connections: ↓', DOWN, 200),
    ...await run('Connections: PgDn', PGDN, 100),
    ...await run('Connections: PgUp', PGUP, 100),
    ...await run('Connections: j', 'j', 100),
  ];
  await run('Connections: G (last of 300 000)', 'G');
  await run('Connections: g (first)', 'g');
  await run('Connections: s (sort by duration, 300 000)', 's');
  await run('Connections: s (sort by severity)', 's');
  await run('Connections: S (reverse)', 'S');
  await run('Connections: ↓ after sorting', DOWN, 100);
  await run('/ (open the filter line)', '/');
  await run('typing a filter character', 'f');
  await press('\x7f');
  for (const ch of 'finding lost-final-ack') await press(ch);
  await run('Enter: apply the filter to 300 000', '\r');
  await run('Connections (filtered): ↓', DOWN, 100);
  await run('Enter: open the ladder', '\r');
  await run('Detail: ↓ (scroll)', DOWN, 20);
  await run('Detail: n (next connection)', 'n', 20);
  await run('Esc back to the list', '\x1b');
  await settle();
  console.log(`\nAll scrolling keys on the 300 000-row list: ${stats(scroll)}`);
  app.unmount();
}

await main().catch((err) => { console.error(err); process.exitCode = 1; });
