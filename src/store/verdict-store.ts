// Every verdict of a run, in bounded memory, read back in a stable order as often as the report
// needs. Verdicts arrive in the order connections finish (a connection that lingers finishes long
// after later ones) and are kept as compact records (record.ts) in 1 MiB chunks; past a memory
// budget the records in memory are sorted by key and written to a temporary file as one run, and
// reading merges the runs (an external merge sort). Records arrive nearly in key order, so the
// runs hardly overlap and the merge is cheap.
//
// The key is chosen by whoever adds: the connection id for one input or a merged capture, or
// (input, id within the input) for inputs analysed separately, whose ids are shifted only once
// every input's connection count is known (setIdOffsets). Reading applies that shift, so the
// verdicts come out numbered as one sequential run numbers them, in id order.
//
// Memory: the budget (default 16 MiB) plus one read buffer per spilled run, whatever the number of
// connections; measured on a 3 M-packet capture (300 000 connections, ~570 bytes a record).

import type { Verdict } from '../close/index.js';
import { InputTallies, type HostVotes, type InputTallyData } from './host-votes.js';
import {
  clientIpOf, decodeOutline, decodeVerdict, encodeVerdict, OutlineScratch, H_ID, H_INPUT, H_KEY, H_LENGTH, H_VANTAGE, RecordWriter, recordSeverityRank,
  serverIpOf, VANTAGE, viewOf, type VerdictOutline,
} from './record.js';
import { SpillFile } from './spill.js';

const CHUNK = 1 << 20;
const READ_BUFFER = 64 * 1024;

/**
 * Verdicts in id order, read as often as needed: an array, or a VerdictStore, which keeps them
 * compactly and also spares the aggregate work: the capture-host votes counted as verdicts were
 * added, and outlines, decoded without the bulk the aggregate does not read.
 */
export interface VerdictSource extends Iterable<Verdict> {
  readonly length: number;
  /** The host votes of each input's verdicts (by input index); null when they must be counted by reading. */
  hostVotesByInput?(): ReadonlyMap<number, HostVotes> | null;
  /**
   * Each verdict in order as an outline, with `whole()` to decode all of it while fn runs. The
   * outline may be made of the same objects every time: fn keeps nothing of it.
   */
  forEachOutline?(fn: (v: VerdictOutline, whole: () => Verdict) => void): void;
}

export interface StoreOptions {
  /** Bytes of records held in memory before they are sorted and spilled to disk. */
  memoryBytes?: number;
}

export const DEFAULT_STORE_MEMORY = 16 * 1024 * 1024;

/** Where one record sits while it is read: a reused object, overwritten by next(). */
export interface RecordCursor {
  buf: Buffer;
  off: number;
  /** Moves to the next record in key order; false at the end. */
  next(): boolean;
}

interface Run { start: number; end: number }

/** Reads one spilled run sequentially through a buffer. */
class RunReader {
  buf = Buffer.allocUnsafe(READ_BUFFER);
  off = 0;
  private filled = 0;
  private pos: number;
  key = 0;
  constructor(private readonly file: SpillFile, private readonly run: Run) {
    this.pos = run.start;
  }

  /** Moves to the next record; false when the run is done. */
  next(): boolean {
    // First call: off = filled = 0. Later: off points at the current record.
    if (this.filled > 0) this.off += this.buf.readUInt32LE(this.off + H_LENGTH);
    if (!this.ensure(8)) return false;
    const len = this.buf.readUInt32LE(this.off + H_LENGTH);
    if (!this.ensure(len)) throw new Error('verdict store: spilled run cut short');
    this.key = this.buf.readDoubleLE(this.off + H_KEY);
    return true;
  }

  /** Makes sure `n` bytes from `off` are in the buffer; false at the end of the run. */
  private ensure(n: number): boolean {
    if (this.off + n <= this.filled) return true;
    const rest = this.filled - this.off;
    if (rest === 0 && this.pos >= this.run.end) return false;
    if (n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, 2 * this.buf.length));
      this.buf.copy(bigger, 0, this.off, this.filled);
      this.buf = bigger;
    } else {
      this.buf.copy(this.buf, 0, this.off, this.filled);
    }
    this.off = 0;
    this.filled = rest;
    const want = Math.min(this.buf.length - rest, this.run.end - this.pos);
    const got = want > 0 ? this.file.read(this.buf, rest, want, this.pos) : 0;
    this.pos += got;
    this.filled += got;
    return n <= this.filled;
  }
}

