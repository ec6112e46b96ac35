// Public entry of the terminal UI: `finscope capture.pcap` on a terminal. Reads the inputs with a
// progress screen, then hands the verdicts to the interactive views. The terminal is put back as it
// was on every way out: q, Ctrl-C (while loading too), SIGTERM/SIGHUP, and errors.
//
// Exit codes follow the report's: 0 done; 2 usage (no terminal, bad --filter); 3 an input could not
// be read or broke half-way (what was read is still shown); 130 interrupted with Ctrl-C.

import { openSync, writeSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import { ReadStream } from 'node:tty';
import type { CloseOptions, Verdict } from '../close/index.js';
import { parseDuration } from '../common/duration.js';
import { parseInstant } from '../common/time.js';
import { describeFilterProblem, parseFilter } from '../filter/index.js';
import type { FlowOptions } from '../flow/index.js';
import { analyzeInput, type InputResult, type Progress } from '../pipeline/index.js';
import type { Snapshot, Store as StoreType } from './components/Root.js';
import { prepareData } from './data.js';
import type { LoadingState } from './loading.js';
import { initialState } from './state.js';
import { wantsColour } from './theme.js';

export interface UiOptions {
  close: CloseOptions;
  flow: Partial<FlowOptions>;
  portRange: [number, number];
  host?: string;
  /** A filter expression to start with (the same language as the "/" line). */
  filter?: string;
  /**
   * The histogram's first instant, as --at takes it: epoch seconds, an ISO time, or +offset from the
   * capture's start ("+30s"). Default: the end of the capture.
   */
  at?: string;
}

/** Streams and environment, replaceable in tests. */
export interface UiIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Where keys come from; default process.stdin, or /dev/tty when stdin is a capture or not a terminal. */
  keys?: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;
export const EXIT_INPUT = 3;
export const EXIT_INTERRUPTED = 130;

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE_ALT_SCREEN = '\x1b[?1049l';
const SHOW_CURSOR = '\x1b[?25h';

/** Keys from the terminal even when stdin carries the capture (`tcpdump -w - | finscope -`). */
function openKeys(files: string[]): { stream: NodeJS.ReadStream; opened: boolean } | null {
  if (!files.includes('-') && process.stdin.isTTY) return { stream: process.stdin, opened: false };
  try {
    const stream = new ReadStream(openSync('/dev/tty', 'r')) as unknown as NodeJS.ReadStream;
    return { stream, opened: true };
  } catch {
    return null;
  }
}

/**
 * React and Ink, loaded on first use in production mode: React's development build re-checks every
 * render and costs twice the CPU per key press. Loading them here (not at import time) also keeps
 * `finscope report` from paying for React at all.
 */
async function loadInk() {
  if (process.env.NODE_ENV === undefined) process.env.NODE_ENV = 'production';
  const [react, ink, root] = await Promise.all([import('react'), import('ink'), import('./components/Root.js')]);
  return { createElement: react.createElement, render: ink.render, Root: root.Root, Store: root.Store };
}

export async function runUi(files: string[], options: UiOptions, io: Partial<UiIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  if (!stdout.isTTY) {
    stderr.write('finscope: the interactive view needs a terminal; use finscope report for text\n');
    return EXIT_USAGE;
  }
  let filter = '';
  if (options.filter !== undefined && options.filter.trim() !== '') {
    const parsed = parseFilter(options.filter);
    if (!parsed.ok) {
      stderr.write(`finscope: --filter: ${parsed.error.message}\n${describeFilterProblem(options.filter, parsed.error).replace(/^/gm, '  ')}\n`);
      return EXIT_USAGE;
    }
    filter = parsed.normalized;
  }
  // An offset needs the capture's start, known after loading; the syntax can be checked now.
  if (options.at !== undefined && parseInstant(options.at, 0, parseDuration) === null) {
    stderr.write(`finscope: --at: "${options.at}" is not a time (epoch seconds, ISO time, or +30s from the start)\n`);
    return EXIT_USAGE;
  }
  const keys = io.keys !== undefined ? { stream: io.keys, opened: false } : openKeys(files);
  if (keys === null) {
    stderr.write('finscope: cannot read keys: stdin carries the capture and /dev/tty cannot be opened; use finscope report\n');
    return EXIT_USAGE;
  }

  const abort = new AbortController();
  let finish: (how: 'quit' | 'interrupt') => void = () => {};
  const finished = new Promise<'quit' | 'interrupt'>((resolve) => { finish = resolve; });
  let exitHow: 'quit' | 'interrupt' | null = null;
  const onExit = (how: 'quit' | 'interrupt'): void => {
    if (exitHow !== null) return;
    exitHow = how;
    abort.abort();
    finish(how);
  };

  // If the process dies under us (an uncaught error elsewhere), still leave the alternate screen.
  let inAltScreen = true;
  const emergency = (): void => {
    if (!inAltScreen) return;
    try { writeSync((stdout as unknown as { fd?: number }).fd ?? 1, SHOW_CURSOR + LEAVE_ALT_SCREEN); } catch { /* nothing left to do */ }
  };
  const signals: [NodeJS.Signals, () => void][] = [
    ['SIGINT', () => onExit('interrupt')], ['SIGTERM', () => onExit('interrupt')], ['SIGHUP', () => onExit('interrupt')],
  ];
  process.on('exit', emergency);
  for (const [sig, handler] of signals) process.on(sig, handler);
  stdout.write(ENTER_ALT_SCREEN);

  const loading: LoadingState = {
    files, input: 0, packets: 0, sourceBytes: 0, totalBytes: null, connections: 0,
    startedMs: Date.now(), nowMs: Date.now(), phase: 'reading',
  };
  const { createElement, render, Root, Store } = await loadInk();
  const store: StoreType<Snapshot> = new Store<Snapshot>({ loading, data: null });
  // Ink's incremental renderer (6.8) redraws one row too low whenever a frame ends with a newline
  // and its last line is unchanged; the standard renderer rewrites the frame in one synchronized
  // update (BSU/ESU), which terminals show without tearing.
  const initial = initialState({ filter });
  const instance = render(createElement(Root, { store, colour: wantsColour(env, stdout), initial, onExit }), {
    stdout, stderr, stdin: keys.stream, exitOnCtrlC: false, patchConsole: false, maxFps: 60,
  });

  const inputs: InputResult[] = [];
  const verdicts: Verdict[] = [];
  // Reading stops on the user's quit, or when the verdicts kept would outgrow the heap (below).
  const reading = new AbortController();
  abort.signal.addEventListener('abort', () => reading.abort(), { once: true });
  const memory = new MemoryGuard();
  const keep = (v: Verdict): void => {
    if (memory.stopped) {
      // The connections still open at the stop, judged as of then, while half the headroom lasts.
      if (memory.dropped > 0 || ((verdicts.length & 255) === 0 && memory.exhausted())) { memory.dropped++; return; }
      verdicts.push(v);
      return;
    }
    verdicts.push(v);
    if ((verdicts.length & 1023) === 0 && memory.full()) reading.abort();
  };
  let lastDraw = 0;
  const show = (patch: Partial<LoadingState>): void => {
    Object.assign(loading, patch, { nowMs: Date.now() });
    store.set({ loading: { ...loading }, data: null });
  };
  // The spinner turns, and the rate updates, even while stdin is quiet.
  const ticker = setInterval(() => { if (store.get().data === null) show({}); }, 100);
  try {
    let nextId = 1;
    for (let i = 0; i < files.length && !abort.signal.aborted; i++) {
      // The size up front, so the first frame is a progress bar rather than a spinner.
      const totalBytes = files[i] === '-' ? null : await stat(files[i]).then((st) => (st.isFile() ? st.size : null), () => null);
      show({ input: i, packets: 0, sourceBytes: 0, totalBytes, connections: 0, startedMs: Date.now() });
      const shown = verdicts.length;
      const result = await analyzeInput(files[i], i, keep, {
        // Each verdict keeps its connection's segment log (packed) for the ladder.
        close: options.close, flow: options.flow, keepSegments: true, signal: reading.signal, firstId: nextId,
        onProgress: (p: Progress) => {
          // The flow table's live connections count too: a flood holds many before any finishes.
          if (memory.full()) reading.abort();
          const now = Date.now();
          if (now - lastDraw < 50) return;
          lastDraw = now;
          show({ packets: p.packets, sourceBytes: p.sourceBytes, totalBytes: p.totalBytes, connections: p.connections });
        },
      });
      if (memory.stopped && !abort.signal.aborted) memory.report(result, verdicts.length - shown, files.length - 1 - i);
      inputs.push(result);
      nextId += result.flow.connections;
      if (memory.stopped) break;
    }
    clearInterval(ticker);
    const unreadable = inputs.length > 0 && inputs.every((r) => r.info.error !== null && r.info.packets === 0);
    if (!abort.signal.aborted && !unreadable) {
      show({ phase: 'preparing', packets: inputs.reduce((n, r) => n + r.info.packets, 0), connections: verdicts.length });
      // Let the "preparing" frame reach the screen before the summary takes the thread.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const data = prepareData(inputs, verdicts, { portRange: options.portRange, host: options.host });
      const instantUs = options.at === undefined ? null : parseInstant(options.at, data.startUs, parseDuration);
      store.set({ loading, data, initial: { ...initial, overview: { ...initial.overview, instantUs } } });
      await finished;
    }
  } finally {
    clearInterval(ticker);
    instance.unmount();
    await instance.waitUntilExit().catch(() => undefined);
    stdout.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
    inAltScreen = false;
    process.off('exit', emergency);
    for (const [sig, handler] of signals) process.off(sig, handler);
    if (keys.opened) keys.stream.destroy();
  }
  if (exitHow === 'interrupt') return EXIT_INTERRUPTED;
  for (const r of inputs) {
    const e = r.info.error;
    if (e !== null) stderr.write(`finscope: ${e.file}: ${e.message} (byte offset ${e.offset})\n`);
  }
  return inputs.some((r) => r.info.error !== null) ? EXIT_INPUT : EXIT_OK;
}

/**
 * Heap kept free when reading stops: a quarter of V8's limit, at least 128 MB (the limit includes
 * the young generation, 50 MB or more, which a small --max-old-space-size would leave no room
 * beside). Enough for the summary and the lists the UI builds after reading.
 */
const headroom = (limit: number): number => Math.max(limit / 4, 128 * 1024 * 1024);

/**
 * The terminal UI keeps every connection with its segment log (~4 KB each), so a capture of a
 * million and a half connections (a SYN flood) passed V8's heap limit (4.3 GB here) and the process
 * died with V8's fatal error and a native stack trace. Close to the limit, reading stops:
 * the UI shows what was read until then and says so, and `finscope report` (bounded memory) covers
 * the whole capture. A larger limit (NODE_OPTIONS=--max-old-space-size=MB) moves the stop.
 */
class MemoryGuard {
  stopped = false;
  /** Connections finished after the stop, not kept. */
  dropped = 0;
  private readonly limit = getHeapStatistics().heap_size_limit;

  full(): boolean {
    if (!this.stopped && getHeapStatistics().used_heap_size > this.limit - headroom(this.limit)) this.stopped = true;
    return this.stopped;
  }

  /** After the stop: half the headroom used up as well. */
  exhausted(): boolean {
    return getHeapStatistics().used_heap_size > this.limit - headroom(this.limit) / 2;
  }

  /**
   * Makes the stop the input's error when it cost something (packets not read, or connections not
   * kept): the overview shows it, and the exit status says it. A stop during the last connections'
   * judging that dropped none is no loss.
   */
  report(result: InputResult, shown: number, filesLeft: number): void {
    const info = result.info;
    const cut = info.warnings.some((w) => w.kind === 'aborted');
    if (!cut && this.dropped === 0 && filesLeft === 0) return;
    const gb = (this.limit / 1e9).toFixed(1);
    const what = cut
      ? `the terminal UI stopped reading after packet ${info.packets}: keeping every connection would pass Node's ${gb} GB heap limit; ` +
        `${shown} connections shown (those still open there as they stood)${this.dropped > 0 ? `, ${this.dropped} more not kept` : ''}`
      : `the terminal UI read every packet but ${this.dropped > 0 ? `kept ${shown} connections: keeping the ${this.dropped} still open at the end` : 'reading more'} would pass Node's ${gb} GB heap limit`;
    const rest = filesLeft > 0 ? `; the ${filesLeft} input${filesLeft === 1 ? '' : 's'} after this one not read` : '';
    const message = `${what}${rest}; finscope report reads the whole capture in bounded memory (or raise the limit: NODE_OPTIONS=--max-old-space-size=MB)`;
    // A file that broke first keeps its own error (and where it was), with this after it.
    if (info.error !== null) info.error.message += `; then ${message}`;
    else info.error = { kind: 'memory', message, file: result.file, offset: info.bytesRead, packetNumber: info.packets + 1 };
  }
}
