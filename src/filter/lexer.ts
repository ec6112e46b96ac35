// Tokens of the filter language, each with where it starts, so every error can point at a column.

export type TokenKind = 'word' | 'lparen' | 'rparen' | 'cmp' | 'and' | 'or' | 'not' | 'end';

export interface Token {
  kind: TokenKind;
  /** The text as typed (for 'cmp': the operator; for 'word': the word). */
  text: string;
  /** 0-based offset in the filter text. */
  position: number;
}

export class FilterError extends Error {
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

// Everything that ends a word: IPv6 addresses keep their colons, durations their dots, codes their
// dashes, so "fin-wait-2>30s" is three tokens and "fd00::1" one.
const BREAK = new Set([' ', '\t', '\n', '\r', '(', ')', '<', '>', '=', '!', '&', '|']);

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const two = text.slice(i, i + 2);
    if (c === '(') { tokens.push({ kind: 'lparen', text: c, position: i }); i++; continue; }
    if (c === ')') { tokens.push({ kind: 'rparen', text: c, position: i }); i++; continue; }
    if (two === '&&') { tokens.push({ kind: 'and', text: two, position: i }); i += 2; continue; }
    if (two === '||') { tokens.push({ kind: 'or', text: two, position: i }); i += 2; continue; }
    if (two === '>=' || two === '<=' || two === '==' || two === '!=') {
      tokens.push({ kind: 'cmp', text: two, position: i }); i += 2; continue;
    }
    if (c === '>' || c === '<' || c === '=') { tokens.push({ kind: 'cmp', text: c, position: i }); i++; continue; }
    if (c === '!') { tokens.push({ kind: 'not', text: c, position: i }); i++; continue; }
    if (c === '&' || c === '|') throw new FilterError(`"${c}" alone is not an operator (use "and"/"&&" or "or"/"||")`, i);
    let j = i;
    while (j < text.length && !BREAK.has(text[j])) j++;
    const word = text.slice(i, j);
    const lower = word.toLowerCase();
    const kind: TokenKind = lower === 'and' ? 'and' : lower === 'or' ? 'or' : lower === 'not' ? 'not' : 'word';
    tokens.push({ kind, text: word, position: i });
    i = j;
  }
  tokens.push({ kind: 'end', text: '', position: text.length });
  return tokens;
}
