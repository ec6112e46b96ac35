// The parsed filter, and its canonical text. Printing the tree (rather than echoing the input)
// means the UI can show exactly what it understood: keywords in lower case, states in the verdict's
// spelling, durations in one unit, and only the parentheses precedence needs.

import type { FindingCode, SideDurations, TcpState } from '../close/index.js';

export type SideName = 'client' | 'server';
export type Comparison = '>' | '>=' | '<' | '<=' | '=' | '!=';
export type SeverityLevel = 'none' | 'info' | 'warning' | 'error';
export type CloserName = 'client' | 'server' | 'both' | 'none';
/** A close state's time on a side, or the whole connection's duration. */
export type DurationKey = keyof SideDurations | 'connection';

export type FilterNode =
  | { kind: 'all' }
  | { kind: 'or'; items: FilterNode[] }
  | { kind: 'and'; items: FilterNode[] }
  | { kind: 'not'; item: FilterNode }
  /** `address` is RFC 5952 text, as in verdicts; `alternates` are other spellings of the same host (IPv4-mapped). */
  | { kind: 'host'; side: SideName | null; address: string; family: 4 | 6; alternates: string[]; port: number | null }
  | { kind: 'port'; side: SideName | null; low: number; high: number }
  | { kind: 'net'; side: SideName | null; family: 4 | 6; words: Uint32Array; bits: number; text: string }
  | { kind: 'state'; side: SideName | null; state: TcpState }
  | { kind: 'finding'; side: SideName | null; code: FindingCode }
  | { kind: 'severity'; cmp: Comparison; level: SeverityLevel }
  | { kind: 'closer'; closer: CloserName }
  | { kind: 'duration'; side: SideName | null; key: DurationKey; cmp: Comparison; us: number }
  | { kind: 'id'; cmp: Comparison; value: number };

export const DURATION_WORDS: Record<DurationKey, string> = {
  finWait1: 'fin-wait-1', finWait2: 'fin-wait-2', closing: 'closing', timeWait: 'time-wait',
  closeWait: 'close-wait', lastAck: 'last-ack', connection: 'duration',
};

/** Microseconds in the largest unit that writes them exactly ("90s", "1500ms", "2m"). */
export function formatFilterDuration(us: number): string {
  const units: [number, string][] = [[3_600_000_000, 'h'], [60_000_000, 'm'], [1_000_000, 's'], [1_000, 'ms']];
  if (us === 0) return '0s';
  for (const [size, name] of units) if (us % size === 0) return `${us / size}${name}`;
  return `${us}us`;
}

function sidePrefix(side: SideName | null): string {
  return side === null ? '' : `${side} `;
}

function bracketed(address: string, family: 4 | 6): string {
  return family === 6 ? `[${address}]` : address;
}

function termText(n: FilterNode): string {
  switch (n.kind) {
    case 'all': return '';
    case 'host': return `${sidePrefix(n.side)}host ${n.port === null ? n.address : `${bracketed(n.address, n.family)}:${n.port}`}`;
    case 'port': return `${sidePrefix(n.side)}port ${n.low === n.high ? n.low : `${n.low}-${n.high}`}`;
    case 'net': return `${sidePrefix(n.side)}net ${n.text}`;
    case 'state': return `${sidePrefix(n.side)}state ${n.state}`;
    case 'finding': return `${sidePrefix(n.side)}finding ${n.code}`;
    case 'severity': return n.cmp === '=' ? `severity ${n.level}` : `severity ${n.cmp} ${n.level}`;
    case 'closer': return `closer ${n.closer}`;
    case 'duration': return `${sidePrefix(n.side)}${DURATION_WORDS[n.key]} ${n.cmp} ${formatFilterDuration(n.us)}`;
    case 'id': return n.cmp === '=' ? `id ${n.value}` : `id ${n.cmp} ${n.value}`;
    default: return '';
  }
}

const PRECEDENCE: Record<string, number> = { or: 1, and: 2, not: 3 };

/** Canonical text: parsing it again gives the same tree. */
export function formatFilter(n: FilterNode): string {
  const inner = (child: FilterNode, parent: number): string => {
    const text = formatFilter(child);
    const p = PRECEDENCE[child.kind] ?? 4;
    return p < parent ? `(${text})` : text;
  };
  switch (n.kind) {
    case 'or': return n.items.map((c) => inner(c, PRECEDENCE.or)).join(' or ');
    case 'and': return n.items.map((c) => inner(c, PRECEDENCE.and)).join(' and ');
    // `not` binds tighter than `and`: anything but a single term needs parentheses under it.
    case 'not': return `not ${inner(n.item, PRECEDENCE.not)}`;
    default: return termText(n);
  }
}