/** Gathers the pieces of a run into few large writes to the spill file. */
class RunWriter {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private used = 0;
  constructor(private readonly file: SpillFile) {}

  /** Appends src[start..end): small pieces are gathered, large ones written as they are (in order). */
  append(src: Buffer, start: number, end: number): void {
    const n = end - start;
    const large = n >= this.buf.length / 2;
    if (large || this.used + n > this.buf.length) this.flush();
    if (large) this.file.append(src, start, end);
    else this.used += src.copy(this.buf, this.used, start, end);
  }

  flush(): void {
    if (this.used > 0) this.file.append(this.buf, 0, this.used);
    this.used = 0;
  }
}

export class VerdictStore implements VerdictSource {
  private readonly memoryBytes: number;
  /** Records of the run in memory: sealed chunks, and the writer's open one (index chunks.length). */
  private chunks: Buffer[] = [];
  private writer = new RecordWriter(CHUNK + 64 * 1024);
  /**
   * The writer's buffers behind `chunks`, and those whose records are spilled, which the writer
   * fills again: a new megabyte a chunk would make V8, which counts it as external memory,
   * collect garbage far more often.
   */
  private writerBuffers: Buffer[] = [];
  private spareBuffers: Buffer[] = [];
  /** Gathers a run as it is written to the spill file. */
  private runWriter: RunWriter | null = null;
  private keys = new Float64Array(1024);
  private where = new Float64Array(1024); // chunk * 2^32 + offset
  private inMemory = 0;
  private memoryUsed = 0;
  private spill: SpillFile | null = null;
  private readonly runs: Run[] = [];
  private total = 0;
  private offsets: number[] | null = null;
  private filter: ((v: Verdict) => boolean) | null = null;
  private filteredCount = -1;
  private excluded: Set<number> | null = null;
  private order: Uint32Array | null = null;
  private readonly tallies = new InputTallies();

  constructor(options: StoreOptions = {}) {
    this.memoryBytes = options.memoryBytes ?? DEFAULT_STORE_MEMORY;
  }

  /** Verdicts in the store (after the filter, when one is set). */
  get length(): number {
    if (this.filter === null) return this.total;
    if (this.filteredCount < 0) {
      let n = 0;
      for (const _v of this) n++;
      this.filteredCount = n;
    }
    return this.filteredCount;
  }

  /** Verdicts added, whatever the filter. */
  get added(): number { return this.total; }

  /** Adds one verdict, read back quantized (quantizeVerdict) in order of `key` (default: its id). */
  add(v: Verdict, key = v.id): void {
    const at = this.writer.length;
    encodeVerdict(this.writer, v, key);
    this.index(key, this.chunks.length, at, this.writer.length - at);
    this.tally(v.input, v.id, v.vantage, v.client.ip, v.server.ip);
    if (this.writer.length >= CHUNK) this.seal();
  }

  /** Adds records encoded elsewhere (a worker thread's encodeVerdict output); the buffer is kept. */
  addRecords(buf: Buffer): void {
    if (buf.length === 0) return;
    if (this.writer.length > 0) this.seal();
    const chunk = this.chunks.length;
    this.chunks.push(buf);
    const d = viewOf(buf);
    for (let off = 0; off < buf.length;) {
      const len = buf.readUInt32LE(off + H_LENGTH);
      this.index(buf.readDoubleLE(off + H_KEY), chunk, off, len);
      this.tally(d.getUint32(off + H_INPUT, true), d.getFloat64(off + H_ID, true), VANTAGE.names[d.getUint8(off + H_VANTAGE)],
        clientIpOf(buf, off), serverIpOf(buf, off));
      off += len;
    }
    if (this.memoryUsed >= this.memoryBytes) this.spillRun();
  }

