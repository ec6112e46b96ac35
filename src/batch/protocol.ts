// Messages between the batch coordinator and its worker threads (structured clone). A worker takes
// one input at a time and hands its verdicts over when the input is done, as the spilled runs of
// its own VerdictStore (a file descriptor and positions), so neither side ever holds a whole
// input's verdicts as one message.

import type { CloseOptions } from '../close/index.js';
import type { FlowOptions } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';
import type { InputTallyData } from '../store/host-votes.js';
import type { SpillHandle } from '../store/spill.js';
import type { StorePart } from '../store/verdict-store.js';

export interface AnalyzeJob {
  type: 'job';
  index: number;
  file: string;
  /** The spill file for the input's verdicts, opened (and closed) by the coordinator. */
  spill: SpillHandle;
  close: CloseOptions;
  flow: Partial<FlowOptions>;
}

export type WorkerMessage =
  | { type: 'progress'; index: number; sourceBytes: number }
  /** The input's verdicts, keyed (input, id), for the coordinator's store to adopt. */
  | { type: 'done'; index: number; result: InputResult; part: StorePart }
  /** A bug inside the worker (inputs never throw: their problems are in result.info.error). */
  | { type: 'failed'; index: number; message: string; stack: string };

/** Bytes of records a close-stage worker batch holds before they are copied (~1800 verdicts). */
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

