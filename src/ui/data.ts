// What the UI shows, computed once when loading ends: the verdicts in id order, the summary (the
// same one the text report prints) and the capture's time span. Everything else is derived per
// screen from these and the UI state, with caches in model.ts.

import type { Verdict } from '../close/index.js';
import type { InputResult } from '../pipeline/index.js';
import { summarize, type Summary } from '../report/summary.js';
import { endpointsWidth } from './connections.js';

export interface UiData {
  inputs: InputResult[];
  /** Sorted by id. */
  verdicts: Verdict[];
  summary: Summary;
  startUs: number;
  endUs: number;
  /** The longest "client→server" text, for the list's endpoint column. */
  naturalEndpoints: number;
}

export interface PrepareOptions {
  portRange: [number, number];
  host?: string;
}

export function captureSpan(inputs: readonly InputResult[]): { startUs: number; endUs: number } {
  const starts = inputs.map((i) => i.firstUs).filter((t) => t >= 0);
  const startUs = starts.length ? Math.min(...starts) : 0;
  const endUs = Math.max(startUs, ...inputs.map((i) => i.lastUs));
  return { startUs, endUs };
}

export function prepareData(inputs: InputResult[], verdicts: Verdict[], options: PrepareOptions): UiData {
  const sorted = verdicts.slice().sort((a, b) => a.id - b.id);
  const { startUs, endUs } = captureSpan(inputs);
  const summary = summarize(sorted, startUs, endUs, { host: options.host, portRange: options.portRange });
  return { inputs, verdicts: sorted, summary, startUs, endUs, naturalEndpoints: endpointsWidth(sorted) };
}