  /**
   * Copies records encoded elsewhere into the store's own buffers, so that `buf` can be used again
   * (see offload.ts): records that arrive in new buffers of a megabyte each make V8, which counts
   * them as external memory, collect garbage far more often.
   */
  copyRecords(buf: Buffer, tallied = false): void {
    const d = viewOf(buf);
    for (let off = 0; off < buf.length;) {
      const len = buf.readUInt32LE(off + H_LENGTH);
      const w = this.writer, at = w.length;
      w.reserve(len);
      buf.copy(w.buf, at, off, off + len);
      w.length = at + len;
      this.index(buf.readDoubleLE(off + H_KEY), this.chunks.length, at, len);
      if (!tallied) {
        this.tally(d.getUint32(off + H_INPUT, true), d.getFloat64(off + H_ID, true), VANTAGE.names[d.getUint8(off + H_VANTAGE)],
          clientIpOf(buf, off), serverIpOf(buf, off));
      }
      if (w.length >= CHUNK) this.seal();
      off += len;
    }
  }

  /**
   * Counts verdicts added with copyRecords(buf, true): their number, smallest and largest id, and
   * capture-host votes, as the thread that encoded them counted them.
   */
  addTally(tally: InputTallyData): void {
    this.tallies.merge(tally);
  }

  /**
   * Shifts ids when reading: input k's verdicts get offsets[k] added to their id, previousId,
   * reusedById and the ids their findings name (inputs analysed apart, each numbered from 1).
   */
  setIdOffsets(offsets: number[]): void {
    this.offsets = offsets.some((o) => o !== 0) ? offsets.slice() : null;
  }

  /** Leaves out the verdicts of these inputs from every later read (inputs an abort cut short). */
  excludeInputs(inputs: Set<number>): void {
    let n = 0;
    for (const input of inputs) if (this.excluded?.has(input) !== true) n += this.tallies.byInput.get(input)?.count ?? 0;
    this.excluded = new Set([...(this.excluded ?? []), ...inputs]);
    this.total -= n;
    this.filteredCount = -1;
  }

  /** Keeps only the verdicts `accept` takes (after the id shift), for every later read. */
  setFilter(accept: (v: Verdict) => boolean): void {
    this.filter = accept;
    this.filteredCount = -1;
  }

  private tally(input: number, id: number, vantage: Verdict['vantage'], clientIp: string, serverIp: string): void {
    this.tallies.add(input, id, vantage, clientIp, serverIp);
  }

  private index(key: number, chunk: number, off: number, len: number): void {
    if (this.inMemory === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
      const where = new Float64Array(this.where.length * 2);
      where.set(this.where);
      this.where = where;
    }
    this.keys[this.inMemory] = key;
    this.where[this.inMemory] = chunk * 4294967296 + off;
    this.inMemory++;
    this.order = null;
    this.total++;
    this.memoryUsed += len;
    this.filteredCount = -1;
  }

  private seal(): void {
    this.writerBuffers.push(this.writer.buf);
    this.chunks.push(this.writer.take(this.spareBuffers.pop()));
    if (this.memoryUsed >= this.memoryBytes) this.spillRun();
  }

  /** The in-memory records' positions in key order (kept until the next add). */
  private sortedInMemory(): Uint32Array {
    if (this.order !== null) return this.order;
    const order = new Uint32Array(this.inMemory);
    let sorted = true;
    for (let i = 0; i < order.length; i++) {
      order[i] = i;
      if (i > 0 && this.keys[i] < this.keys[i - 1]) sorted = false;
    }
    if (!sorted) {
      const keys = this.keys;
      order.sort((a, b) => keys[a] - keys[b]);
    }
    this.order = order;
    return order;
  }

  private chunkOf(i: number): Buffer {
    const c = Math.floor(this.where[i] / 4294967296);
    return c < this.chunks.length ? this.chunks[c] : this.writer.buf;
  }

