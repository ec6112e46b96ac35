// The text report for people: the summary first, then the connections that have findings, most
// severe first, each with its states per side and what went wrong.

import type { Severity, SideVerdict, Verdict } from '../close/index.js';
import { formatDuration as dur } from '../common/duration.js';
import { formatTimeOfDay, formatTimestamp } from '../common/time.js';
import { isSupportedLinkType, linkTypeName } from '../decode/index.js';
import type { InputResult } from '../pipeline/index.js';
import type { ReportModel } from './model.js';
import type { Sink } from './sink.js';
import { VerdictStore, type VerdictSource } from '../store/verdict-store.js';
import { describeDistribution, type Summary } from './summary.js';

const SEVERITY_RANK: Record<Severity, number> = { error: 3, warning: 2, info: 1 };

export function severityRank(v: Verdict): number {
  let r = 0;
  for (const f of v.findings) r = Math.max(r, SEVERITY_RANK[f.severity]);
  return r;
}

export function endpoint(ip: string, port: number, family: 4 | 6): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const STATE_ORDER = ['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK'];
const VANTAGE_TEXT = { client: 'near the client', server: 'near the server', between: 'between client and server', unknown: 'undetermined (no handshake timing to judge from, or loopback)' };

function inputLines(r: InputResult): string[] {
  const i = r.info;
  const kinds = Object.entries(r.decode.byKind).filter(([k, n]) => n > 0 && k !== 'tcp').map(([k, n]) => `${k} ${n}`);
  const fmt = i.format === null ? 'unknown format' :
    `${i.format}${i.compression ? ` (${i.compression})` : ''}${i.timestampPrecision ? `, ${i.timestampPrecision} timestamps` : ''}`;
  const out = [
    `Input ${r.file}: ${fmt}, ${r.linkTypeNames.join(', ') || 'no link type'}, ${i.packets} packets ` +
    `(${r.decode.byKind.tcp ?? 0} TCP${kinds.length ? `; ${kinds.join(', ')}` : ''}), ${r.flow.connections} connections`,
  ];
  if (r.firstUs >= 0) out.push(`  from ${formatTimestamp(r.firstUs)} to ${formatTimestamp(r.lastUs)} (${dur(r.lastUs - r.firstUs)})`);
  const undecoded = (i.linkTypes ?? []).filter((lt) => !isSupportedLinkType(lt));
  if (undecoded.length > 0) {
    out.push(`  link type ${undecoded.map((lt) => `${linkTypeName(lt)} (${lt})`).join(', ')} is not one finscope decodes: ` +
      `${r.decode.byKind['unsupported-link'] ?? 0} packets counted as unsupported-link, not analysed`);
  }
  if (r.flow.evicted > 0) out.push(`  ${r.flow.evicted} connections evicted by the live-connection cap`);
  if ((r.interfaceCopiesDropped ?? 0) > 0 || (r.reorderedPackets ?? 0) > 0) {
    out.push(`  ${i.interfaces.length} interfaces: ${r.interfaceCopiesDropped ?? 0} second copies of packets seen on another interface dropped, ${r.reorderedPackets ?? 0} packets put back in time order`);
  } else if (r.flow.timeWentBackwards > 0) {
    out.push(`  ${r.flow.timeWentBackwards} packets with timestamps going backwards`);
  }
  for (const ex of r.decode.examples.slice(0, 3)) out.push(`  ${ex.kind} packet ${ex.packetNumber}: ${ex.problem}`);
  for (const w of i.warnings) out.push(`  warning: ${w.message} at byte offset ${w.offset}${w.packetNumber !== null ? ` (packet ${w.packetNumber})` : ''}`);
  if (i.error !== null) out.push(`  error: ${i.error.message} at byte offset ${i.error.offset}${i.error.packetNumber !== null ? ` (packet ${i.error.packetNumber})` : ''}; packets before it were analysed`);
  return out;
}

