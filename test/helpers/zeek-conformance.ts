// Differential check against Zeek: rebuild every trace of the shared conformance set with the real
// pipeline, match our connections to the TCP rows of the conn.log Zeek wrote for it, and compare
// conn_state (and history, for information). Used by test/close/zeek-conformance.test.ts and by
// scripts/zeek-conformance.ts, which prints the same report in detail.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecodeKind, formatAddress } from '../../src/decode/index.js';
import type { Connection } from '../../src/flow/index.js';
import { zeekConnState, zeekEndpoints } from '../../src/close/zeek.js';
import { rebuild } from './analyze-file.js';

export const ZEEK_CONFORMANCE_DIR = '/work/shared/conformance/zeek';

/** One TCP row of a Zeek conn.log baseline (fields the baseline lacks are null). */
interface ZeekRow {
  orig_h: string | null;
  orig_p: number | null;
  resp_h: string | null;
  resp_p: number | null;
  conn_state: string | null;
  history: string | null;
  orig_pkts: number | null;
  resp_pkts: number | null;
  tunnel_parents: string[] | string | null;
}

interface ManifestPair {
  trace_file: string;
  expected_file: string;
  zeek_flags: string[];
  completeness: 'full' | 'partial';
  checksum_sensitive: boolean;
  trace_bad_checksums: number;
  trace_info: { tunnel_hints: string[]; ipv4_header_checksum_bad: number };
}

/** Why a Zeek row is left out of the agreement figure. Every class is printed with its count. */
export type ExclusionClass =
  /**
   * The row is a connection inside a tunnel (tunnel_parents set) and no TCP came out of a tunnel
   * in this trace: the tunnel is not one the decode stage steps through (AYIYA, L2TP, ...).
   * Tunnel rows of traces where we did decode tunnelled TCP are compared like any other row.
   */
  | 'tunnel'
  /** We saw no TCP where Zeek did because the link encapsulation is not one we decode. */
  | 'link-not-decoded';

export const EXCLUSION_REASONS: Record<ExclusionClass, string> = {
  tunnel: 'inner connection of a tunnel finscope does not decode (no TCP came out of a tunnel in this trace)',
  'link-not-decoded': 'link encapsulation finscope does not decode: no TCP reached the flow stage',
};

export interface RowResult {
  trace: string;
  /** "orig_h:orig_p > resp_h:resp_p" as Zeek logged it (missing fields as "?"), or null. */
  tuple: string | null;
  zeekState: string | null;
  zeekHistory: string | null;
  /** Our matched connection, or null when none matched. */
  connId: number | null;
  ourState: string | null;
  ourHistory: string | null;
  /** Zeek endpoint states we derived, "orig/resp". */
  ourEndpoints: string | null;
  /** Whether our client is Zeek's originator. */
  orientation: 'same' | 'swapped' | null;
  /** When the roles are swapped: the conn_state we derive with Zeek's roles. */
  ourStateWithZeekRoles: string | null;
  exclusion: ExclusionClass | null;
  /** conn_state agreement; null when Zeek's row has no conn_state (partial baseline) or excluded. */
  agree: boolean | null;
  /** History agreement, ignoring Zeek's 'X' (analyzer limit) letter; null when either is missing. */
  historyAgree: boolean | null;
  /** For a conn_state disagreement: which kind (see DISAGREEMENT_CLASSES). */
  disagreement: DisagreementClass | null;
}

/** Kinds of conn_state disagreement, told apart mechanically so the report can count them. */
export type DisagreementClass =
  /** Zeek logged a connection that none of ours matched: it split a 4-tuple's packets where we did not. */
  | 'zeek-split'
  /** Ours spans packets Zeek logged as another connection on the same 4-tuple. */
  | 'merged'
  /** Our client is Zeek's responder. */
  | 'roles-swapped'
  /** Same connection boundaries and roles, different state: the close stage's own error. */
  | 'state';

export const DISAGREEMENT_CLASSES: Record<DisagreementClass, string> = {
  'zeek-split': 'Zeek logged a connection none of ours matches: it ended a connection (timer, reuse) where the flow stage did not',
  merged: 'our connection also holds packets Zeek logged as another connection on the same 4-tuple',
  'roles-swapped': 'our client is Zeek\'s responder (role heuristics differ)',
  state: 'same boundaries and roles, different conn_state: a close-stage error',
};

export interface TraceResult {
  trace: string;
  rows: RowResult[];
  /** Our connections that no Zeek row matched. */
  unmatched: { id: number; tuple: string; state: string; history: string }[];
  /** Set when the pipeline failed on the trace. */
  error: string | null;
  /** Packets dropped as Zeek drops them (bad checksums, Zeek run without -C). */
  badChecksumDrops: number;
}