  /** Writes the records in memory, sorted, to the spill file as one run. */
  private spillRun(): void {
    if (this.inMemory === 0) return;
    this.spill ??= new SpillFile('verdicts');
    const out = this.runWriter ??= new RunWriter(this.spill);
    const order = this.sortedInMemory();
    const start = this.spill.size;
    // Records arrive nearly in key order, so most follow the one before in the same chunk: such a
    // span is written in one piece, not copied record by record into the run buffer.
    let spanBuf: Buffer | null = null, spanStart = 0, spanEnd = 0;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const buf = this.chunkOf(i);
      const off = this.where[i] % 4294967296;
      const len = buf.readUInt32LE(off + H_LENGTH);
      if (buf === spanBuf && off === spanEnd) {
        spanEnd += len;
        continue;
      }
      if (spanBuf !== null) out.append(spanBuf, spanStart, spanEnd);
      spanBuf = buf;
      spanStart = off;
      spanEnd = off + len;
    }
    if (spanBuf !== null) out.append(spanBuf, spanStart, spanEnd);
    out.flush();
    this.runs.push({ start, end: this.spill.size });
    this.chunks = [];
    // The writer is empty here (sealed before every spill): it goes on in the buffer it has.
    this.spareBuffers.push(...this.writerBuffers);
    this.writerBuffers = [];
    this.inMemory = 0;
    this.memoryUsed = 0;
    this.order = null;
  }

  /** Records in key order (the in-memory ones and every spilled run, merged). */
  cursor(): RecordCursor {
    const order = this.sortedInMemory();
    const memory = new MemoryCursor(this, order);
    const all = this.runs.length === 0 ? memory : new MergeCursor(this.runs.map((r) => new RunReader(this.spill!, r)), memory);
    return this.excluded === null ? all : new ExcludingCursor(all, this.excluded);
  }

  /** @internal the buffer and offset of in-memory record i. */
  locate(i: number, cursor: { buf: Buffer; off: number }): void {
    cursor.buf = this.chunkOf(i);
    cursor.off = this.where[i] % 4294967296;
  }

  /** @internal the key of in-memory record i. */
  keyAt(i: number): number { return this.keys[i]; }

  /** Shifts the ids of a decoded verdict by its input's offset (see setIdOffsets). */
  private shift(v: Verdict): void {
    shiftVerdictIds(v, this.offsets?.[v.input] ?? 0);
  }

  /** Decoded verdicts in order (fresh objects: keep what you like). */
  *[Symbol.iterator](): Iterator<Verdict> {
    const c = this.cursor();
    while (c.next()) {
      const v = decodeVerdict(c.buf, c.off);
      this.shift(v);
      if (this.filter === null || this.filter(v)) yield v;
    }
  }

  /** The host votes of each input's verdicts left in; null with a filter (only reading tells what it keeps). */
  hostVotesByInput(): ReadonlyMap<number, HostVotes> | null {
    if (this.filter !== null) return null;
    const out = new Map<number, HostVotes>();
    for (const [input, t] of this.tallies.byInput) if (this.excluded?.has(input) !== true) out.set(input, t.votes);
    return out;
  }

  /**
   * Each verdict in order as an outline, decoded without the bulk the aggregate does not read;
   * `whole()` decodes all of the current one, for the few the report shows in full.
   */
  forEachOutline(fn: (v: VerdictOutline, whole: () => Verdict) => void): void {
    if (this.filter !== null) {
      for (const v of this) fn(v, () => v);
      return;
    }
    const c = this.cursor();
    const whole = (): Verdict => {
      const v = decodeVerdict(c.buf, c.off);
      this.shift(v);
      return v;
    };
    // fn is done with each outline when it returns (see the interface): one set of objects for all.
    const scratch = new OutlineScratch();
    while (c.next()) {
      const v = decodeOutline(c.buf, c.off, scratch);
      v.id += this.idOffsetOf(c.buf, c.off);
      fn(v, whole);
    }
  }

  /**
   * The verdicts whose most severe finding has `rank` (0 none, 1 info, 2 warning, 3 error), in
   * order, decoding only those.
   */
  *withSeverityRank(rank: number): Generator<Verdict> {
    const c = this.cursor();
    while (c.next()) {
      if (recordSeverityRank(c.buf, c.off) !== rank) continue;
      const v = decodeVerdict(c.buf, c.off);
      this.shift(v);
      if (this.filter === null || this.filter(v)) yield v;
    }
  }

  /** How many verdicts have each severity rank as their most severe finding's (index 0-3). */
  countBySeverityRank(): number[] {
    const counts = [0, 0, 0, 0];
    if (this.filter !== null) {
      for (let r = 0; r < 4; r++) for (const _v of this.withSeverityRank(r)) counts[r]++;
      return counts;
    }
    const c = this.cursor();
    while (c.next()) counts[recordSeverityRank(c.buf, c.off)]++;
    return counts;
  }

  /** The id offset that applies to the record under a cursor (setIdOffsets). */
  idOffsetOf(buf: Buffer, off: number): number {
    return this.offsets?.[buf.readUInt32LE(off + H_INPUT)] ?? 0;
  }

  /** Number of records added per input and each input's smallest and largest id (for checks). */
  idsByInput(): Map<number, { count: number; min: number; max: number }> {
    const out = new Map<number, { count: number; min: number; max: number }>();
    for (const [input, t] of this.tallies.byInput) out.set(input, { count: t.count, min: t.minId, max: t.maxId });
    return out;
  }

  /** Whether the report may write records straight from the store (no filter to apply). */
  get unfiltered(): boolean { return this.filter === null; }

  /** Frees the spill file. The store is empty afterwards. */
  close(): void {
    this.spill?.close();
    this.spill = null;
    this.runs.length = 0;
    this.chunks = [];
    this.writerBuffers = [];
    this.spareBuffers = [];
    this.runWriter = null;
    this.inMemory = 0;
    this.total = 0;
    this.tallies.byInput.clear();
  }
}

