// The text report for people: the summary first, then the connections that have findings, most
// severe first, each with its states per side and what went wrong.

import type { Severity, SideVerdict, Verdict } from '../close/index.js';
import { formatDuration as dur } from '../common/duration.js';
import { formatTimeOfDay, formatTimestamp } from '../common/time.js';
import type { InputResult } from '../pipeline/index.js';
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
  if (r.flow.evicted > 0) out.push(`  ${r.flow.evicted} connections evicted by the live-connection cap`);
  if (r.flow.timeWentBackwards > 0) out.push(`  ${r.flow.timeWentBackwards} packets with timestamps going backwards`);
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
  out.push(`Socket states at ${formatTimestamp(s.atUs)}${s.atUs === s.endUs ? ' (end of capture)' : ''}, ${who}, as ss -tan would count them:`);
  const entries = STATE_ORDER.map((st) => [st, s.histogram[st as keyof typeof s.histogram] ?? 0] as const).filter(([, n]) => n > 0);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  if (entries.length === 0) out.push('  (no open sockets)');
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

export function connectionLines(v: Verdict): string[] {
  const c = endpoint(v.client.ip, v.client.port, v.family), s = endpoint(v.server.ip, v.server.port, v.family);
  const role = v.roleReason === 'syn' ? '' : ` (roles inferred: ${v.roleReason})`;
  const out = [
    `#${v.id} ${c} → ${s}${role}  ${formatTimestamp(v.startUs)}  ${dur(v.endUs - v.startUs)}  closed first by ${v.activeCloser ?? 'nobody'}` +
    `  final ${v.sides.client.finalState ?? '-'} / ${v.sides.server.finalState ?? '-'}  zeek ${v.zeek.connState} ${v.zeek.history}`,
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
