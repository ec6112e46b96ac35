// The connections of the JSON and NDJSON reports, written by more than one thread: on 300 000
// connections (800 MB of JSON) formatting is ~1.1 s of one core, the longest serial step at the
// end of a run. The main thread walks the store's records in order and copies them into batches
// (json-batch.ts); each batch goes to a worker thread that has fewer than two in hand, or, when
// every worker is busy or still starting (loading, then warming up on a copy of the first batch:
// ~200 ms), the main thread formats it itself, so that nothing waits for a worker to start. The
// JSON is written strictly in batch order. A few batches are out at a time, so memory does not
// grow with the report, and their buffers (shared with the workers) go round and round.
//
// On 2 cores one worker plus the main thread beat two workers with the main thread only reading
// and writing: as fast or faster, and ~0.3 s less CPU (each worker is an isolate that boots and
// compiles the writer again).

import { Worker } from 'node:worker_threads';
import { WorkerFailure } from '../common/worker-failure.js';
import { recordLength } from '../store/record.js';
import type { RecordCursor, VerdictStore } from '../store/verdict-store.js';
import { BatchFormatter, sharedBuffer, type BatchJob, type BatchReply, type FormatterSetup } from './json-batch.js';

export interface ParallelWriteOptions {
  /** Worker threads (at least 1). */
  workers: number;
  /** Whether this thread formats too, while the workers are busy or starting; else it only waits. */
  formatHere: boolean;
  /** Bytes of records a batch holds (~3x that of JSON comes back). */
  batchBytes: number;
}

/** Where the JSON goes: bytes written (and done with) when the promise resolves. */
export interface ByteSink {
  writeBytes(bytes: Buffer): Promise<void>;
  readonly isClosed: boolean;
}

/** A batch's buffers: filled on the main thread, formatted by a worker or here, written here. */
interface Batch {
  records: Buffer;
  length: number;
  count: number;
  idOffsets: Float64Array;
  /** The JSON once formatted, in out[0, outLength); the buffer for the next batch once written. */
  out: Buffer | null;
  outLength: number;
  done: boolean;
}

/** Batches a worker has in hand at once: one it formats, one waiting, so that it never waits. */
const PER_WORKER = 2;
/** Formatted batches the main thread may hold on top of those, waiting for a worker's before them. */
const HERE = 2;

class Pool {
  private readonly workers: Worker[] = [];
  /** Batches sent to each worker and not back yet, by seq. */
  private readonly lent: Map<number, Batch>[] = [];
  /** Whether each worker has warmed up. */
  private readonly ready: boolean[] = [];
  failure: Error | null = null;
  private finished = false;
  private wake: (() => void) | null = null;

  constructor(setup: FormatterSetup, n: number) {
    for (let k = 0; k < n; k++) {
      const worker = new Worker(new URL('./json-worker.js', import.meta.url), { workerData: setup });
      const lent = new Map<number, Batch>();
      this.workers.push(worker);
      this.lent.push(lent);
      this.ready.push(false);
      worker.on('message', (m: BatchReply) => {
        if (m.type === 'ready') {
          this.ready[k] = true;
          return this.notify();
        }
        const batch = lent.get(m.seq);
        lent.delete(m.seq);
        if (m.type === 'failed') return this.fail(new WorkerFailure(`while writing the connections: ${m.message}`, m.stack));
        if (batch === undefined) return this.fail(new Error(`a worker thread sent back batch ${m.seq}, which it did not have`));
        batch.out = Buffer.from(m.out);
        batch.outLength = m.outLength;
        batch.done = true;
        this.notify();
      });
      const failed = (error: Error): void => this.fail(new WorkerFailure(`while writing the connections: ${error.message}`, error.stack ?? ''));
      worker.on('error', failed);
      worker.on('messageerror', failed);
      worker.on('exit', () => {
        // Out of memory or killed, without an 'error' event (a worker waits for batches until terminated).
        if (!this.finished) this.fail(new Error('a worker thread exited while writing the connections'));
      });
    }
  }

  get size(): number { return this.workers.length; }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Resolves when a batch comes back or a worker fails. */
  changed(): Promise<void> {
    return new Promise((resolve) => { this.wake = resolve; });
  }

  /** Has every worker warm up on a copy of the first batch (json-worker.ts) and then say it is ready. */
  warmUp(first: Batch): void {
    const records = sharedBuffer(first.length);
    first.records.copy(records, 0, 0, first.length);
    const idOffsets = sharedFloats(first.count);
    idOffsets.set(first.idOffsets.subarray(0, first.count));
    const job: BatchJob = {
      seq: -1, records: records.buffer as SharedArrayBuffer, length: first.length, count: first.count,
      idOffsets: idOffsets.buffer as SharedArrayBuffer, first: false, out: null, warmUp: true,
    };
    for (const w of this.workers) w.postMessage(job);
  }