/** Skips the records of some inputs. */
class ExcludingCursor implements RecordCursor {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  constructor(private readonly inner: RecordCursor, private readonly inputs: Set<number>) {}
  next(): boolean {
    while (this.inner.next()) {
      if (this.inputs.has(viewOf(this.inner.buf).getUint32(this.inner.off + H_INPUT, true))) continue;
      this.buf = this.inner.buf;
      this.off = this.inner.off;
      return true;
    }
    return false;
  }
}

/** The in-memory run, through its sorted index. */
class MemoryCursor implements RecordCursor {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  private k = -1;
  constructor(private readonly store: VerdictStore, private readonly order: Uint32Array) {}
  /** Key of the record next() would move to, Infinity at the end. */
  peekKey(): number {
    return this.k + 1 < this.order.length ? this.store.keyAt(this.order[this.k + 1]) : Infinity;
  }
  next(): boolean {
    if (++this.k >= this.order.length) return false;
    this.store.locate(this.order[this.k], this);
    return true;
  }
}

/** A k-way merge of the spilled runs and the in-memory run, by key. */
class MergeCursor implements RecordCursor {
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  /** Sources with a record in hand, as a binary min-heap by key: run index, or -1 for memory. */
  private readonly heads: number[] = [];
  private memoryKey = Infinity;
  private started = false;
  constructor(private readonly runs: RunReader[], private readonly memory: MemoryCursor) {}

  private key(src: number): number {
    return src === -1 ? this.memoryKey : this.runs[src].key;
  }

  /** Moves source `src` to its next record; false when it has none. */
  private advance(src: number): boolean {
    if (src !== -1) return this.runs[src].next();
    this.memoryKey = this.memory.peekKey();
    return this.memory.next();
  }

  next(): boolean {
    const h = this.heads;
    if (!this.started) {
      this.started = true;
      for (let r = 0; r < this.runs.length; r++) if (this.advance(r)) h.push(r);
      if (this.advance(-1)) h.push(-1);
      for (let i = (h.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    } else if (h.length > 0) {
      if (!this.advance(h[0])) {
        h[0] = h[h.length - 1];
        h.pop();
      }
      this.siftDown(0);
    }
    if (h.length === 0) return false;
    const src = h[0];
    const from = src === -1 ? this.memory : this.runs[src];
    this.buf = from.buf;
    this.off = from.off;
    return true;
  }

  private siftDown(i: number): void {
    const h = this.heads, n = h.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < n && this.key(h[l]) < this.key(h[m])) m = l;
      if (r < n && this.key(h[r]) < this.key(h[m])) m = r;
      if (m === i) return;
      const t = h[i]; h[i] = h[m]; h[m] = t;
      i = m;
    }
  }
}

/** `connection #12` in finding details (time-wait-reuse names the connection that reused the tuple). */
export const ID_IN_DETAIL = /(connection #)(\d+)/g;

/** Adds `offset` to a verdict's id and to every id it mentions. */
export function shiftVerdictIds(v: Verdict, offset: number): void {
  if (offset === 0) return;
  v.id += offset;
  if (v.previousId !== null) v.previousId += offset;
  if (v.reusedById !== null) v.reusedById += offset;
  for (const f of v.findings) {
    if (f.detail.includes('connection #')) f.detail = f.detail.replace(ID_IN_DETAIL, (_m, p: string, n: string) => `${p}${Number(n) + offset}`);
  }
}

