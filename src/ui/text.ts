// Text measured in terminal cells. Every line the UI draws is cut to the terminal's width here, so
// Ink never wraps a line: a wrapped line would push the frame past the screen and make it scroll.

/** True for code points a terminal draws two cells wide (CJK, Hangul, fullwidth forms, emoji). */
function isWide(cp: number): boolean {
  return cp >= 0x1100 && (
    cp <= 0x115f || cp === 0x2329 || cp === 0x232a ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) || (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd));
}

function isZeroWidth(cp: number): boolean {
  return (cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp < 0x20;
}

function cellWidth(cp: number): number {
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

export function displayWidth(text: string): number {
  let w = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Plain ASCII is the common case: one cell.
    if (c >= 0x20 && c < 0x7f) { w++; continue; }
    const cp = text.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    w += cellWidth(cp);
  }
  return w;
}

/** Cuts to at most `width` cells, ending with "…" when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  let w = 0, out = '';
  for (const ch of text) {
    const cw = cellWidth(ch.codePointAt(0) as number);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

/** Cuts from the middle ("fd00:1:2…:ff:443"), for addresses whose both ends matter. */
export function truncateMiddle(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  if (width <= 3) return truncate(text, width);
  const chars = [...text];
  const keepRight = Math.floor((width - 1) / 2), keepLeft = width - 1 - keepRight;
  return chars.slice(0, keepLeft).join('') + '…' + chars.slice(chars.length - keepRight).join('');
}

/** Exactly `width` cells: cut, then padded on the right. */
export function fit(text: string, width: number): string {
  const t = truncate(text, width);
  return t + ' '.repeat(Math.max(0, width - displayWidth(t)));
}

/** Exactly `width` cells, right-aligned (numbers). */
export function fitRight(text: string, width: number): string {
  const t = truncate(text, width);
  return ' '.repeat(Math.max(0, width - displayWidth(t))) + t;
}

/** Splits text into lines of at most `width` cells at spaces, indenting continuation lines. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const lead = /^\s*(?:- )?/.exec(paragraph)?.[0] ?? '';
    const hang = indent + ' '.repeat(lead.length);
    let line = indent + lead;
    let lineHasWord = false;
    for (const word of paragraph.slice(lead.length).split(/\s+/).filter((w) => w !== '')) {
      const candidate = lineHasWord ? `${line} ${word}` : line + word;
      if (displayWidth(candidate) <= width || !lineHasWord) {
        line = candidate;
        lineHasWord = true;
      } else {
        out.push(truncate(line, width));
        line = hang + word;
      }
    }
    out.push(truncate(line, width));
  }
  return out;
}

/** "1 234 567": thin grouping that reads the same in every locale. */
export function groupDigits(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** "1.2 MB", "340 kB", "12 B" (decimal units, as tcpdump and ss print). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n, u = -1;
  while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}
