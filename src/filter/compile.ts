// The tree as a predicate over verdicts. The UI filters hundreds of thousands of verdicts on Enter,
// so each condition is a small closure doing string or number compares; `net` parses a verdict's
// address text once per distinct address (a few thousand in a big capture), not once per call.

import type { Severity, SideVerdict, Verdict } from '../close/index.js';
import { parseAddress, samePrefix, type ParsedAddress } from './address.js';
import type { Comparison, FilterNode, SeverityLevel, SideName } from './ast.js';

export type Predicate = (v: Verdict) => boolean;

const LEVEL_RANK: Record<SeverityLevel, number> = { none: 0, info: 1, warning: 2, error: 3 };
const SEVERITY_RANK: Record<Severity, number> = { info: 1, warning: 2, error: 3 };

function compare(cmp: Comparison, a: number, b: number): boolean {
  switch (cmp) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '=': return a === b;
    case '!=': return a !== b;
  }
}

/** The worst severity among a verdict's findings, 0 when it has none. */
export function worstSeverityRank(v: Verdict): number {
  let r = 0;
  for (const f of v.findings) if (SEVERITY_RANK[f.severity] > r) r = SEVERITY_RANK[f.severity];
  return r;
}

/** `test` on the client, the server, or either, as the side says. */
function onSides<T>(side: SideName | null, pick: (v: Verdict, s: SideName) => T, test: (x: T) => boolean): Predicate {
  if (side !== null) return (v) => test(pick(v, side));
  return (v) => test(pick(v, 'client')) || test(pick(v, 'server'));
}

function sideOf(v: Verdict, s: SideName): SideVerdict {
  return s === 'client' ? v.sides.client : v.sides.server;
}

export function compile(n: FilterNode): Predicate {
  switch (n.kind) {
    case 'all': return () => true;
    case 'or': {
      const items = n.items.map(compile);
      return (v) => { for (const p of items) if (p(v)) return true; return false; };
    }
    case 'and': {
      const items = n.items.map(compile);
      return (v) => { for (const p of items) if (!p(v)) return false; return true; };
    }
    case 'not': {
      const item = compile(n.item);
      return (v) => !item(v);
    }
    case 'host': {
      const names = new Set([n.address, ...n.alternates]);
      const port = n.port;
      return onSides(n.side, (v, s) => s === 'client' ? v.client : v.server,
        (e) => names.has(e.ip) && (port === null || e.port === port));
    }
    case 'port': {
      const { low, high } = n;
      return onSides(n.side, (v, s) => s === 'client' ? v.client.port : v.server.port, (p) => p >= low && p <= high);
    }
    case 'net': {
      const cache = new Map<string, ParsedAddress | null>();
      const { family, words, bits } = n;
      const inNet = (ip: string): boolean => {
        let a = cache.get(ip);
        if (a === undefined) { a = parseAddress(ip); cache.set(ip, a); }
        return a !== null && a.family === family && samePrefix(a.words, words, bits);
      };
      return onSides(n.side, (v, s) => s === 'client' ? v.client.ip : v.server.ip, inNet);
    }
    case 'state': {
      const state = n.state;
      return onSides(n.side, (v, s) => sideOf(v, s).finalState, (st) => st === state);
    }
    case 'finding': {
      const { code, side } = n;
      return (v) => v.findings.some((f) => f.code === code && (side === null || f.side === side));
    }
    case 'severity': {
      const { cmp } = n;
      const level = LEVEL_RANK[n.level];
      return (v) => compare(cmp, worstSeverityRank(v), level);
    }
    case 'closer': {
      const closer = n.closer;
      return (v) => (v.activeCloser ?? 'none') === closer;
    }
    case 'duration': {
      const { cmp, us, key } = n;
      if (key === 'connection') return (v) => compare(cmp, v.endUs - v.startUs, us);
      // A side that never entered the state has no time in it: it matches no comparison.
      return onSides(n.side, (v, s) => sideOf(v, s).durations[key], (d) => d !== null && compare(cmp, d, us));
    }
    case 'id': {
      const { cmp, value } = n;
      return (v) => compare(cmp, v.id, value);
    }
  }
}
