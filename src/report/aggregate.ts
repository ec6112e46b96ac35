// The batch aggregate: the summary over all inputs (summary.ts), the same summary for each input on
// its own, findings by input, and the worst connections. Everything here is a function of the
// verdicts and input results alone, so a report rebuilt from JSON shards (merge.ts) aggregates to
// exactly what one run over all inputs gives.

import type { Severity, Verdict } from '../close/index.js';
import type { InputResult } from '../pipeline/index.js';
import { MemoryBudget } from '../store/number-bag.js';
import type { VerdictOutline } from '../store/record.js';
import type { VerdictSource } from '../store/verdict-store.js';
import { HostVotes, SummaryBuilder, type Summary, type SummaryOptions } from './summary.js';

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
  /** The verdicts of every connection in worst and worstByInput (the report shows their details). */
  worstVerdicts: Map<number, Verdict>;
}



export function maxSeverity(v: Pick<VerdictOutline, 'findings'>): Severity | null {
  let rank = 0;
  for (const f of v.findings) rank = Math.max(rank, SEVERITY_RANK[f.severity]);
  return RANK_SEVERITY[rank];
}

function worstEntry(v: VerdictOutline): WorstConnection {
  let serious = 0;
  for (const f of v.findings) if (f.severity !== 'info') serious++;
  return { id: v.id, input: v.input, maxSeverity: maxSeverity(v), serious, codes: v.findings.map((f) => f.code) };
}

const rankOf = (w: WorstConnection): number => (w.maxSeverity === null ? 0 : SEVERITY_RANK[w.maxSeverity]);
/** Below 0 when a connection of this rank, serious findings and id goes before `b` in the list. */
const worseThan = (rank: number, serious: number, id: number, b: WorstConnection): number =>
  rankOf(b) - rank || b.serious - serious || id - b.id;
/** Worse first: highest severity, then most warnings and errors, then the earliest id (stable). */
const worse = (a: WorstConnection, b: WorstConnection): number => worseThan(rankOf(a), a.serious, a.id, b);

/** The `limit` worst connections seen so far, kept sorted, with their whole verdicts. */
class WorstList {
  readonly entries: WorstConnection[] = [];
  readonly verdicts: Verdict[] = [];
  constructor(private readonly limit: number) {}
  /** `whole()`: the verdict `v` outlines, asked for only when it makes the list. */
  offer(v: VerdictOutline, whole: () => Verdict): void {
    if (this.limit <= 0) return;
    let serious = 0, rank = 0;
    for (const f of v.findings) {
      if (f.severity !== 'info') serious++;
      rank = Math.max(rank, SEVERITY_RANK[f.severity]);
    }
    if (serious === 0) return;
    const e = this.entries;
    // Not before the last of a full list: nothing to make (a flood has a warning on every connection).
    if (e.length === this.limit && worseThan(rank, serious, v.id, e[e.length - 1]) >= 0) return;
    const w = worstEntry(v);
    let i = e.length;
    while (i > 0 && worse(w, e[i - 1]) < 0) i--;
    e.splice(i, 0, w);
    this.verdicts.splice(i, 0, whole());
    if (e.length > this.limit) { e.pop(); this.verdicts.pop(); }
  }
}

/**
 * The connections most worth a look: highest severity first, then most warnings and errors, then
 * the earliest id (stable). Connections with only info findings never make the list.
 */
export function worstConnections(verdicts: Iterable<Verdict>, limit = WORST_LIMIT): WorstConnection[] {
  const list = new WorstList(limit);
  for (const v of verdicts) list.offer(v, () => v);
  return list.entries;
}

export interface AggregateOptions extends Omit<SummaryOptions, 'atUs'> {
  /** The histogram's instant, resolved against a start: absolute, relative, or the end by default. */
  at: (startUs: number) => number | undefined;
}

function span(inputs: readonly InputResult[]): { startUs: number; endUs: number } {
  const starts = inputs.map((i) => i.firstUs).filter((t) => t >= 0);
  return { startUs: starts.length > 0 ? Math.min(...starts) : 0, endUs: Math.max(0, ...inputs.map((i) => i.lastUs)) };
}

