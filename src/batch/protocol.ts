// Messages between the batch coordinator and its worker threads (structured clone). A worker takes
// one input at a time and streams its verdicts back in batches, so neither side ever holds a whole
// input's verdicts as one message.

import type { CloseOptions, Verdict } from '../close/index.js';
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
  | { type: 'verdicts'; index: number; verdicts: Verdict[] }
  | { type: 'progress'; index: number; sourceBytes: number }
  | { type: 'done'; index: number; result: InputResult }
  /** A bug inside the worker (inputs never throw: their problems are in result.info.error). */
  | { type: 'failed'; index: number; message: string; stack: string };

/** Verdicts per message: big enough to amortise the cloning, small enough to interleave inputs. */
export const VERDICT_BATCH = 256;
