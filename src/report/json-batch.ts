// Connections of the JSON and NDJSON reports formatted in batches: the records of a batch are
// copied one after another into one buffer (record.ts: each starts with its length), with each
// record's id offset beside them, so that a worker thread (json-worker.ts) can write their JSON
// while the main thread reads the store and writes the output. The bytes are JsonBytes', with the
// separators writeConnections (json.ts) puts around them: the same report as one thread writes.

import { recordLength } from '../store/record.js';
import { JsonBytes } from './json-bytes.js';

/** `first` before the report's first connection, `between` before the others, `after` after each. */
export interface Separators {
  first: string;
  between: string;
  after: string;
}

/** What a worker is started with (workerData). */
export interface FormatterSetup {
  /** The name written as "input" for each input index. */
  files: string[];
  separators: Separators;
}

/**
 * A batch for a worker, in memory both threads see (SharedArrayBuffer): handing over an
 * ArrayBuffer (transfer) cost the worker ~0.3 ms a message, a quarter of its time.
 */
export interface BatchJob {
  seq: number;
  /** `count` records, back to back, in `length` bytes. */
  records: SharedArrayBuffer;
  length: number;
  count: number;
  /** Float64Array: the id offset of each record (VerdictStore.idOffsetOf). */
  idOffsets: SharedArrayBuffer;
  /** Whether the batch holds the report's first connection. */
  first: boolean;
  /** Where to write the JSON (null: the worker allocates it). */
  out: SharedArrayBuffer | null;
  /** A copy of the first batch, to format a few times and drop before the first real one (json-worker.ts). */
  warmUp: boolean;
}

export type BatchReply =
  /** The warm-up is done: batches sent before would have waited for it. */
  | { type: 'ready' }
  /** The JSON is out[0, outLength): `out` is the job's, or a larger one. */
  | { type: 'done'; seq: number; out: SharedArrayBuffer; outLength: number }
  | { type: 'failed'; seq: number; message: string; stack: string };

/** A buffer over memory that can be handed to another thread. */
export const sharedBuffer = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));

export class BatchFormatter {
  private readonly out: JsonBytes;
  private readonly head: Buffer;
  private readonly pre: Buffer;
  private readonly post: Buffer;

  constructor(setup: FormatterSetup) {
    this.out = new JsonBytes(setup.files, 0);
    this.head = Buffer.from(setup.separators.first);
    this.pre = Buffer.from(setup.separators.between);
    this.post = Buffer.from(setup.separators.after);
  }

  /**
   * Writes the JSON of the records (`count` of them, back to back) into `into`, or into a shared
   * buffer of its own when `into` is null or too small. Returns the buffer written and how much.
   */
  format(records: Buffer, count: number, idOffsets: Float64Array, first: boolean, into: Buffer | null): { bytes: Buffer; length: number } {
    const out = this.out;
    // ~3 bytes of JSON a byte of record: room for nearly every batch.
    out.buf = into ?? sharedBuffer(4 * records.length + 4096);
    out.len = 0;
    for (let i = 0, off = 0; i < count; i++) {
      out.raw(i === 0 && first ? this.head : this.pre);
      out.connection(records, off, idOffsets[i]);
      out.raw(this.post);
      off += recordLength(records, off);
    }
    let bytes = out.buf;
    if (!(bytes.buffer instanceof SharedArrayBuffer)) {
      // Grown (JsonBytes allocates ordinary memory): copied to memory the other threads can see.
      bytes = sharedBuffer(out.buf.length);
      out.buf.copy(bytes, 0, 0, out.len);
    }
    return { bytes, length: out.len };
  }
}
