// One connection: who it was, how each side closed, the ladder, then every finding with its
// explanation (the text of `finscope explain`). The ladder's column titles stay on screen; the rest
// scrolls as one document.

import type { SideVerdict, Verdict } from '../close/index.js';
import { explain, explanationText } from '../close/explain.js';
import { formatDuration } from '../common/duration.js';
import { formatTimeOfDay, formatTimestamp } from '../common/time.js';
import { clientText, SEVERITY_TONE, serverText } from './format.js';
import { ladder } from './ladder.js';
import { fitLine, span, type Line } from './lines.js';
import { wrap } from './text.js';

const VANTAGE: Record<string, string> = {
  client: 'captured near the client', server: 'captured near the server', between: 'captured between the two', unknown: 'capture point unknown',
};

const DURATION_LABELS: [keyof SideVerdict['durations'], string][] = [
  ['finWait1', 'FIN_WAIT_1'], ['finWait2', 'FIN_WAIT_2'], ['closing', 'CLOSING'], ['timeWait', 'TIME_WAIT'],
  ['closeWait', 'CLOSE_WAIT'], ['lastAck', 'LAST_ACK'],
];

function sideLine(name: string, side: SideVerdict, width: number): Line {
  const times = DURATION_LABELS.filter(([k]) => side.durations[k] !== null).map(([k, label]) => `${label} ${formatDuration(side.durations[k] as number)}`);
  const line: Line = [span(`${name.padEnd(7)}`, 'bold'), span(side.finalState ?? 'no state seen', 'state')];
  if (side.timeWaitEndsUs !== null) line.push(span(` (until ${formatTimeOfDay(side.timeWaitEndsUs)})`, 'dim'));
  if (times.length > 0) line.push(span(`  ${times.join(', ')}`, 'dim'));
  return fitLine(line, width);
}

export interface DetailView {
  /** Always on screen: the connection and the ladder's column titles. */
  fixed: Line[];
  /** Scrolls: ladder rows, legend, findings. */
  body: Line[];
}

export function detailView(v: Verdict, width: number): DetailView {
  const roles = v.roleReason === 'syn' ? '' : ` (roles inferred: ${v.roleReason})`;
  const closer = v.activeCloser === null ? 'nobody closed' : v.activeCloser === 'both' ? 'both closed at once' : `${v.activeCloser} closed first`;
  const fixed: Line[] = [
    fitLine([span(`#${v.id} `, 'bold'), span(`${clientText(v)} → ${serverText(v)}`, 'bold'), span(roles, 'dim')], width),
    fitLine([span(`${formatTimestamp(v.startUs)}, ${formatDuration(v.endUs - v.startUs)} · ${closer} · ${VANTAGE[v.vantage]} · zeek ${v.zeek.connState} ${v.zeek.history}`, 'dim')], width),
    sideLine('client', v.sides.client, width),
    sideLine('server', v.sides.server, width),
  ];
  const l = ladder(v, width);
  fixed.push(...l.header);
  const body: Line[] = [...l.rows];
  if (l.legend.length > 0) body.push([], ...l.legend);
  body.push([]);
  if (v.findings.length === 0) {
    body.push([span('No findings: this connection closed the textbook way.', 'ok')]);
  } else {
    body.push([span(`Findings (${v.findings.length})`, 'heading')]);
    for (const f of v.findings) {
      body.push([]);
      const at = f.atUs >= v.startUs ? `+${formatDuration(f.atUs - v.startUs)}` : formatTimeOfDay(f.atUs);
      body.push(fitLine([span(`${f.severity} `, SEVERITY_TONE[f.severity]), span(f.code, 'bold'), span(`${f.side === null ? '' : ` (${f.side})`} at ${at}`, 'dim')], width));
      for (const text of wrap(f.detail, width, '  ')) body.push([span(text)]);
      const e = explain(f.code);
      if (e !== undefined) {
        body.push([]);
        for (const text of wrap(explanationText(e), width, '    ')) body.push([span(text, 'dim')]);
      }
    }
  }
  return { fixed, body };
}