export interface ConformanceReport {
  traces: TraceResult[];
  /** In-scope rows with a Zeek conn_state. */
  compared: number;
  agreed: number;
  excluded: Record<ExclusionClass, number>;
  /** Packets dropped for bad checksums, as Zeek did (pairs run without -C). */
  badChecksumDrops: number;
  /** Rows with a Zeek conn_state, excluded ones included: the strict figure. */
  comparedStrict: number;
  historyCompared: number;
  historyAgreed: number;
  /** In-scope rows with a conn_state that one of our connections matched, and how many agreed. */
  matched: number;
  matchedAgreed: number;
  disagreements: Record<DisagreementClass, number>;
}

function normAddr(a: string): string {
  if (!a.includes(':')) return a;
  try {
    return new URL(`http://[${a}]/`).hostname;
  } catch {
    return a.toLowerCase();
  }
}

function connAddr(c: Connection, i: 0 | 1): string {
  return normAddr(formatAddress(c.family, c.addrs[i]));
}

function connTuple(c: Connection): string {
  return `${connAddr(c, 0)}:${c.ports[0]} > ${connAddr(c, 1)}:${c.ports[1]}`;
}

function rowTuple(r: ZeekRow): string | null {
  if (r.orig_h === null && r.orig_p === null && r.resp_h === null && r.resp_p === null) return null;
  const q = (v: unknown): string => (v === null ? '?' : String(v));
  return `${r.orig_h === null ? '?' : normAddr(r.orig_h)}:${q(r.orig_p)} > ${r.resp_h === null ? '?' : normAddr(r.resp_h)}:${q(r.resp_p)}`;
}

/** Orientation of `c` relative to the row when every tuple field the row has fits, else null. */
function fits(r: ZeekRow, c: Connection): 'same' | 'swapped' | null {
  const side = (i: 0 | 1, h: string | null, p: number | null): boolean =>
    (h === null || normAddr(h) === connAddr(c, i)) && (p === null || p === c.ports[i]);
  if (side(0, r.orig_h, r.orig_p) && side(1, r.resp_h, r.resp_p)) return 'same';
  if (side(1, r.orig_h, r.orig_p) && side(0, r.resp_h, r.resp_p)) return 'swapped';
  return null;
}

function stripX(history: string): string {
  return history.replace(/X/g, '');
}

interface Ours { conn: Connection; state: string; history: string; endpoints: string }

/** How well a row and one of our connections go together; > 0 always, so pairing beats skipping. */
function pairScore(r: ZeekRow, o: Ours): number {
  let s = 1;
  if (r.history !== null && stripX(r.history) === o.history) s += 4;
  if (r.conn_state !== null && r.conn_state === o.state) s += 2;
  return s;
}

/** Order-preserving best pairing of rows and connections (both in order of appearance). */
function align(rows: ZeekRow[], ours: Ours[]): (Ours | null)[] {
  const n = rows.length, m = ours.length;
  const best: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      best[i][j] = Math.max(best[i + 1][j], best[i][j + 1], pairScore(rows[i], ours[j]) + best[i + 1][j + 1]);
    }
  }
  const out: (Ours | null)[] = new Array<Ours | null>(n).fill(null);
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (best[i][j] === pairScore(rows[i], ours[j]) + best[i + 1][j + 1]) {
      out[i] = ours[j];
      i++;
      j++;
    } else if (best[i][j] === best[i + 1][j]) {
      i++;
    } else {
      j++;
    }
  }
  return out;
}

function isTunnelRow(r: ZeekRow): boolean {
  return r.tunnel_parents !== null && !(Array.isArray(r.tunnel_parents) && r.tunnel_parents.length === 0);
}

