// Short forms the dense views need: compact durations, endpoints, state abbreviations and finding
// badges. Long forms (formatDuration, full state names, finding codes) are used wherever room allows.

import type { Finding, FindingCode, Severity, TcpState, Verdict } from '../close/index.js';
import type { Tone } from './lines.js';
import { displayWidth } from './text.js';

export function endpointText(ip: string, port: number, family: 4 | 6): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function clientText(v: Verdict): string {
  return endpointText(v.client.ip, v.client.port, v.family);
}

export function serverText(v: Verdict): string {
  return endpointText(v.server.ip, v.server.port, v.family);
}

/** At most 6 cells: "850µs", "59.1ms", "3.21s", "2m05s", "1h02m", "3d04h". */
export function compactDuration(us: number): string {
  const a = Math.abs(us);
  if (a < 1_000) return `${Math.round(a)}µs`;
  if (a < 999_500) {
    const ms = a / 1_000;
    return `${ms >= 99.95 ? ms.toFixed(0) : ms >= 9.995 ? ms.toFixed(1) : ms.toFixed(2)}ms`;
  }
  if (a < 59_950_000) {
    const s = a / 1e6;
    return `${s >= 9.995 ? s.toFixed(1) : s.toFixed(2)}s`;
  }
  const totalS = Math.round(a / 1e6);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.round(totalS / 60);
  if (totalM < 24 * 60) return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
  const totalH = Math.round(totalM / 60);
  return `${Math.floor(totalH / 24)}d${String(totalH % 24).padStart(2, '0')}h`;
}

/** Abbreviations for the narrow connection list (the help screen lists them). */
export const SHORT_STATE: Record<TcpState, string> = {
  LISTEN: 'LISTEN', SYN_SENT: 'SYN_S', SYN_RECEIVED: 'SYN_R', ESTABLISHED: 'ESTAB', FIN_WAIT_1: 'FW1',
  FIN_WAIT_2: 'FW2', CLOSING: 'CLOSING', TIME_WAIT: 'TW', CLOSE_WAIT: 'CW', LAST_ACK: 'LACK', CLOSED: 'CLOSED',
};

/** Eight cells at most, for narrow lists (codes added later fall back to their first 8 characters). */
export const SHORT_FINDING: Partial<Record<FindingCode, string>> = {
  'lost-final-ack': 'lost-ack', 'missing-peer-fin': 'no-fin', 'long-fin-wait-2': 'long-fw2',
  'long-close-wait': 'long-cw', 'fin-retransmitted': 'fin-rtx', 'fin-unacked': 'fin-unak',
  'reset-after-fin': 'rst-fin', 'abortive-close': 'abort', 'simultaneous-close': 'simul',
  'half-close': 'half', 'data-after-fin': 'data-fin', 'time-wait-reuse': 'tw-reuse',
  'time-wait-assassination': 'tw-kill', 'ephemeral-port-pressure': 'ports', 'not-closed': 'open',
  'connection-refused': 'refused', 'syn-unanswered': 'no-synak', 'capture-missed-packets': 'missed',
  'syn-ack-unanswered': 'halfopen',
  'time-wait-rst-ignored': 'tw-rst',
};

export function shortFinding(code: FindingCode): string {
  return SHORT_FINDING[code] ?? code.slice(0, 8);
}

export const SEVERITY_TONE: Record<Severity, Tone> = { error: 'error', warning: 'warning', info: 'info' };
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Findings most severe first, each code once (a connection may have a code on both sides). */
export function distinctFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])) {
    if (seen.has(f.code)) continue;
    seen.add(f.code);
    out.push(f);
  }
  return out;
}

export interface Badge { text: string; tone: Tone }

/**
 * Finding badges in `width` cells: full codes when they fit, else short labels, else as many as fit
 * and "+N" for the rest.
 */
export function badges(findings: readonly Finding[], width: number): Badge[] {
  const list = distinctFindings(findings);
  if (list.length === 0) return [];
  for (const names of [(f: Finding) => f.code as string, (f: Finding) => shortFinding(f.code)]) {
    const texts = list.map(names);
    if (displayWidth(texts.join(' ')) <= width) return list.map((f, i) => ({ text: texts[i], tone: SEVERITY_TONE[f.severity] }));
  }
  const out: Badge[] = [];
  let used = 0;
  for (let i = 0; i < list.length; i++) {
    const text = shortFinding(list[i].code);
    const more = list.length - i - 1;
    const tail = more > 0 ? ` +${more}` : '';
    if (used + (out.length ? 1 : 0) + displayWidth(text) + displayWidth(tail) > width) {
      out.push({ text: `+${list.length - i}`, tone: 'dim' });
      break;
    }
    used += (out.length ? 1 : 0) + displayWidth(text);
    out.push({ text, tone: SEVERITY_TONE[list[i].severity] });
  }
  return out;
}
