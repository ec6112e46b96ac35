// A pull-style reader on top of readCapture, for consumers that interleave several captures (the
// k-way merge of rotated files by timestamp). readCapture is push-based; here its source is a
// stream we feed one chunk at a time, only when the records of the previous chunk have all been
// taken. Records are copied into a per-reader arena (struct of arrays plus one byte buffer that is
// reset whenever it has been drained), so memory per reader stays at about one chunk of records,
// gzip or not, and nothing is allocated per packet once the arena has grown to fit a chunk.
//
// Only the public readCapture is used: framing, gzip detection and every problem kind behave exactly
// as for a file read with readCapture (open failures, directories and the like are delegated to it).

import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { readCapture } from './index.js';
import type { CaptureInfo, CaptureRecord } from './types.js';

/** Small chunks: with k files open at once, memory is about k x (chunk + its records). */
export const PULL_CHUNK_SIZE = 64 * 1024;

export interface PullOptions {
  /** Name used in problems; default the path, or '-'. */
  file?: string;
  chunkSize?: number;
  /** Called with the info so far after each chunk (progress). */
  onProgress?: (info: CaptureInfo) => void;
}

type ChunkSource = { next(): Promise<Buffer | null>; close(): Promise<void> };

function fileChunks(handle: FileHandle, chunkSize: number): ChunkSource {
  return {
    async next() {
      // A fresh buffer per chunk: the framer may still be looking at the previous one.
      const buf = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await handle.read(buf, 0, chunkSize, null);
      return bytesRead === 0 ? null : buf.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

function streamChunks(stream: NodeJS.ReadableStream): ChunkSource {
  const it = (stream as Readable)[Symbol.asyncIterator]();
  return {
    async next() {
      const r = await it.next();
      if (r.done === true) return null;
      const v = r.value as Buffer | string;
      return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    },
    // Leave a caller's stream (stdin) open: returning the iterator would destroy it.
    close: async () => {},
  };
}

/**
 * Reads one capture record by record on demand:
 *
 *   const r = new PullReader('a.pcap');
 *   while (await r.fill()) { use r.tsSec(), r.data, r.dataOffset(), ...; r.shift(); }
 *   r.info   // final once fill() returned false
 *
 * The accessors describe the head record; its bytes are valid until the next fill().
 */
export class PullReader {
  /** What readCapture learned; final once fill() has returned false. */
  info: CaptureInfo;
  private readonly source: string | NodeJS.ReadableStream;
  private readonly name: string;
  private readonly chunkSize: number;
  private readonly onProgress: ((info: CaptureInfo) => void) | undefined;
  private started = false;
  private finished = false;
  private failure: { error: unknown } | null = null;
  private chunks: ChunkSource | null = null;
  private feed: Readable | null = null;
  private readonly abort = new AbortController();
  private demand = false;
  private eof = false;
  private wakeUp: (() => void) | null = null;
  private woken = false;

  // The queue: records [head, count) in struct-of-arrays form, their bytes in `arena`.
  private head = 0;
  private count = 0;
  private capacity = 0;
  private tsSecs = new Float64Array(0);
  private tsNsecs = new Uint32Array(0);
  private linkTypes = new Uint32Array(0);
  private lengths = new Uint32Array(0);
  private originalLengths = new Uint32Array(0);
  private packetNumbers = new Float64Array(0);
  private offsets = new Uint32Array(0);
  private interfaceIndexes = new Uint32Array(0);
  /** The arena; `arenaUsed` bytes are taken. */
  data: Buffer = Buffer.alloc(0);
  private arenaUsed = 0;

  constructor(source: string | NodeJS.ReadableStream, options: PullOptions = {}) {
    this.source = source;
    this.name = options.file ?? (typeof source === 'string' ? source : '-');
    this.chunkSize = options.chunkSize !== undefined && options.chunkSize >= 1 ? Math.floor(options.chunkSize) : PULL_CHUNK_SIZE;
    this.onProgress = options.onProgress;
    this.info = { file: this.name, format: null, compression: null, timestampPrecision: null, byteOrder: null, sections: 0,
      interfaces: [], linkTypes: [], packets: 0, bytesRead: 0, sourceBytesRead: 0, comments: [], warnings: [], error: null };
  }

  /**
   * Waits until a record is queued (true) or the input is over (false). Rejects only with an
   * exception thrown inside the reader by a bug, never because of the input.
   */
  async fill(): Promise<boolean> {
    if (!this.started) await this.start();
    for (;;) {
      if (this.head < this.count) return true;
      if (this.failure !== null) throw this.failure.error;
      if (this.finished) return false;
      if (this.demand && !this.eof && this.feed !== null && this.chunks !== null) {
        this.demand = false;
        let chunk: Buffer | null;
        try {
          chunk = await this.chunks.next();
        } catch (error) {
          // Becomes a read-error problem in info (readCapture watches the stream's 'error').
          this.eof = true;
          this.feed.destroy(error as Error);
          continue;
        }
        if (chunk === null) {
          this.eof = true;
          this.feed.push(null);
        } else {
          this.feed.push(chunk);
        }
        continue;
      }
      await this.sleep();
    }
  }

  /** Drops the head record. */
  shift(): void {
    if (this.head < this.count) this.head++;
  }

  get queued(): number { return this.count - this.head; }
  tsSec(): number { return this.tsSecs[this.head]; }
  tsNsec(): number { return this.tsNsecs[this.head]; }
  linkType(): number { return this.linkTypes[this.head]; }
  capturedLength(): number { return this.lengths[this.head]; }
  originalLength(): number { return this.originalLengths[this.head]; }
  packetNumber(): number { return this.packetNumbers[this.head]; }
  dataOffset(): number { return this.offsets[this.head]; }
  interfaceIndex(): number { return this.interfaceIndexes[this.head]; }

  /** Stops reading early (an aborted run) and releases the file; info says 'aborted'. */
  async close(): Promise<void> {
    if (!this.started || this.finished) {
      this.finished = true;
      await this.chunks?.close().catch(() => {});
      return;
    }
    this.abort.abort();
    while (!this.finished) await this.sleep();
  }

  private async start(): Promise<void> {
    this.started = true;
    const src = this.source;
    let regular = false;
    if (typeof src === 'string' && src !== '-') {
      let handle: FileHandle | null = null;
      try {
        handle = await open(src, 'r');
        const stats = await handle.stat();
        if (!stats.isDirectory()) this.chunks = fileChunks(handle, this.chunkSize);
        regular = stats.isFile();
      } catch {
        // Fall through: readCapture on the path reports the problem exactly as usual.
      }
      if (this.chunks === null) {
        await handle?.close().catch(() => {});
        this.info = await readCapture(src, () => { throw new Error('PullReader: a record from an unopenable input'); }, { file: this.name });
        this.finished = true;
        return;
      }
    } else {
      this.chunks = streamChunks(src === '-' ? process.stdin : src as NodeJS.ReadableStream);
    }
    this.feed = new Readable({
      highWaterMark: 1,
      read: () => { this.demand = true; this.wake(); },
    });
    // A regular file can be read again from its start by a gzip decoder after damage, as readCapture
    // on its path does (the records beyond the feed are then at most one gzip chunk's worth).
    const path = regular && typeof src === 'string' ? src : null;
    const done = readCapture(this.feed, (rec) => this.enqueue(rec), {
      file: this.name, signal: this.abort.signal, onProgress: this.onProgress, chunkSize: this.chunkSize,
      reread: path !== null ? () => createReadStream(path, { highWaterMark: this.chunkSize }) : undefined,
    });
    done.then((info) => { this.info = info; }, (error: unknown) => { this.failure = { error }; })
      .finally(() => {
        this.finished = true;
        this.feed?.destroy();
        void this.chunks?.close().catch(() => {});
        this.wake();
      });
  }

  private enqueue(rec: CaptureRecord): void {
    if (this.head === this.count) {
      this.head = this.count = 0;
      this.arenaUsed = 0;
    }
    if (this.count === this.capacity) this.grow();
    const n = this.count++;
    const len = rec.capturedLength;
    if (this.arenaUsed + len > this.data.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.arenaUsed + len, 4 * this.chunkSize));
      this.data.copy(bigger, 0, 0, this.arenaUsed);
      this.data = bigger;
    }
    rec.data.copy(this.data, this.arenaUsed, rec.offset, rec.offset + len);
    this.offsets[n] = this.arenaUsed;
    this.arenaUsed += len;
    this.tsSecs[n] = rec.tsSec;
    this.tsNsecs[n] = rec.tsNsec;
    this.linkTypes[n] = rec.linkType;
    this.lengths[n] = len;
    this.originalLengths[n] = rec.originalLength;
    this.packetNumbers[n] = rec.packetNumber;
    this.interfaceIndexes[n] = rec.interfaceIndex ?? 0;
    this.wake();
  }

  private grow(): void {
    const cap = Math.max(256, this.capacity * 2);
    const g = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => { const b = make(cap); b.set(a); return b; };
    this.tsSecs = g(this.tsSecs, (k) => new Float64Array(k));
    this.tsNsecs = g(this.tsNsecs, (k) => new Uint32Array(k));
    this.linkTypes = g(this.linkTypes, (k) => new Uint32Array(k));
    this.lengths = g(this.lengths, (k) => new Uint32Array(k));
    this.originalLengths = g(this.originalLengths, (k) => new Uint32Array(k));
    this.packetNumbers = g(this.packetNumbers, (k) => new Float64Array(k));
    this.offsets = g(this.offsets, (k) => new Uint32Array(k));
    this.interfaceIndexes = g(this.interfaceIndexes, (k) => new Uint32Array(k));
    this.capacity = cap;
  }

  private wake(): void {
    const w = this.wakeUp;
    if (w !== null) {
      this.wakeUp = null;
      w();
    } else {
      this.woken = true;
    }
  }

  private sleep(): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => { this.wakeUp = resolve; });
  }
}