  /**
   * Sends a batch to the worker with the fewest in hand, among those warmed up unless `starting`
   * ones will do; false when every one has PER_WORKER.
   */
  send(batch: Batch, seq: number, starting: boolean): boolean {
    let k = -1;
    for (let j = 0; j < this.workers.length; j++) {
      if ((this.ready[j] || starting) && this.lent[j].size < PER_WORKER && (k === -1 || this.lent[j].size < this.lent[k].size)) k = j;
    }
    if (k === -1) return false;
    this.lent[k].set(seq, batch);
    batch.done = false;
    const job: BatchJob = {
      seq, records: batch.records.buffer as SharedArrayBuffer, length: batch.length, count: batch.count,
      idOffsets: batch.idOffsets.buffer as SharedArrayBuffer, first: seq === 0, out: (batch.out?.buffer ?? null) as SharedArrayBuffer | null,
      warmUp: false,
    };
    this.workers[k].postMessage(job);
    return true;
  }

  /** Stops the workers; not waited for (that takes ~30 ms), they hold nothing of the report's. */
  terminate(): void {
    this.finished = true;
    for (const w of this.workers) void w.terminate();
  }
}

/**
 * Every record of the store as writeConnections (json.ts) writes it (the same bytes), with
 * `setup.files` and `setup.separators`. Stops early once the sink is closed; a worker's failure is
 * thrown. The workers are told to stop when the promise settles.
 */
export async function writeConnectionsParallel(store: VerdictStore, setup: FormatterSetup, sink: ByteSink, options: ParallelWriteOptions): Promise<void> {
  const pool = new Pool(setup, options.workers);
  const here = options.formatHere ? new BatchFormatter(setup) : null;
  const cursor = store.cursor();
  const window = PER_WORKER * pool.size + (here === null ? 0 : HERE);
  /** Batches out, in order: at a worker, or formatted and waiting to be written. */
  const out: Batch[] = [];
  const spare: Batch[] = [];
  let seq = 0;
  let exhausted = false;
  try {
    for (;;) {
      if (pool.failure !== null) throw pool.failure;
      while (out.length > 0 && out[0].done) {
        const batch = out.shift()!;
        await sink.writeBytes(batch.out!.subarray(0, batch.outLength));
        spare.push(batch);
        if (pool.failure !== null) throw pool.failure;
      }
      if (sink.isClosed) return;
      if (!exhausted && out.length < window) {
        const batch = spare.pop() ?? newBatch(options.batchBytes);
        if (!fill(batch, cursor, store, options.batchBytes)) {
          exhausted = true;
          continue;
        }
        out.push(batch);
        const n = seq++;
        if (n === 0) pool.warmUp(batch);
        if (pool.send(batch, n, here === null)) continue;
        // Every worker busy or starting. (Without `here` some worker always has room: the window
        // is what they can hold.)
        const { bytes, length } = here!.format(batch.records.subarray(0, batch.length), batch.count, batch.idOffsets, n === 0, batch.out);
        batch.out = bytes;
        batch.outLength = length;
        batch.done = true;
        // Lets the workers' replies in, so that a worker gets its next batch before this thread
        // formats another.
        await new Promise(setImmediate);
        continue;
      }
      if (out.length === 0) return;
      await pool.changed();
    }
  } finally {
    pool.terminate();
  }
}

/** A batch sized for records of ~1 KB; its buffers grow for larger ones, and stay grown. */
function newBatch(batchBytes: number): Batch {
  return {
    records: sharedBuffer(batchBytes + (batchBytes >> 3)), length: 0, count: 0,
    idOffsets: sharedFloats(Math.max(1, batchBytes >> 10)), out: null, outLength: 0, done: false,
  };
}

const sharedFloats = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * n));

/** Copies the next records into `batch` until it holds `batchBytes`; false when none were left. */
function fill(batch: Batch, cursor: RecordCursor, store: VerdictStore, batchBytes: number): boolean {
  batch.length = 0;
  batch.count = 0;
  while (batch.length < batchBytes && cursor.next()) {
    const { buf, off } = cursor;
    const len = recordLength(buf, off);
    if (batch.length + len > batch.records.length) {
      const more = sharedBuffer(Math.max(2 * batch.records.length, batch.length + len));
      batch.records.copy(more, 0, 0, batch.length);
      batch.records = more;
    }
    buf.copy(batch.records, batch.length, off, off + len);
    if (batch.count === batch.idOffsets.length) {
      const more = sharedFloats(2 * batch.count);
      more.set(batch.idOffsets);
      batch.idOffsets = more;
    }
    batch.idOffsets[batch.count++] = store.idOffsetOf(buf, off);
    batch.length += len;
  }
  return batch.count > 0;
}
