// The help screen: every key, per view, and the filter language in brief. The key table is the
// same data keys.ts maps from, so the two cannot drift apart.

import { SHORT_FINDING, SHORT_STATE } from './format.js';
import { fitLine, span, type Line } from './lines.js';
import { fit, wrap } from './text.js';

export interface KeyHelp { keys: string; what: string }

export const KEY_HELP: { title: string; keys: KeyHelp[] }[] = [
  {
    title: 'Everywhere',
    keys: [
      { keys: 'Tab / Shift-Tab', what: 'next / previous view (Overview, Connections, Detail)' },
      { keys: '1 2 3', what: 'Overview, Connections, Detail' },
      { keys: '/', what: 'filter the connections (Enter applies, Esc cancels)' },
      { keys: '?', what: 'this help (Esc or ? returns; ↑ ↓ PgUp PgDn scroll it)' },
      { keys: 'Esc', what: 'back: Detail → Connections → Overview; in Connections, clears the filter first' },
      { keys: 'q  Ctrl-C', what: 'quit' },
    ],
  },
  {
    title: 'Overview',
    keys: [
      { keys: '↑ ↓  j k', what: 'choose a finding code' },
      { keys: 'Enter', what: 'list the connections with that finding' },
      { keys: '← →  h l', what: 'move the instant of the histogram one step (PgUp/PgDn: ten steps)' },
      { keys: 'Home End', what: 'the capture\'s start / end' },
      { keys: 'H', what: 'histogram of the capture host / of every endpoint' },
    ],
  },
  {
    title: 'Connections',
    keys: [
      { keys: '↑ ↓  j k', what: 'move one row' },
      { keys: 'PgUp PgDn', what: 'move one screen' },
      { keys: 'g G  Home End', what: 'first / last row' },
      { keys: 'Enter', what: 'open the connection\'s ladder diagram' },
      { keys: 's / S', what: 'next sort key (start, duration, severity, FIN_WAIT_2, CLOSE_WAIT, ...) / reverse it' },
    ],
  },
  {
    title: 'Detail',
    keys: [
      { keys: '↑ ↓  j k  PgUp PgDn  g G', what: 'scroll' },
      { keys: 'n p', what: 'next / previous connection of the list' },
      { keys: 'Esc', what: 'back to the list' },
    ],
  },
];

const FILTER_HELP = [
  'host 10.0.0.1   host 10.0.0.1:80   port 443   port 8000-8080   net 10.0.0.0/8',
  'state TIME_WAIT   finding lost-final-ack   severity >= warning   closer client   id 42',
  'fin-wait-2 > 30s   close-wait >= 1m   time-wait < 2s   duration > 5s',
  'client ... / server ... restricts host, port, net, state, finding or a duration to one side',
  'combine with and (or a space), or, not, ( ): host 10.0.0.1 and (finding lost-final-ack or state CLOSE_WAIT)',
];

export function helpLines(width: number): Line[] {
  const out: Line[] = [];
  const keyWidth = Math.min(26, Math.max(14, Math.floor(width / 3)));
  for (const group of KEY_HELP) {
    out.push([span(group.title, 'heading')]);
    for (const k of group.keys) {
      const what = wrap(k.what, width - keyWidth - 2);
      out.push(fitLine([span('  ' + fit(k.keys, keyWidth), 'key'), span(what[0] ?? '')], width));
      for (const more of what.slice(1)) out.push(fitLine([span(' '.repeat(keyWidth + 2) + more)], width));
    }
    out.push([]);
  }
  out.push([span('Filters (the same as --filter)', 'heading')]);
  for (const f of FILTER_HELP) for (const text of wrap(f, width - 2)) out.push(fitLine([span('  ' + text)], width));
  out.push([]);
  out.push([span('Abbreviations in narrow lists', 'heading')]);
  const states = Object.entries(SHORT_STATE).filter(([k, v]) => k !== v).map(([k, v]) => `${v} ${k}`).join(' · ');
  for (const text of wrap(`1 = who closed first (c client, s server, b both) · t+s = seconds since the capture began · ${states}`, width - 2)) out.push([span('  ' + text)]);
  const codes = Object.entries(SHORT_FINDING).filter(([k, v]) => k !== v).map(([k, v]) => `${v} ${k}`).join(' · ');
  for (const text of wrap(codes, width - 2)) out.push([span('  ' + text, 'dim')]);
  return out;
}