export async function compareTrace(dir: string, pair: ManifestPair): Promise<TraceResult> {
  const expected = JSON.parse(readFileSync(join(dir, pair.expected_file), 'utf8')) as { rows: ZeekRow[] };
  const result: TraceResult = { trace: pair.trace_file, rows: [], unmatched: [], error: null, badChecksumDrops: 0 };
  let ours: Ours[] = [];
  let undecodedLink = 0;
  let tunnelledTcp = 0;
  try {
    // Without -C Zeek does not process packets with bad checksums; do the same so that both see
    // the same packets (finscope itself keeps them).
    const rebuilt = await rebuild(join(dir, 'traces', pair.trace_file), { dropBadChecksums: !pair.zeek_flags.includes('-C'), flow: { zeekBoundaries: process.env.FINSCOPE_ZEEK_BOUNDARIES !== '0' } });
    result.badChecksumDrops = rebuilt.badChecksumDrops;
    ours = rebuilt.connections.map((conn) => {
      const m = zeekEndpoints(conn);
      return { conn, state: zeekConnState(conn), history: conn.history, endpoints: `${m.state[0]}/${m.state[1]}` };
    });
    tunnelledTcp = rebuilt.tunnelledTcp;
    undecodedLink = (rebuilt.decodeKinds[DecodeKind.OtherLink] ?? 0) + (rebuilt.decodeKinds[DecodeKind.UnsupportedLink] ?? 0);
    if (rebuilt.info.error !== null) result.error = `${rebuilt.info.error.kind}: ${rebuilt.info.error.message}`;
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  }

  // Rows with a (partial) 4-tuple are matched per tuple, in order (a reused 4-tuple logs its
  // connections in the order they started); rows without one are a multiset matched on content.
  const matchedTo = new Map<ZeekRow, Ours>();
  const used = new Set<Ours>();
  const groups = new Map<string, ZeekRow[]>();
  const loose: ZeekRow[] = [];
  for (const r of expected.rows) {
    const t = rowTuple(r);
    if (t === null) loose.push(r);
    else {
      // Either orientation is the same 4-tuple.
      const key = [t.split(' > ')[0], t.split(' > ')[1]].sort().join(' | ');
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [r]);
      else g.push(r);
    }
  }
  for (const rows of groups.values()) {
    const candidates = ours.filter((o) => !used.has(o) && fits(rows[0], o.conn) !== null);
    const paired = align(rows, candidates);
    rows.forEach((r, i) => {
      const o = paired[i];
      if (o !== null) {
        matchedTo.set(r, o);
        used.add(o);
      }
    });
  }
  for (const r of loose) {
    let pick: Ours | null = null;
    for (const o of ours) {
      if (used.has(o)) continue;
      if (pick === null || pairScore(r, o) > pairScore(r, pick)) pick = o;
    }
    if (pick !== null) {
      matchedTo.set(r, pick);
      used.add(pick);
    }
  }

  for (const r of expected.rows) {
    const o = matchedTo.get(r) ?? null;
    let exclusion: ExclusionClass | null = null;
    if (isTunnelRow(r) && tunnelledTcp === 0) exclusion = 'tunnel';
    else if (o === null && undecodedLink > 0 && ours.length === 0) exclusion = 'link-not-decoded';
    const zeekHistory = r.history;
    result.rows.push({
      trace: pair.trace_file,
      tuple: rowTuple(r),
      zeekState: r.conn_state,
      zeekHistory,
      connId: o?.conn.id ?? null,
      ourState: o?.state ?? null,
      ourHistory: o?.history ?? null,
      ourEndpoints: o?.endpoints ?? null,
      orientation: o === null ? null : fits(r, o.conn),
      ourStateWithZeekRoles: o !== null && fits(r, o.conn) === 'swapped' ? zeekConnState(o.conn, 1) : null,
      exclusion,
      agree: exclusion !== null || r.conn_state === null ? null : o !== null && o.state === r.conn_state,
      historyAgree: exclusion !== null || zeekHistory === null || o === null ? null : stripX(zeekHistory) === o.history,
      disagreement: null,
    });
  }
  // Classify disagreements once every row knows its match.
  const splitTuples = new Set(result.rows.filter((r) => r.connId === null && r.exclusion === null).map((r) => r.tuple));
  for (const r of result.rows) {
    if (r.agree !== false) continue;
    if (r.connId === null) r.disagreement = 'zeek-split';
    else if (r.tuple !== null && splitTuples.has(r.tuple)) r.disagreement = 'merged';
    else if (r.orientation === 'swapped') r.disagreement = 'roles-swapped';
    else r.disagreement = 'state';
  }
  for (const o of ours) {
    if (!used.has(o)) result.unmatched.push({ id: o.conn.id, tuple: connTuple(o.conn), state: o.state, history: o.history });
  }
  return result;
}

export function conformanceAvailable(dir = ZEEK_CONFORMANCE_DIR): boolean {
  return existsSync(join(dir, 'manifest.json'));
}

