// What every output format is written from: the analysis, the settings it was made with, and its
// aggregate. Built the same way from a run (cli report) and from shard reports (cli merge), which is
// what makes a merge of shards equal to one run.

import type { BatchAnalysis, SkippedEntry } from '../batch/types.js';
import type { Verdict } from '../close/index.js';
import { parseDuration } from '../common/duration.js';
import { parseInstant } from '../common/time.js';
import type { FlowStats } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';
import { aggregate, type Aggregate } from './aggregate.js';
import type { VerdictSource } from '../store/verdict-store.js';
import { quantizeVerdict, toUs } from './verdict-json.js';

/** The options a report was made with: they go into the JSON, and shards must agree on them. */
export interface ReportSettings {
  os: string;
  timeWaitUs: number;
  finWait2Us: number;
  closeWaitUs: number;
  /** --at as given (a relative "+30s" is resolved against each start: the total's and each input's). */
  at: string | null;
  host: string | null;
  portRange: [number, number];
  maxConnections: number;
  idleUs: number;
  zeekBoundaries: boolean;
  merge: boolean;
  /** --filter as given, or null. */
  filter: string | null;
}

export interface ReportModel {
  settings: ReportSettings;
  inputs: InputResult[];
  /** In id order: an array, or a VerdictStore (compact, spilled to disk past its budget). */
  verdicts: VerdictSource;
  merged: FlowStats | null;
  skipped: SkippedEntry[];
  aggregate: Aggregate;
}

/** Resolves --at against a start; null when the text is not an instant. */
export function resolveAt(at: string | null, startUs: number): number | undefined | null {
  if (at === null) return undefined;
  return parseInstant(at, startUs, parseDuration);
}

export function settingsJson(s: ReportSettings): Record<string, unknown> {
  return {
    os: s.os,
    timeWait: s.timeWaitUs / 1e6,
    finWait2: s.finWait2Us / 1e6,
    closeWait: s.closeWaitUs / 1e6,
    portRange: s.portRange,
    at: s.at,
    host: s.host,
    maxConnections: s.maxConnections,
    idle: s.idleUs / 1e6,
    zeekBoundaries: s.zeekBoundaries,
    merge: s.merge,
    filter: s.filter,
  };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Settings from a report's `options`; reports from before these fields get the defaults. */
export function settingsFromJson(o: Json): ReportSettings {
  return {
    os: o.os ?? 'linux',
    timeWaitUs: toUs(o.timeWait),
    finWait2Us: toUs(o.finWait2),
    closeWaitUs: toUs(o.closeWait),
    portRange: o.portRange,
    at: o.at ?? null,
    host: o.host ?? null,
    maxConnections: o.maxConnections ?? 500_000,
    idleUs: o.idle !== undefined ? toUs(o.idle) : 300_000_000,
    zeekBoundaries: o.zeekBoundaries ?? false,
    merge: o.merge ?? false,
    filter: o.filter ?? null,
  };
}

/**
 * Builds the model. Verdicts are quantized to whole microseconds first (the JSON's resolution), so
 * that the aggregate of a run and of its JSON read back are the same numbers. Inputs must be
 * numbered 0..n-1 in order and verdicts sorted by id.
 */
export function buildModel(analysis: BatchAnalysis, settings: ReportSettings): ReportModel {
  analysis.inputs.forEach((r, k) => {
    if (r.index !== k) throw new Error(`input ${r.file} has index ${r.index}, expected ${k}`);
  });
  // A VerdictStore holds verdicts quantized already: its records keep times rounded (src/store/record.ts).
  if (Array.isArray(analysis.verdicts)) for (const v of analysis.verdicts) quantizeVerdict(v);
  const agg = aggregate(analysis.inputs, analysis.verdicts, {
    host: settings.host ?? undefined,
    portRange: settings.portRange,
    at: (startUs) => resolveAt(settings.at, startUs) ?? undefined,
  });
  return { settings, inputs: analysis.inputs, verdicts: analysis.verdicts, merged: analysis.merged, skipped: analysis.skipped, aggregate: agg };
}
