// CSV: one connection per row, flat columns for spreadsheets and SQL engines. RFC 4180: CRLF line
// ends, a field is quoted when it holds a comma, quote, CR or LF, and quotes are doubled. Times are
// epoch seconds with microsecond precision and durations seconds, as in the JSON; an empty field
// is "none" (no such state, no FIN, ...).

import type { SideDurations, Verdict } from '../close/index.js';
import { epochSeconds } from '../common/time.js';
import { maxSeverity } from './aggregate.js';
import type { ReportModel } from './model.js';
import type { Sink } from './sink.js';

const DURATION_COLUMNS: [keyof SideDurations, string][] = [
  ['finWait1', 'fin_wait_1'], ['finWait2', 'fin_wait_2'], ['closing', 'closing'],
  ['timeWait', 'time_wait'], ['closeWait', 'close_wait'], ['lastAck', 'last_ack'],
];

export const CSV_COLUMNS: string[] = [
  'id', 'input', 'family', 'client_ip', 'client_port', 'server_ip', 'server_port', 'role_reason',
  'start', 'end', 'duration', 'end_reason', 'vantage', 'active_closer', 'client_final', 'server_final',
  ...DURATION_COLUMNS.map(([, c]) => `client_${c}`), ...DURATION_COLUMNS.map(([, c]) => `server_${c}`),
  'client_packets', 'server_packets', 'client_bytes', 'server_bytes',
  'zeek_conn_state', 'zeek_history', 'findings', 'max_severity',
];

/** One field, quoted when RFC 4180 requires it. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(fields: (string | number | boolean | null)[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

const sec = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1e6);

export function connectionCsvFields(v: Verdict, input: string): (string | number | null)[] {
  const c = v.sides.client, s = v.sides.server;
  return [
    v.id, input, v.family === 6 ? 'ipv6' : 'ipv4', v.client.ip, v.client.port, v.server.ip, v.server.port, v.roleReason,
    epochSeconds(v.startUs), epochSeconds(v.endUs), sec(v.endUs - v.startUs), v.endReason, v.vantage,
    v.activeCloser, c.finalState, s.finalState,
    ...DURATION_COLUMNS.map(([k]) => sec(c.durations[k])), ...DURATION_COLUMNS.map(([k]) => sec(s.durations[k])),
    v.directions.client.packets, v.directions.server.packets, v.directions.client.bytes, v.directions.server.bytes,
    v.zeek.connState, v.zeek.history, v.findings.map((f) => f.code).join(';'), maxSeverity(v),
  ];
}

export async function writeCsvReport(sink: Sink, model: ReportModel): Promise<void> {
  await sink.write(csvRow(CSV_COLUMNS));
  for (const v of model.verdicts) {
    if (sink.isClosed) return;
    await sink.write(csvRow(connectionCsvFields(v, model.inputs[v.input]?.file ?? '')));
  }
}