export async function runConformance(dir = ZEEK_CONFORMANCE_DIR): Promise<ConformanceReport> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { pairs: ManifestPair[] };
  const report: ConformanceReport = {
    traces: [], compared: 0, agreed: 0, excluded: { tunnel: 0, 'link-not-decoded': 0 }, badChecksumDrops: 0,
    comparedStrict: 0, historyCompared: 0, historyAgreed: 0, matched: 0, matchedAgreed: 0,
    disagreements: { 'zeek-split': 0, merged: 0, 'roles-swapped': 0, state: 0 },
  };
  for (const pair of manifest.pairs) {
    const t = await compareTrace(dir, pair);
    report.traces.push(t);
    report.badChecksumDrops += t.badChecksumDrops;
    for (const r of t.rows) {
      if (r.exclusion !== null) report.excluded[r.exclusion]++;
      if (r.zeekState !== null) report.comparedStrict++;
      if (r.agree !== null) {
        report.compared++;
        if (r.agree) report.agreed++;
        if (r.connId !== null) {
          report.matched++;
          if (r.agree) report.matchedAgreed++;
        }
      }
      if (r.disagreement !== null) report.disagreements[r.disagreement]++;
      if (r.historyAgree !== null) {
        report.historyCompared++;
        if (r.historyAgree) report.historyAgreed++;
      }
    }
  }
  return report;
}

function pct(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`;
}

function rowLine(r: RowResult): string {
  const swapped = r.orientation === 'swapped' ? `, roles swapped; with Zeek's roles ${r.ourStateWithZeekRoles}` : '';
  const ours = r.connId === null ? 'no connection' : `#${r.connId} ${r.ourState} ${r.ourHistory || '-'} (${r.ourEndpoints}${swapped})`;
  return `${r.trace}  ${r.tuple ?? '(no 4-tuple)'}  zeek ${r.zeekState ?? '-'} ${r.zeekHistory ?? '-'}  ours ${ours}`;
}

/** The summary and every conn_state disagreement and exclusion, one line each. */
export function formatReport(report: ConformanceReport, detail = false): string {
  const lines: string[] = [];
  lines.push(`conn_state agreement: ${report.agreed}/${report.compared} in-scope rows (${pct(report.agreed, report.compared)})`);
  const strictAgreed = report.agreed;
  lines.push(`strict (excluded rows counted as disagreements): ${strictAgreed}/${report.comparedStrict} (${pct(strictAgreed, report.comparedStrict)})`);
  lines.push(`on rows matched to one of our connections: ${report.matchedAgreed}/${report.matched} (${pct(report.matchedAgreed, report.matched)})`);
  lines.push(`history agreement (Zeek's X letter ignored): ${report.historyAgreed}/${report.historyCompared} (${pct(report.historyAgreed, report.historyCompared)})`);
  lines.push(`packets dropped for a bad checksum as Zeek did (pairs Zeek ran without -C): ${report.badChecksumDrops}`);
  lines.push('exclusions:');
  for (const k of Object.keys(report.excluded) as ExclusionClass[]) {
    lines.push(`  ${k}: ${report.excluded[k]} row(s) - ${EXCLUSION_REASONS[k]}`);
  }
  const rows = report.traces.flatMap((t) => t.rows);
  const excluded = rows.filter((r) => r.exclusion !== null);
  if (excluded.length > 0) {
    lines.push('excluded rows:');
    for (const r of excluded) lines.push(`  [${r.exclusion}] ${rowLine(r)}`);
  }
  const disagreements = rows.filter((r) => r.agree === false);
  lines.push(`conn_state disagreements (${disagreements.length}):`);
  for (const k of Object.keys(report.disagreements) as DisagreementClass[]) {
    lines.push(`  ${k}: ${report.disagreements[k]} - ${DISAGREEMENT_CLASSES[k]}`);
  }
  for (const r of disagreements) lines.push(`  [${r.disagreement}] ${rowLine(r)}`);
  const historyOnly = rows.filter((r) => r.agree === null && r.exclusion === null);
  if (historyOnly.length > 0) {
    lines.push(`rows without a Zeek conn_state (history only, ${historyOnly.length}):`);
    for (const r of historyOnly) lines.push(`  ${r.historyAgree === true ? 'same' : 'DIFF'}  ${rowLine(r)}`);
  }
  const errors = report.traces.filter((t) => t.error !== null);
  for (const t of errors) lines.push(`pipeline problem in ${t.trace}: ${t.error}`);
  if (detail) {
    const historyDiffs = rows.filter((r) => r.historyAgree === false && r.agree !== null);
    lines.push(`history differences on rows with conn_state (${historyDiffs.length}):`);
    for (const r of historyDiffs) lines.push(`  ${r.agree ? 'state same' : 'state DIFF'}  ${rowLine(r)}`);
    lines.push('our connections no Zeek row matched:');
    for (const t of report.traces) {
      for (const u of t.unmatched) lines.push(`  ${t.trace}  #${u.id} ${u.tuple}  ${u.state} ${u.history || '-'}`);
    }
  }
  return lines.join('\n');
}
