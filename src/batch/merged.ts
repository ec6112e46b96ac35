// --merge: all inputs are one capture cut into pieces (tcpdump -C/-G, dumpcap ring buffers, several
// capture points). Their records go through ONE flow table in timestamp order, so a connection
// that spans two files is one connection.
//
// Design: a k-way merge over pull readers (src/capture/pull.ts). Each reader holds at most about
// one 64 KiB chunk of records; the merge takes the earliest head record (ties: the earlier input),
// and a reader is refilled only when it is empty. Files are opened lazily: a first pass reads each
// file's first timestamp and closes it again, and a file is reopened only when the merge reaches
// that time. Rotated files do not overlap, so about one file is open at a time however many there
// are; memory is k_open x (chunk + its records) plus the live connections. Single thread: a flow
// table is one ordered sequence of packets.
//
// Packet numbers (in state changes and findings) count packets across the merged stream, in the
// order the merge fed them, so that pieces merged give the numbers of the whole capture.

import { sanitizeText } from '../capture/index.js';
import { PullReader } from '../capture/pull.js';
import { analyzeConnection, DEFAULT_CLOSE_OPTIONS, VerdictScratch, type CloseOptions } from '../close/index.js';
import { DecodeKind, decodePacket, DecodeStats, linkTypeName, PacketView } from '../decode/index.js';
import { FlowTable, type FlowOptions, type FlowStats } from '../flow/index.js';
import { flushTable, type InputResult } from '../pipeline/index.js';
import { VerdictStore } from '../store/verdict-store.js';
import { CloseOffload } from './offload.js';
import type { ProgressEvent } from './parallel.js';
import type { InputSpec } from './types.js';

export interface MergedOptions {
  close: CloseOptions;
  flow: Partial<FlowOptions>;
  /** Judge the connections on a worker thread beside this one (offload.ts). */
  split?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface MergedResult {
  inputs: InputResult[];
  verdicts: VerdictStore;
  flow: FlowStats;
}

interface Source {
  index: number;
  spec: InputSpec;
  reader: PullReader | null;
  /** Head timestamp (seconds, nanoseconds); for a closed, not yet started file: its first record's. */
  sec: number;
  nsec: number;
  /** Inputs that cannot be reopened (stdin, FIFOs) stay open from the first pass on. */
  reopenable: boolean;
  stats: DecodeStats;
  firstUs: number;
  lastUs: number;
  finished: boolean;
}

/** Min-heap of sources by (sec, nsec, index). */
class SourceHeap {
  private readonly items: Source[] = [];
  get size(): number { return this.items.length; }
  peek(): Source | undefined { return this.items[0]; }

  static before(a: Source, b: Source): boolean {
    return a.sec < b.sec || (a.sec === b.sec && (a.nsec < b.nsec || (a.nsec === b.nsec && a.index < b.index)));
  }

