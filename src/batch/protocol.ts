// Messages between the batch coordinator and its worker threads (structured clone). A worker takes
// one input at a time and streams its verdicts back as compact records in 1 MiB buffers that are
// transferred, not cloned, so neither side ever holds a whole input's verdicts as one message.

import type { CloseOptions } from '../close/index.js';
import type { FlowOptions } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';
import type { InputTallyData } from '../store/host-votes.js';

export interface AnalyzeJob {
  type: 'job';
  index: number;
  file: string;
  close: CloseOptions;
  flow: Partial<FlowOptions>;
}

export type WorkerMessage =
  /** Verdicts as compact records (src/store/record.ts), keyed (input, id): the buffer is transferred. */
  | { type: 'records'; index: number; records: Uint8Array }
  | { type: 'progress'; index: number; sourceBytes: number }
  | { type: 'done'; index: number; result: InputResult }
  /** A bug inside the worker (inputs never throw: their problems are in result.info.error). */
  | { type: 'failed'; index: number; message: string; stack: string };

/** Bytes of records per message (~1800 verdicts): transferred, not cloned. */
export const RECORD_BATCH = 1 << 20;

/** The store key of a verdict of input `index` numbered `id` within it (ids are shifted later). */
export const recordKey = (index: number, id: number): number => index * 4294967296 + id;

// --- the close stage of one input on its own thread (offload.ts, close-worker.ts)

export interface OffloadSetup {
  index: number;
  close: CloseOptions;
}

/**
 * A batch of connections in slot `slot` (connection-codec.ts), conns[0, length). A slot's shared
 * buffers come with its first batch; the worker keeps them.
 */
export interface OffloadRequest {
  type: 'batch';
  slot: number;
  length: number;
  /** The slot's buffers (SharedArrayBuffers), with its first batch only. */
  buffers: { conns: Float64Array; records: Uint8Array } | null;
}

export type OffloadReply =
  /**
   * A batch judged: its records are in the slot's records buffer, [0, recordsLength), or in
   * `overflow` when they did not fit; with what VerdictStore.addTally needs of them, by input.
   */
  | { type: 'done'; slot: number; recordsLength: number; overflow: Uint8Array | null; tallies: InputTallyData[] }
  | { type: 'failed'; message: string; stack: string };

