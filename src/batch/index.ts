// Public entry of the batch stage: command-line paths -> inputs -> verdicts, for many captures at
// once. Inputs come from files, directory walks, globs and stdin (walk.ts); each stands alone and
// is analysed in parallel worker threads (parallel.ts), or all are merged into one capture in time
// order (merged.ts). Whatever the jobs, the result is the same: inputs in the order given/walked,
// connection ids by input then first packet.

import type { CloseOptions, Verdict } from '../close/index.js';
import type { FlowOptions } from '../flow/index.js';
import { analyzeMerged } from './merged.js';
import { analyzeParallel, SPLIT_FROM, type ProgressEvent } from './parallel.js';
import type { BatchAnalysis, ResolvedInputs } from './types.js';
import { VerdictStore } from '../store/verdict-store.js';

export { resolveInputs } from './walk.js';
export { expandGlob, hasGlobMagic, matchPath, matchSegment } from './glob.js';
export { sniffFile, isCaptureMagic } from './sniff.js';
export { renumber } from './renumber.js';
export { WorkerFailure, type ProgressEvent } from './parallel.js';
export {
  SKIP_FAILS, type BatchAnalysis, type InputSpec, type ResolvedInputs, type SkipReason, type SkippedEntry,
} from './types.js';

export interface BatchOptions {
  close: CloseOptions;
  flow: Partial<FlowOptions>;
  /** Worker threads for separate inputs; with merge, more than one judges connections beside the merge. */
  jobs: number;
  /** See ParallelOptions.splitFrom. */
  splitFrom?: number;
  /** All inputs are one capture in time order (rotated files). */
  merge: boolean;
  /**
   * Keeps only the connections it accepts (the UI's filter language: src/filter). Applied after
   * numbering, so a connection's id is the same with and without a filter.
   */
  filter?: (v: Verdict) => boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export async function analyzeBatch(resolved: ResolvedInputs, options: BatchOptions): Promise<BatchAnalysis> {
  const run = { close: options.close, flow: options.flow, signal: options.signal, onProgress: options.onProgress };
  let result: BatchAnalysis;
  if (options.merge) {
    // One flow table on this thread: its connections judged beside it, as for one input.
    const sizes = resolved.inputs.map((i) => i.size);
    const split = options.jobs > 1 && (sizes.includes(null) || sizes.reduce<number>((a, b) => a + (b ?? 0), 0) >= (options.splitFrom ?? SPLIT_FROM));
    const m = await analyzeMerged(resolved.inputs, { ...run, split });
    result = { inputs: m.inputs, verdicts: m.verdicts, merged: m.flow, skipped: resolved.skipped };
  } else {
    const p = await analyzeParallel(resolved.inputs, { ...run, jobs: options.jobs, splitFrom: options.splitFrom });
    result = { inputs: p.inputs, verdicts: p.verdicts, merged: null, skipped: resolved.skipped };
  }
  const filter = options.filter;
  if (filter !== undefined) {
    if (result.verdicts instanceof VerdictStore) result.verdicts.setFilter(filter);
    else result.verdicts = [...result.verdicts].filter((v) => filter(v));
  }
  return result;
}