  push(s: Source): void {
    const a = this.items;
    a.push(s);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!SourceHeap.before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  pop(): Source | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && SourceHeap.before(a[l], a[m])) m = l;
        if (r < a.length && SourceHeap.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

export async function analyzeMerged(specs: InputSpec[], options: MergedOptions): Promise<MergedResult> {
  const close = options.close ?? DEFAULT_CLOSE_OPTIONS;
  // Verdicts are kept compactly (src/store), quantized to the JSON's microseconds as they are stored.
  const verdicts = new VerdictStore();
  const started = new Array<number>(specs.length).fill(0);
  // Each verdict is encoded before the next is made: they can all be made of the same objects.
  const scratch = new VerdictScratch();
  // Keys are the ids (input 0's keys), unique across the merged inputs.
  const offload = options.split === true ? new CloseOffload(0, close, verdicts) : undefined;
  const table = new FlowTable((c) => {
    started[c.input]++;
    if (offload?.offer(c) === true) return;
    const v = analyzeConnection(c, close, false, scratch);
    if (offload !== undefined) offload.keep(v);
    else verdicts.add(v);
  }, { timeWaitUs: close.timeWaitUs, recycle: true, ...options.flow }, 1);
  let merged: Omit<MergedResult, 'verdicts'>;
  try {
    merged = await mergeInto(specs, options, table, started, offload);
  } finally {
    await offload?.finish();
  }
  return { ...merged, verdicts };
}

async function mergeInto(specs: InputSpec[], options: MergedOptions, table: FlowTable, started: number[],
  offload: CloseOffload | undefined): Promise<Omit<MergedResult, 'verdicts'>> {
  const view = new PacketView();
  const sources: Source[] = specs.map((spec, index) => ({
    index, spec, reader: null, sec: 0, nsec: 0, reopenable: spec.size !== null, stats: new DecodeStats(),
    firstUs: -1, lastUs: -1, finished: false,
  }));
  const infos: (InputResult['info'] | null)[] = specs.map(() => null);
  const open = (s: Source): PullReader => new PullReader(s.spec.path, {
    file: sanitizeText(s.spec.path),
    onProgress: (i) => options.onProgress?.({ index: s.index, sourceBytes: i.sourceBytesRead, done: false }),
  });
  const finish = (s: Source): void => {
    s.finished = true;
    infos[s.index] = s.reader?.info ?? infos[s.index];
    options.onProgress?.({ index: s.index, sourceBytes: infos[s.index]?.sourceBytesRead ?? 0, done: true });
    s.reader = null;
  };

  // First pass: each input's first timestamp. Regular files are closed again until needed.
  const heap = new SourceHeap();
  for (const s of sources) {
    const reader = open(s);
    s.reader = reader;
    if (!(await reader.fill())) { finish(s); continue; }
    s.sec = reader.tsSec();
    s.nsec = reader.tsNsec();
    if (s.reopenable) {
      await reader.close();
      s.reader = null;
    }
    heap.push(s);
  }

  let ordinal = 0;
  while (heap.size > 0) {
    if (options.signal?.aborted === true) break;
    const s = heap.pop()!;
    if (s.reader === null) {
      s.reader = open(s);
      if (!(await s.reader.fill())) { finish(s); continue; }
    }
    const r = s.reader;
    // Take records from this input while it stays the earliest: one heap operation per run.
    const rival = heap.peek();
    for (;;) {
      const sec = r.tsSec(), nsec = r.tsNsec();
      if (rival !== undefined && (sec > rival.sec || (sec === rival.sec && (nsec > rival.nsec || (nsec === rival.nsec && rival.index < s.index))))) {
        s.sec = sec;
        s.nsec = nsec;
        heap.push(s);
        break;
      }
      ordinal++;
      const data = r.data, offset = r.dataOffset();
      decodePacket(view, r.linkType(), data, offset, r.capturedLength());
      s.stats.record(view, r.packetNumber());
      const timeUs = sec * 1_000_000 + Math.floor(nsec / 1000);
      if (s.firstUs < 0 || timeUs < s.firstUs) s.firstUs = timeUs;
      if (timeUs > s.lastUs) s.lastUs = timeUs;
      if (view.kind === DecodeKind.Tcp) table.add(view, timeUs, ordinal, s.index);
      r.shift();
      if (r.queued === 0 && !(await r.fill())) { finish(s); break; }
    }
  }
  for (const s of sources) {
    if (s.reader !== null) {
      await s.reader.close();
      finish(s);
    }
  }
  const lastUs = Math.max(-1, ...sources.map((s) => s.lastUs));
  await flushTable(table, lastUs, offload);
  const inputs: InputResult[] = sources.map((s) => {
    const info = infos[s.index]!;
    return {
      index: s.index,
      file: sanitizeText(s.spec.path),
      info,
      linkTypeNames: info.linkTypes.map((lt) => linkTypeName(lt)),
      decode: s.stats.toJSON(),
      // The table is shared: an input's own figures are the connections that began in it.
      flow: { connections: started[s.index], reused: 0, evicted: 0, idleFinished: 0, peakLive: 0, timeWentBackwards: 0 },
      firstUs: s.firstUs,
      lastUs: s.lastUs,
    };
  });
  return { inputs, flow: { ...table.stats } };
}
