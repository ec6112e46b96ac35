// Messages between the batch coordinator and its worker threads (structured clone). A worker takes
// one input at a time and streams its verdicts back as compact records in 1 MiB buffers that are
// transferred, not cloned, so neither side ever holds a whole input's verdicts as one message.

import type { CloseOptions } from '../close/index.js';
import type { FlowOptions } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';

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
