// What view-models return: lines of styled spans. A tone names what a span is (a warning, the
// selected row, a RST arrow); the theme decides how it looks, so NO_COLOR is one switch there and the
// view-models stay testable as plain text.

import { displayWidth, truncate } from './text.js';

export type Tone =
  | 'plain' | 'dim' | 'bold' | 'heading' | 'selected' | 'cursor'
  | 'error' | 'warning' | 'info' | 'ok' | 'accent'
  | 'tab' | 'tabActive' | 'key'
  | 'syn' | 'fin' | 'rst' | 'retransmission' | 'lost' | 'fold' | 'state';

export interface Span { text: string; tone?: Tone }
export type Line = Span[];

export function span(text: string, tone?: Tone): Span {
  return tone === undefined ? { text } : { text, tone };
}

export function lineText(line: Line): string {
  let s = '';
  for (const x of line) s += x.text;
  return s;
}

export function lineWidth(line: Line): number {
  let w = 0;
  for (const x of line) w += displayWidth(x.text);
  return w;
}

/** Cuts a line to `width` cells (the last span kept gets the "…"), or pads it with spaces to `width`. */
export function fitLine(line: Line, width: number, padTone?: Tone): Line {
  const out: Line = [];
  let left = width;
  for (let i = 0; i < line.length; i++) {
    const x = line[i];
    const w = displayWidth(x.text);
    if (w <= left) {
      // Exactly full with more to come: the rest is cut, so this span must show the cut.
      const restHasText = w === left && line.slice(i + 1).some((s) => s.text !== '');
      out.push(restHasText ? { ...x, text: truncate(x.text + ' ', left) } : x);
      left -= w;
      if (restHasText) return out;
      continue;
    }
    if (left > 0) out.push({ ...x, text: truncate(x.text, left) });
    return out;
  }
  if (left > 0 && padTone !== undefined) out.push({ text: ' '.repeat(left), tone: padTone });
  return out;
}

/** All spans of a line in one tone (the selected row). */
export function toned(line: Line, tone: Tone): Line {
  return line.map((x) => ({ text: x.text, tone }));
}

/** `count` empty lines. */
export function blank(count: number): Line[] {
  return Array.from({ length: Math.max(0, count) }, () => []);
}

/** Exactly `height` lines: cut, or padded with empty lines. */
export function fitHeight(lines: Line[], height: number): Line[] {
  if (lines.length >= height) return lines.slice(0, Math.max(0, height));
  return lines.concat(blank(height - lines.length));
}

/** The lines as plain text (tests and the bench read screens this way). */
export function screenText(lines: Line[]): string {
  return lines.map(lineText).join('\n');
}
