// Markdown for pasting into an incident ticket (GitHub, GitLab, Jira's markdown, ...): the summary
// as tables and the worst connections. Every cell goes through mdCell: file names, pcapng comments
// and interface names come from the capture and may hold '|', newlines or markup.

import type { Severity } from '../close/index.js';
import { formatDuration } from '../common/duration.js';
import { formatTimestamp } from '../common/time.js';
import type { ReportModel } from './model.js';
import type { Sink } from './sink.js';
import type { Summary } from './summary.js';
import { endpoint } from './text.js';

/** One table cell: markup characters escaped, '|' escaped, line breaks folded into spaces. */
export function mdCell(value: string | number | null): string {
  if (value === null) return '';
  return String(value)
    .replace(/[\\`*[\]~]/g, (c) => `\\${c}`)
    // '_' emphasises only at a word's edge: TIME_WAIT and file_names stay readable.
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ');
}

export function mdTable(header: string[], rows: (string | number | null)[][]): string[] {
  const line = (cells: (string | number | null)[]): string => `| ${cells.map(mdCell).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)];
}

const STATE_ORDER = ['SYN_SENT', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSE_WAIT', 'LAST_ACK'];
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const DURATION_LABELS: [keyof Summary['durations'], string][] = [
  ['finWait1', 'FIN_WAIT_1'], ['finWait2', 'FIN_WAIT_2'], ['closing', 'CLOSING'], ['timeWait', 'TIME_WAIT (seen)'],
  ['closeWait', 'CLOSE_WAIT'], ['lastAck', 'LAST_ACK'],
];

function inputProblem(m: ReportModel, k: number): string {
  const i = m.inputs[k].info;
  if (i.error !== null) return `error: ${i.error.message} at byte ${i.error.offset}`;
  if (i.warnings.length > 0) return `warning: ${i.warnings[0].message}`;
  return '';
}

export function markdownReport(m: ReportModel, options: { worst: number }): string {
  const s = m.aggregate.total;
  const out: string[] = ['# finscope report', ''];
  const span = s.connections > 0 || m.inputs.some((i) => i.firstUs >= 0) ? `, ${formatTimestamp(s.startUs)} to ${formatTimestamp(s.endUs)}` : '';
  out.push(`${m.inputs.length} input${m.inputs.length === 1 ? '' : 's'}${m.settings.merge ? ' merged into one capture in time order' : ''}, ` +
    `${s.connections} TCP connections${span}. ` +
    `Findings: ${s.findingsBySeverity.error} errors, ${s.findingsBySeverity.warning} warnings, ${s.findingsBySeverity.info} info.`, '');

  out.push('## Inputs', '', ...mdTable(['#', 'input', 'format', 'interfaces', 'packets', 'connections', 'errors', 'warnings', 'problem'],
    m.inputs.map((r, k) => {
      const sev = m.aggregate.perInput[k].findingsBySeverity;
      const fmt = r.info.format === null ? '' : `${r.info.format}${r.info.compression ? ` (${r.info.compression})` : ''}`;
      // pcapng interface names and comments say where a capture was taken: worth having in a ticket.
      const names = [...new Set(r.info.interfaces.map((i) => i.name).filter((x): x is string => x !== null))];
      const notes = [...names, ...r.info.comments.slice(0, 1)].join(', ');
      return [k, r.file, fmt, notes, r.info.packets, r.flow.connections, sev.error, sev.warning, inputProblem(m, k)];
    })), '');
  if (m.skipped.length > 0) {
    out.push('## Skipped while walking', '', ...mdTable(['path', 'reason', 'detail'], m.skipped.map((x) => [x.path, x.reason, x.message])), '');
  }

  const who = s.host === null ? 'all endpoints' : `host ${s.host}`;
  const states = STATE_ORDER.map((st) => [st, s.histogram[st as keyof typeof s.histogram] ?? 0] as [string, number]).filter(([, n]) => n > 0);
  if (m.inputs.every((r) => r.firstUs < 0)) {
    // No packet at all (empty or unreadable inputs): no instant to count sockets at.
    out.push('## Socket states', '', 'No packets, so no instant to count them at.', '');
  } else {
    out.push(`## Socket states at ${formatTimestamp(s.atUs)}${s.atUs === s.endUs ? ' (end of capture)' : ''}, ${who}`, '');
    out.push(...(states.length > 0 ? mdTable(['state', 'sockets'], states) : ['No open sockets.']), '');
  }

  out.push('## Findings', '');
  const codes = Object.entries(s.findingsByCode)
    .sort((a, b) => SEVERITY_ORDER[a[1].severity as Severity] - SEVERITY_ORDER[b[1].severity as Severity] || b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1));
  out.push(...(codes.length > 0 ? mdTable(['severity', 'code', 'count'], codes.map(([code, x]) => [x.severity, code, x.count])) : ['None.']), '');
  for (const f of s.findings) out.push(`- **${mdCell(f.severity)} ${mdCell(f.code)}**: ${mdCell(f.detail)}`);
  if (s.findings.length > 0) out.push('');

  if (m.inputs.length > 1) {
    const rows = m.aggregate.findingsByInput
      .filter((x) => x.bySeverity.error + x.bySeverity.warning + x.bySeverity.info > 0)
      .map((x) => [m.inputs[x.input].file, x.connections, x.bySeverity.error, x.bySeverity.warning, x.bySeverity.info,
        Object.entries(x.byCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')]);
    if (rows.length > 0) out.push('## Findings by input', '', ...mdTable(['input', 'connections', 'errors', 'warnings', 'info', 'codes'], rows), '');
  }
  if (s.findingsByEndpoint.length > 0) {
    out.push('## Endpoints behind the most findings', '', ...mdTable(['endpoint', 'findings', 'codes'],
      s.findingsByEndpoint.slice(0, 10).map((e) => [e.endpoint, e.count, Object.entries(e.codes).map(([c, n]) => `${c} ${n}`).join(', ')])), '');
  }
  const durations = DURATION_LABELS.filter(([k]) => s.durations[k] !== null).map(([k, label]) => {
    const d = s.durations[k]!;
    return [label, d.count, formatDuration(d.median), formatDuration(d.p90), formatDuration(d.p99), formatDuration(d.max)];
  });
  if (durations.length > 0) out.push('## Close durations', '', ...mdTable(['state', 'sockets', 'median', 'p90', 'p99', 'max'], durations), '');

  const byId = m.aggregate.worstVerdicts;
  const worst = m.aggregate.worst.slice(0, options.worst);
  out.push('## Worst connections', '');
  if (worst.length === 0) out.push('No connection with warnings or errors.');
  else {
    out.push(...mdTable(['id', 'input', 'client', 'server', 'closed first by', 'final (client / server)', 'findings'], worst.map((w) => {
      const v = byId.get(w.id)!;
      return [v.id, m.inputs[v.input]?.file ?? '', endpoint(v.client.ip, v.client.port, v.family), endpoint(v.server.ip, v.server.port, v.family),
        v.activeCloser ?? 'nobody', `${v.sides.client.finalState ?? '-'} / ${v.sides.server.finalState ?? '-'}`,
        v.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.code}: ${f.detail}`).join('; ')];
    })));
  }
  out.push('');
  return out.join('\n');
}

export async function writeMarkdownReport(sink: Sink, model: ReportModel): Promise<void> {
  await sink.write(markdownReport(model, { worst: 10 }));
}