export function summaryLines(s: Summary, inputs: InputResult[]): string[] {
  const out: string[] = [];
  for (const r of inputs) out.push(...inputLines(r));
  out.push('');
  const voted = s.vantageVotes.client + s.vantageVotes.server + s.vantageVotes.between;
  out.push(`Capture point: ${VANTAGE_TEXT[s.vantage]}${voted > 0 ? ` (handshake timing of ${voted} connections: client ${s.vantageVotes.client}, server ${s.vantageVotes.server}, between ${s.vantageVotes.between})` : ''}`);
  const who = s.host === null ? 'all endpoints' : `host ${s.host}${s.hostReason === 'vantage' ? ' (the capture host)' : ''}`;
  // No packet at all (empty or unreadable inputs): no instant to count sockets at.
  const noPackets = inputs.every((r) => r.firstUs < 0);
  out.push(noPackets ? 'Socket states: no packets, so no instant to count them at'
    : `Socket states at ${formatTimestamp(s.atUs)}${s.atUs === s.endUs ? ' (end of capture)' : ''}, ${who}, as ss -tan would count them:`);
  const entries = STATE_ORDER.map((st) => [st, s.histogram[st as keyof typeof s.histogram] ?? 0] as const).filter(([, n]) => n > 0);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (entries.length === 0 && !noPackets) out.push('  (no open sockets)');
  for (const [st, n] of entries) out.push(`  ${st.padEnd(12)} ${String(n).padStart(7)}  ${'#'.repeat(Math.max(1, Math.round((n / max) * 40)))}`);
  const c = s.activeClosers;
  out.push(`Who closed first: client ${c.client}, server ${c.server}, both at once ${c.both}, neither ${c.none}`);
  const sev = s.findingsBySeverity;
  out.push(`Findings: ${sev.error} errors, ${sev.warning} warnings, ${sev.info} info`);
  const codes = Object.entries(s.findingsByCode).sort((a, b) => SEVERITY_RANK[b[1].severity as Severity] - SEVERITY_RANK[a[1].severity as Severity] || b[1].count - a[1].count);
  for (const [code, x] of codes) out.push(`  ${x.severity.padEnd(8)} ${code.padEnd(24)} ${String(x.count).padStart(7)}`);
  for (const f of s.findings) out.push(`  ${f.severity} ${f.code}: ${f.detail}`);
  if (s.findingsByEndpoint.length > 0) {
    out.push('Endpoints behind the most findings:');
    for (const e of s.findingsByEndpoint.slice(0, 5)) {
      out.push(`  ${e.endpoint.padEnd(28)} ${String(e.count).padStart(6)}  ${Object.entries(e.codes).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    }
  }
  out.push('Close durations:');
  const names: [keyof Summary['durations'], string][] = [['finWait1', 'FIN_WAIT_1'], ['finWait2', 'FIN_WAIT_2'], ['closing', 'CLOSING'], ['timeWait', 'TIME_WAIT (seen)'], ['closeWait', 'CLOSE_WAIT'], ['lastAck', 'LAST_ACK']];
  for (const [k, label] of names) if (s.durations[k] !== null) out.push(`  ${label.padEnd(17)} ${describeDistribution(s.durations[k])}`);
  return out;
}

function sideLine(name: string, side: SideVerdict, startUs: number): string {
  if (side.changes.length === 0) return `    ${name}: no state seen`;
  const parts = side.changes.map((ch, i) => i === 0 ? `${ch.state} ${formatTimeOfDay(ch.atUs)}` : `${ch.state} +${dur(ch.atUs - startUs)}`);
  const tw = side.timeWaitEndsUs !== null ? ` (leaves TIME_WAIT at ${formatTimeOfDay(side.timeWaitEndsUs)})` : '';
  return `    ${name}: ${parts.join(' → ')}${tw}`;
}

/** Longest Zeek history printed whole; a longer one (a storm of resets) is cut, its length given. */
const HISTORY_SHOWN = 48;

function shortHistory(history: string): string {
  return history.length <= HISTORY_SHOWN ? history : `${history.slice(0, HISTORY_SHOWN - 8)}… (${history.length} letters)`;
}

export function connectionLines(v: Verdict): string[] {
  const c = endpoint(v.client.ip, v.client.port, v.family), s = endpoint(v.server.ip, v.server.port, v.family);
  const role = v.roleReason === 'syn' ? '' : ` (roles inferred: ${v.roleReason})`;
  const out = [
    `#${v.id} ${c} → ${s}${role}  ${formatTimestamp(v.startUs)}  ${dur(v.endUs - v.startUs)}  closed first by ${v.activeCloser ?? 'nobody'}` +
    `  final ${v.sides.client.finalState ?? '-'} / ${v.sides.server.finalState ?? '-'}  zeek ${v.zeek.connState} ${shortHistory(v.zeek.history)}`,
    sideLine('client', v.sides.client, v.startUs),
    sideLine('server', v.sides.server, v.startUs),
  ];
  for (const f of v.findings) out.push(`    ${f.severity} ${f.code}${f.side ? ` (${f.side})` : ''} at ${formatTimeOfDay(f.atUs)}: ${f.detail}`);
  return out;
}

export interface TextOptions {
  /** Show every connection, not only those with findings. */
  all: boolean;
  /** Most connections listed; the rest are counted. */
  limit: number;
}

export function textReport(inputs: InputResult[], verdicts: Verdict[], summary: Summary, options: TextOptions): string {
  const out = [`finscope: ${inputs.length} input${inputs.length === 1 ? '' : 's'}, ${summary.connections} TCP connections`, ''];
  out.push(...summaryLines(summary, inputs), '');
  const shown = options.all ? verdicts.slice() : verdicts.filter((v) => v.findings.some((f) => f.severity !== 'info'));
  shown.sort((a, b) => severityRank(b) - severityRank(a) || a.id - b.id);
  const title = options.all ? 'Connections' : 'Connections with warnings or errors, most severe first';
  out.push(`${title} (${shown.length} of ${verdicts.length}):`);
  for (const v of shown.slice(0, options.limit)) out.push(...connectionLines(v));
  if (shown.length > options.limit) out.push(`... ${shown.length - options.limit} more (use --limit or --format json)`);
  return out.join('\n') + '\n';
}

/** Inputs listed one by one up to this many; beyond, only those with problems are. */
const INPUT_LINES_LIMIT = 20;

/** The text report of a batch: the summary over all inputs first, then the connections. */
export function batchTextReport(m: ReportModel, options: TextOptions): string {
  return [...batchTextChunks(m, options)].join('');
}

/** The same text in pieces, so that --all over millions of connections is never one string. */
export function* batchTextChunks(m: ReportModel, options: TextOptions): Generator<string> {
  const s = m.aggregate.total;
  const n = m.inputs.length;
  const out = [`finscope: ${n} input${n === 1 ? '' : 's'}${m.settings.merge && n > 1 ? ' merged into one capture in time order' : ''}, ${s.connections} TCP connections`, ''];
  let listed = m.inputs;
  if (n > INPUT_LINES_LIMIT) {
    listed = m.inputs.filter((r) => r.info.error !== null || r.info.warnings.length > 0);
    out.push(`${n - listed.length} inputs read to their end without problems (${m.inputs.reduce((t, r) => t + r.info.packets, 0)} packets in all); ${listed.length} with problems:`);
  }
  out.push(...summaryLines(s, listed));
  if (m.merged !== null) {
    out.push(`Merged flow table: ${m.merged.connections} connections, peak ${m.merged.peakLive} live, ${m.merged.reused} 4-tuples reused, ${m.merged.evicted} evicted, ${m.merged.timeWentBackwards} packets out of time order`);
  }
  if (m.skipped.length > 0) {
    const counts: Record<string, number> = {};
    for (const x of m.skipped) counts[x.reason] = (counts[x.reason] ?? 0) + 1;
    out.push(`Skipped while walking: ${Object.entries(counts).map(([k, c]) => `${k} ${c}`).join(', ')}`);
    for (const x of m.skipped.filter((x) => x.reason !== 'not-a-capture' && x.reason !== 'empty').slice(0, INPUT_LINES_LIMIT)) {
      out.push(`  ${x.reason} ${x.path}: ${x.message}`);
    }
  }
  if (n > 1) {
    const ranked = m.aggregate.findingsByInput
      .filter((x) => x.bySeverity.error + x.bySeverity.warning > 0)
      .sort((a, b) => b.bySeverity.error - a.bySeverity.error || b.bySeverity.warning - a.bySeverity.warning || a.input - b.input);
    if (ranked.length > 0) {
      out.push('Inputs with the most errors and warnings:');
      for (const x of ranked.slice(0, 10)) {
        out.push(`  ${m.inputs[x.input].file}: ${x.bySeverity.error} errors, ${x.bySeverity.warning} warnings (${Object.entries(x.byCode).map(([k, c]) => `${k} ${c}`).join(', ')})`);
      }
    }
  }
  out.push('');
  // Most severe first, then by id: one pass per severity, so that no list of verdicts is held.
  const verdicts = m.verdicts;
  const ranks = options.all ? [3, 2, 1, 0] : [3, 2];
  const counts = countBySeverityRank(verdicts);
  const shownCount = ranks.reduce((t, r) => t + counts[r], 0);
  const title = options.all ? 'Connections' : 'Connections with warnings or errors, most severe first';
  out.push(`${title} (${shownCount} of ${verdicts.length}):`);
  yield out.join('\n') + '\n';
  let written = 0;
  for (const rank of ranks) {
    if (written >= options.limit || counts[rank] === 0) continue;
    for (const v of withSeverityRank(verdicts, rank)) {
      const lines = connectionLines(v);
      if (n > 1) lines[0] += `  [${m.inputs[v.input]?.file ?? '?'}]`;
      yield lines.join('\n') + '\n';
      if (++written >= options.limit) break;
    }
  }
  if (shownCount > options.limit) yield `... ${shownCount - options.limit} more (use --limit or --format json)\n`;
}

function countBySeverityRank(verdicts: VerdictSource): number[] {
  if (verdicts instanceof VerdictStore) return verdicts.countBySeverityRank();
  const counts = [0, 0, 0, 0];
  for (const v of verdicts) counts[severityRank(v)]++;
  return counts;
}

function* withSeverityRank(verdicts: VerdictSource, rank: number): Generator<Verdict> {
  if (verdicts instanceof VerdictStore) yield* verdicts.withSeverityRank(rank);
  else for (const v of verdicts) if (severityRank(v) === rank) yield v;
}

export async function writeTextReport(sink: Sink, m: ReportModel, options: TextOptions): Promise<void> {
  for (const chunk of batchTextChunks(m, options)) {
    if (sink.isClosed) return;
    await sink.write(chunk);
  }
}
