// Recursive descent over the tokens. Grammar (lowest precedence first):
//
//   filter   := <empty> | or
//   or       := and (("or" | "||") and)*
//   and      := not (("and" | "&&")? not)*          two conditions side by side mean "and"
//   not      := ("not" | "!") not | "(" or ")" | term
//   term     := ["client" | "server"] condition
//   condition:= "host" ADDRESS[:PORT] | "port" PORT[-PORT] | "net" ADDRESS[/BITS] | "state" STATE
//             | "finding" CODE | "severity" [CMP] LEVEL | "closer" WHO | "id" [CMP] N
//             | CLOSE-STATE CMP DURATION | "duration" CMP DURATION
//
// Every error carries the offset of the token that is wrong.

import { EXPLANATIONS } from '../close/explain.js';
import { TCP_STATES, type FindingCode, type TcpState } from '../close/index.js';
import { parseDuration } from '../common/duration.js';
import { canonicalAddress, mappedIpv4, parseAddress, type ParsedAddress } from './address.js';
import {
  DURATION_WORDS, type CloserName, type Comparison, type DurationKey, type FilterNode, type SeverityLevel, type SideName,
} from './ast.js';
import { FilterError, tokenize, type Token } from './lexer.js';

const CONDITIONS = ['host', 'port', 'net', 'state', 'finding', 'severity', 'closer', 'id', 'duration',
  'fin-wait-1', 'fin-wait-2', 'closing', 'time-wait', 'close-wait', 'last-ack'];
const FINDING_CODES = EXPLANATIONS.map((e) => e.code);
const SEVERITIES: SeverityLevel[] = ['none', 'info', 'warning', 'error'];
const CLOSERS: CloserName[] = ['client', 'server', 'both', 'none'];

/** ss and netstat spellings of the states, to the verdict's. */
const STATE_ALIASES: Record<string, TcpState> = {
  ESTAB: 'ESTABLISHED', SYN_RECV: 'SYN_RECEIVED', SYN_RCVD: 'SYN_RECEIVED', FIN_WAIT1: 'FIN_WAIT_1',
  FIN_WAIT2: 'FIN_WAIT_2', LISTENING: 'LISTEN',
};

function stateOf(word: string): TcpState | null {
  const key = word.toUpperCase().replace(/-/g, '_');
  if ((TCP_STATES as readonly string[]).includes(key)) return key as TcpState;
  return STATE_ALIASES[key] ?? null;
}

const DURATION_KEY_BY_STATE: Partial<Record<TcpState, DurationKey>> = {
  FIN_WAIT_1: 'finWait1', FIN_WAIT_2: 'finWait2', CLOSING: 'closing', TIME_WAIT: 'timeWait',
  CLOSE_WAIT: 'closeWait', LAST_ACK: 'lastAck',
};

