// How each tone looks. Colours only when the terminal has them and NO_COLOR (https://no-color.org)
// is unset; without colour, bold, dim and inverse still carry the selection and the severities.

import type { Tone } from './lines.js';

export interface TextStyle {
  color?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

const COLOURED: Record<Tone, TextStyle> = {
  plain: {},
  dim: { dimColor: true },
  bold: { bold: true },
  heading: { bold: true, color: 'cyan' },
  selected: { inverse: true },
  cursor: { inverse: true },
  error: { color: 'red', bold: true },
  warning: { color: 'yellow' },
  info: { color: 'blue' },
  ok: { color: 'green' },
  accent: { color: 'cyan' },
  tab: { dimColor: true },
  tabActive: { inverse: true, bold: true },
  key: { bold: true, color: 'cyan' },
  syn: { color: 'green' },
  fin: { color: 'cyan', bold: true },
  rst: { color: 'red', bold: true },
  retransmission: { color: 'yellow', bold: true },
  lost: { color: 'red', bold: true },
  fold: { dimColor: true },
  state: { bold: true },
};

const MONOCHROME: Record<Tone, TextStyle> = {
  plain: {},
  dim: { dimColor: true },
  bold: { bold: true },
  heading: { bold: true },
  selected: { inverse: true },
  cursor: { inverse: true },
  error: { bold: true },
  warning: { bold: true },
  info: {},
  ok: {},
  accent: {},
  tab: { dimColor: true },
  tabActive: { inverse: true, bold: true },
  key: { bold: true },
  syn: {},
  fin: { bold: true },
  rst: { bold: true },
  retransmission: { bold: true, underline: true },
  lost: { bold: true, underline: true },
  fold: { dimColor: true },
  state: { bold: true },
};

export type Theme = Record<Tone, TextStyle>;

/**
 * Colour unless NO_COLOR is set (to anything but the empty string), the terminal is dumb, or the
 * stream says it has no colours (Node's hasColors() reads TERM, COLORTERM, FORCE_COLOR, NO_COLOR).
 */
export function wantsColour(env: NodeJS.ProcessEnv, stream?: { hasColors?: () => boolean }): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  if (stream?.hasColors !== undefined && !stream.hasColors()) return false;
  return true;
}

export function themeFor(colour: boolean): Theme {
  return colour ? COLOURED : MONOCHROME;
}

const COLOUR_CODES: Record<string, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 };

/** The SGR escape that turns a style on ('' for plain text). */
export function sgr(style: TextStyle): string {
  const codes: number[] = [];
  if (style.bold) codes.push(1);
  if (style.dimColor) codes.push(2);
  if (style.underline) codes.push(4);
  if (style.inverse) codes.push(7);
  if (style.color !== undefined && COLOUR_CODES[style.color] !== undefined) codes.push(COLOUR_CODES[style.color]);
  return codes.length === 0 ? '' : `\x1b[${codes.join(';')}m`;
}

/** Per tone, the escape that starts it: computed once per theme. */
export function sgrTable(theme: Theme): Record<Tone, string> {
  const out = {} as Record<Tone, string>;
  for (const tone of Object.keys(theme) as Tone[]) out[tone] = sgr(theme[tone]);
  return out;
}
