// --fail-on for CI gates: a comma-separated list of severities and finding codes. A severity means
// that severity or worse (`warning` = warning or error); a code means that code. The gate matches
// when any reported finding (a connection's, or a capture-wide one such as ephemeral-port-pressure)
// is selected.

import { SEVERITY, type FindingCode, type Severity } from '../close/index.js';
import type { Finding } from '../close/index.js';
import { SEVERITY_RANK } from './aggregate.js';
import type { ReportModel } from './model.js';

export interface FailOn {
  /** Lowest severity that fails, or null. */
  minSeverity: Severity | null;
  codes: Set<string>;
  /** As given, for messages. */
  text: string;
}

export type FailOnParse = { ok: true; failOn: FailOn } | { ok: false; message: string };

export function parseFailOn(text: string): FailOnParse {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) return { ok: false, message: '--fail-on needs a severity (error, warning, info) or finding codes' };
  let minSeverity: Severity | null = null;
  const codes = new Set<string>();
  const unknown: string[] = [];
  for (const item of items) {
    if (item === 'error' || item === 'warning' || item === 'info') {
      if (minSeverity === null || SEVERITY_RANK[item] < SEVERITY_RANK[minSeverity]) minSeverity = item;
    } else if (item in SEVERITY) {
      codes.add(item);
    } else {
      unknown.push(item);
    }
  }
  if (unknown.length > 0) {
    return { ok: false, message: `--fail-on: unknown finding code${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} (severities: error, warning, info; codes: finscope explain)` };
  }
  return { ok: true, failOn: { minSeverity, codes, text } };
}

export function findingFails(f: Finding, gate: FailOn): boolean {
  if (gate.codes.has(f.code)) return true;
  return gate.minSeverity !== null && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[gate.minSeverity];
}

/** Findings that trip the gate, counted by code (empty: the gate passes). */
export function failOnMatches(model: ReportModel, gate: FailOn): Map<FindingCode, number> {
  const hits = new Map<FindingCode, number>();
  const note = (f: Finding): void => { if (findingFails(f, gate)) hits.set(f.code, (hits.get(f.code) ?? 0) + 1); };
  for (const v of model.verdicts) for (const f of v.findings) note(f);
  for (const f of model.aggregate.total.findings) note(f);
  return hits;
}