/** The capture-host votes over all verdicts and for each input, and how many verdicts are not input 0's. */
function countVotes(inputs: readonly InputResult[], verdicts: VerdictSource): { total: HostVotes; perInput: HostVotes[]; otherInputs: number } {
  let total = new HostVotes();
  const perInput = inputs.map(() => new HostVotes());
  let otherInputs = 0;
  const counted = verdicts.hostVotesByInput?.() ?? null;
  if (counted !== null) {
    // Counted votes are only read from here on: an input's are its own as they are, and a lone
    // input's are the total. Copying them copied two maps of every address (a second of a SYN
    // flood from a million sources).
    for (const [input, votes] of counted) {
      if (counted.size === 1) total = votes;
      else total.merge(votes);
      if (input > 0) otherInputs += votes.count;
      if (input < perInput.length) perInput[input] = votes;
    }
  } else {
    for (const v of verdicts) {
      total.add(v.vantage, v.client.ip, v.server.ip);
      if (v.input > 0) otherInputs++;
      perInput[v.input]?.add(v.vantage, v.client.ip, v.server.ip);
    }
  }
  return { total, perInput, otherInputs };
}

/** Each verdict in id order as an outline, and how to get all of it (see VerdictSource.forEachOutline). */
function forEachOutline(verdicts: VerdictSource, fn: (v: VerdictOutline, whole: () => Verdict) => void): void {
  if (verdicts.forEachOutline !== undefined) verdicts.forEachOutline(fn);
  else for (const v of verdicts) fn(v, () => v);
}

/**
 * The capture-host votes first (a VerdictStore counted them as verdicts came), then one pass over
 * the verdicts' outlines in id order; memory does not grow with the connections (see SummaryBuilder).
 */
export function aggregate(inputs: readonly InputResult[], verdicts: VerdictSource, options: AggregateOptions): Aggregate {
  const { startUs, endUs } = span(inputs);
  const base = { host: options.host, portRange: options.portRange };
  const { total: totalVotes, perInput: inputVotes, otherInputs } = countVotes(inputs, verdicts);

  const budget = new MemoryBudget();
  const total = new SummaryBuilder(totalVotes, startUs, endUs, { ...base, atUs: options.at(startUs) }, budget);
  // One input: its own summary is the total (same span, same instant, same connections).
  const shared = inputs.length === 1 && otherInputs === 0;
  const builders = shared ? [total] : inputs.map((r, k) => {
    const own = span([r]);
    return new SummaryBuilder(inputVotes[k], own.startUs, own.endUs, { ...base, atUs: options.at(own.startUs) }, budget);
  });
  const worst = new WorstList(WORST_LIMIT);
  const worstByInput = inputs.map(() => new WorstList(WORST_LIMIT));
  forEachOutline(verdicts, (v, whole) => {
    total.add(v);
    if (!shared) builders[v.input]?.add(v);
    worst.offer(v, whole);
    worstByInput[v.input]?.offer(v, whole);
  });
  const totalSummary = total.finish();
  const perInput = shared ? [structuredClone(totalSummary)] : builders.map((b) => b.finish());
  budget.close();
  const findingsByInput = inputs.map((r, k): InputFindings => {
    const s = perInput[k];
    const byCode: Record<string, number> = {};
    for (const [code, x] of Object.entries(s.findingsByCode)) byCode[code] = x.count;
    return { input: r.index, connections: s.connections, bySeverity: { ...s.findingsBySeverity }, byCode };
  });
  const worstVerdicts = new Map<number, Verdict>();
  for (const list of [worst, ...worstByInput]) list.entries.forEach((w, i) => worstVerdicts.set(w.id, list.verdicts[i]));
  return {
    total: totalSummary,
    perInput,
    findingsByInput,
    worst: worst.entries,
    worstByInput: worstByInput.map((l) => l.entries),
    worstVerdicts,
  };
}
