// The batch aggregate: the summary over all inputs (summary.ts), the same summary for each input on
// its own, findings by input, and the worst connections. Everything here is a function of the
// verdicts and input results alone, so a report rebuilt from JSON shards (merge.ts) aggregates to
// exactly what one run over all inputs gives.

import type { Severity, Verdict } from '../close/index.js';
import type { InputResult } from '../pipeline/index.js';
import { summarize, type Summary, type SummaryOptions } from './summary.js';

export const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };
const RANK_SEVERITY: (Severity | null)[] = [null, 'info', 'warning', 'error'];

/** Most connections listed as the worst, per input and in total. */
export const WORST_LIMIT = 10;

export interface WorstConnection {
  id: number;
  input: number;
  maxSeverity: Severity | null;
  /** Findings at warning or error. */
  serious: number;
  codes: string[];
}

export interface InputFindings {
  input: number;
  connections: number;
  bySeverity: { error: number; warning: number; info: number };
  byCode: Record<string, number>;
}

export interface Aggregate {
  /** Over every input (with --merge: over the one merged capture). */
  total: Summary;
  /** Each input standing alone: its own start, end and default instant. */
  perInput: Summary[];
  findingsByInput: InputFindings[];
  worst: WorstConnection[];
  worstByInput: WorstConnection[][];
}

export function maxSeverity(v: Verdict): Severity | null {
  let rank = 0;
  for (const f of v.findings) rank = Math.max(rank, SEVERITY_RANK[f.severity]);
  return RANK_SEVERITY[rank];
}

function worstEntry(v: Verdict): WorstConnection {
  let serious = 0;
  for (const f of v.findings) if (f.severity !== 'info') serious++;
  return { id: v.id, input: v.input, maxSeverity: maxSeverity(v), serious, codes: v.findings.map((f) => f.code) };
}

/**
 * The connections most worth a look: highest severity first, then most warnings and errors, then
 * the earliest id (stable). Connections with only info findings never make the list.
 */
export function worstConnections(verdicts: readonly Verdict[], limit = WORST_LIMIT): WorstConnection[] {
  const ranked: WorstConnection[] = [];
  for (const v of verdicts) {
    const w = worstEntry(v);
    if (w.serious > 0) ranked.push(w);
  }
  const rank = (w: WorstConnection): number => (w.maxSeverity === null ? 0 : SEVERITY_RANK[w.maxSeverity]);
  ranked.sort((a, b) => rank(b) - rank(a) || b.serious - a.serious || a.id - b.id);
  return ranked.slice(0, limit);
}

export interface AggregateOptions extends Omit<SummaryOptions, 'atUs'> {
  /** The histogram's instant, resolved against a start: absolute, relative, or the end by default. */
  at: (startUs: number) => number | undefined;
}

function span(inputs: readonly InputResult[]): { startUs: number; endUs: number } {
  const starts = inputs.map((i) => i.firstUs).filter((t) => t >= 0);
  return { startUs: starts.length > 0 ? Math.min(...starts) : 0, endUs: Math.max(0, ...inputs.map((i) => i.lastUs)) };
}

export function aggregate(inputs: readonly InputResult[], verdicts: readonly Verdict[], options: AggregateOptions): Aggregate {
  const { startUs, endUs } = span(inputs);
  const base = { host: options.host, portRange: options.portRange };
  const total = summarize(verdicts as Verdict[], startUs, endUs, { ...base, atUs: options.at(startUs) });
  const byInput: Verdict[][] = inputs.map(() => []);
  for (const v of verdicts) byInput[v.input]?.push(v);
  const perInput = inputs.map((r, k) => {
    const own = span([r]);
    return summarize(byInput[k], own.startUs, own.endUs, { ...base, atUs: options.at(own.startUs) });
  });
  const findingsByInput = inputs.map((r, k): InputFindings => {
    const s = perInput[k];
    const byCode: Record<string, number> = {};
    for (const [code, x] of Object.entries(s.findingsByCode)) byCode[code] = x.count;
    return { input: r.index, connections: s.connections, bySeverity: { ...s.findingsBySeverity }, byCode };
  });
  return {
    total,
    perInput,
    findingsByInput,
    worst: worstConnections(verdicts),
    worstByInput: byInput.map((vs) => worstConnections(vs)),
  };
}