/** Edit distance counting a swap of two neighbours as one edit (the usual typo). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** ` (did you mean "x"?)` for a near miss, else an empty string. */
function suggestion(word: string, choices: readonly string[]): string {
  const w = word.toLowerCase();
  let best: string | null = null, bestDistance = Infinity;
  for (const c of choices) {
    const lc = c.toLowerCase();
    const d = lc.startsWith(w) && w.length >= 3 ? 0.5 : editDistance(w, lc);
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return best !== null && bestDistance <= Math.max(1, Math.min(3, Math.floor(w.length / 3))) ? ` (did you mean "${best}"?)` : '';
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token { return this.tokens[this.i]; }
  private next(): Token { return this.tokens[this.i++]; }

  parse(): FilterNode {
    if (this.peek().kind === 'end') return { kind: 'all' };
    const node = this.parseOr();
    const t = this.peek();
    if (t.kind === 'rparen') throw new FilterError('")" without a "(" before it', t.position);
    if (t.kind !== 'end') throw new FilterError(`unexpected "${t.text}"`, t.position);
    return node;
  }

  private parseOr(): FilterNode {
    const items = [this.parseAnd()];
    while (this.peek().kind === 'or') {
      this.next();
      items.push(this.parseAnd());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items: items.flatMap((n) => n.kind === 'or' ? n.items : [n]) };
  }

  private parseAnd(): FilterNode {
    const items = [this.parseNot()];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'and') { this.next(); items.push(this.parseNot()); continue; }
      if (t.kind === 'word' || t.kind === 'lparen' || t.kind === 'not') { items.push(this.parseNot()); continue; }
      break;
    }
    return items.length === 1 ? items[0] : { kind: 'and', items: items.flatMap((n) => n.kind === 'and' ? n.items : [n]) };
  }

  private parseNot(): FilterNode {
    const t = this.peek();
    if (t.kind === 'not') {
      this.next();
      return { kind: 'not', item: this.parseNot() };
    }
    if (t.kind === 'lparen') {
      this.next();
      if (this.peek().kind === 'rparen') throw new FilterError('empty parentheses', this.peek().position);
      const inner = this.parseOr();
      const close = this.peek();
      if (close.kind !== 'rparen') {
        throw new FilterError(close.kind === 'end' ? `"(" at ${t.position + 1} is never closed` : `expected ")" but found "${close.text}"`, close.position);
      }
      this.next();
      return inner;
    }
    return this.parseTerm();
  }

  private expectWord(what: string, after: Token): Token {
    const t = this.peek();
    if (t.kind === 'word') return this.next();
    const found = t.kind === 'end' ? 'the end of the filter' : `"${t.text}"`;
    throw new FilterError(`expected ${what} after "${after.text}", found ${found}`, t.position);
  }

  private expectComparison(after: Token, optional: boolean): Comparison | null {
    const t = this.peek();
    if (t.kind === 'cmp') {
      this.next();
      return (t.text === '==' ? '=' : t.text) as Comparison;
    }
    if (optional) return null;
    const found = t.kind === 'end' ? 'the end of the filter' : `"${t.text}"`;
    throw new FilterError(`expected a comparison (>, >=, <, <=, =, !=) after "${after.text}", found ${found}`, t.position);
  }

  private parseTerm(): FilterNode {
    const t = this.peek();
    if (t.kind !== 'word') {
      const what = t.kind === 'end' ? 'the filter ends where a condition should be' : `unexpected "${t.text}"; expected a condition`;
      throw new FilterError(`${what} (${CONDITIONS.slice(0, 9).join(', ')}, or a close state like fin-wait-2 > 30s)`, t.position);
    }
    this.next();
    const lower = t.text.toLowerCase();
    if (lower === 'client' || lower === 'server') {
      const cond = this.peek();
      if (cond.kind !== 'word') {
        throw new FilterError(`expected a condition after "${t.text}" (host, port, net, state, finding or a close state)`, cond.position);
      }
      this.next();
      return this.parseCondition(cond, lower);
    }
    return this.parseCondition(t, null);
  }

  private parseCondition(t: Token, side: SideName | null): FilterNode {
    const lower = t.text.toLowerCase();
    const noSide = (): void => {
      if (side !== null) throw new FilterError(`"${t.text}" is about the whole connection; it takes no "${side}" before it`, t.position);
    };
    switch (lower) {
      case 'host': return this.parseHost(t, side);
      case 'port': return this.parsePort(t, side);
      case 'net': return this.parseNet(t, side);
      case 'state': {
        const w = this.expectWord('a state (ESTABLISHED, FIN_WAIT_2, TIME_WAIT, ...)', t);
        const state = stateOf(w.text);
        if (state === null) throw new FilterError(`"${w.text}" is not a TCP state${suggestion(w.text.toUpperCase().replace(/-/g, '_'), TCP_STATES)}`, w.position);
        return { kind: 'state', side, state };
      }
      case 'finding': {
        const w = this.expectWord('a finding code (lost-final-ack, long-close-wait, ...)', t);
        const code = w.text.toLowerCase();
        if (!(FINDING_CODES as string[]).includes(code)) {
          throw new FilterError(`"${w.text}" is not a finding code${suggestion(code, FINDING_CODES)}`, w.position);
        }
        return { kind: 'finding', side, code: code as FindingCode };
      }
      case 'severity': {
        noSide();
        const cmp = this.expectComparison(t, true) ?? '=';
        const w = this.expectWord('a severity (error, warning, info, none)', t);
        const level = w.text.toLowerCase() as SeverityLevel;
        if (!SEVERITIES.includes(level)) throw new FilterError(`"${w.text}" is not a severity (error, warning, info, none)${suggestion(w.text, SEVERITIES)}`, w.position);
        return { kind: 'severity', cmp, level };
      }
      case 'closer': {
        noSide();
        const w = this.expectWord('who closed first (client, server, both, none)', t);
        const closer = w.text.toLowerCase() as CloserName;
        if (!CLOSERS.includes(closer)) throw new FilterError(`"${w.text}" is not one of client, server, both, none`, w.position);
        return { kind: 'closer', closer };
      }
      case 'id': {
        noSide();
        const cmp = this.expectComparison(t, true) ?? '=';
        const w = this.expectWord('a connection number', t);
        if (!/^\d+$/.test(w.text)) throw new FilterError(`"${w.text}" is not a connection number`, w.position);
        return { kind: 'id', cmp, value: Number(w.text) };
      }
      case 'duration': {
        noSide();
        return this.parseDurationCondition(t, null, 'connection');
      }
      default: {
        const state = stateOf(t.text);
        const key = state === null ? undefined : DURATION_KEY_BY_STATE[state];
        if (key !== undefined) return this.parseDurationCondition(t, side, key);
        if (state !== null) {
          throw new FilterError(`finscope times only the close states (${Object.values(DURATION_WORDS).slice(0, 6).join(', ')}); for sockets in ${state} use "state ${state}"`, t.position);
        }
        // A near miss says what was meant; anything else lists what would do.
        const near = suggestion(t.text, CONDITIONS);
        throw new FilterError(`unknown condition "${t.text}"${near || ' (host, port, net, state, finding, severity, closer, id, duration, or a close state like fin-wait-2 > 30s)'}`, t.position);
      }
    }
  }

  private parseDurationCondition(t: Token, side: SideName | null, key: DurationKey): FilterNode {
    const cmp = this.expectComparison(t, false) as Comparison;
    const w = this.expectWord('a duration (30s, 250ms, 2m)', t);
    const us = parseDuration(w.text);
    if (us === null) throw new FilterError(`"${w.text}" is not a duration (examples: 30s, 250ms, 1.5m, 2h)`, w.position);
    return { kind: 'duration', side, key, cmp, us };
  }

  private parseHost(t: Token, side: SideName | null): FilterNode {
    const w = this.expectWord('an IP address', t);
    let text = w.text;
    let port: number | null = null;
    // 10.0.0.1:80 and [fd00::1]:80 name one endpoint; a bare IPv6 address keeps its colons.
    const v6Port = /^\[([^\]]+)\]:(\d+)$/.exec(text);
    const v4Port = /^([\d.]+):(\d+)$/.exec(text);
    const m = v6Port ?? v4Port;
    if (m !== null) {
      port = Number(m[2]);
      if (port > 65535) throw new FilterError(`${m[2]} is not a port (0-65535)`, w.position + text.lastIndexOf(':') + 1);
      text = m[1];
    }
    const a = parseAddress(text);
    if (a === null) throw new FilterError(`"${w.text}" is not an IP address (examples: 10.0.0.1, 10.0.0.1:80, fd00::1, [fd00::1]:80)`, w.position);
    const alternates = alternatesOf(a);
    return { kind: 'host', side, address: canonicalAddress(a), family: a.family, alternates, port };
  }

  private parsePort(t: Token, side: SideName | null): FilterNode {
    const w = this.expectWord('a port or range (80, 8000-8080)', t);
    const m = /^(\d+)(?:-(\d+))?$/.exec(w.text);
    if (m === null) throw new FilterError(`"${w.text}" is not a port or port range (80, 8000-8080)`, w.position);
    const low = Number(m[1]), high = m[2] === undefined ? low : Number(m[2]);
    if (low > 65535) throw new FilterError(`${m[1]} is not a port (0-65535)`, w.position);
    if (high > 65535) throw new FilterError(`${m[2]} is not a port (0-65535)`, w.position + m[1].length + 1);
    if (high < low) throw new FilterError(`the range ${w.text} ends before it starts`, w.position);
    return { kind: 'port', side, low, high };
  }

  private parseNet(t: Token, side: SideName | null): FilterNode {
    const w = this.expectWord('a network (10.0.0.0/8, fd00::/64)', t);
    const slash = w.text.lastIndexOf('/');
    const addrText = slash < 0 ? w.text : w.text.slice(0, slash);
    const a = parseAddress(addrText);
    if (a === null) throw new FilterError(`"${addrText}" is not an IP address`, w.position);
    const maxBits = a.family === 4 ? 32 : 128;
    let bits = maxBits;
    if (slash >= 0) {
      const b = w.text.slice(slash + 1);
      if (!/^\d{1,3}$/.test(b) || Number(b) > maxBits) {
        throw new FilterError(`"/${b}" is not a prefix length for IPv${a.family} (0-${maxBits})`, w.position + slash);
      }
      bits = Number(b);
    }
    return { kind: 'net', side, family: a.family, words: a.words, bits, text: `${canonicalAddress(a)}/${bits}` };
  }
}

/** The other text a verdict may carry for the same host: v4 <-> IPv4-mapped v6. */
function alternatesOf(a: ParsedAddress): string[] {
  if (a.family === 4) return [`::ffff:${canonicalAddress(a)}`];
  const v4 = mappedIpv4(a);
  return v4 === null ? [] : [canonicalAddress(v4)];
}

export function parseToTree(text: string): FilterNode {
  return new Parser(tokenize(text)).parse();
}
