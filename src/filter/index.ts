// Public entry of the filter language, shared by the UI's "/" line and `--filter` on the command
// line. The grammar is in parser.ts; the UI's help screen lists the conditions for users.
//
//   host 10.0.0.1 and (port 80 or port 443) and not state TIME_WAIT
//   finding lost-final-ack or severity >= warning
//   client fin-wait-2 > 30s and closer client
//   net fd00::/64 and duration < 100ms

import type { Verdict } from '../close/index.js';
import { formatFilter, type FilterNode } from './ast.js';
import { compile } from './compile.js';
import { FilterError } from './lexer.js';
import { parseToTree } from './parser.js';

export type { FilterNode } from './ast.js';
export { worstSeverityRank } from './compile.js';

export interface FilterProblem {
  message: string;
  /** 0-based offset in the text where it goes wrong. */
  position: number;
}

export type FilterResult =
  | { ok: true; predicate: (v: Verdict) => boolean; normalized: string; tree: FilterNode }
  | { ok: false; error: FilterProblem };

/** Parses a filter expression. An empty text is the filter that keeps everything. */
export function parseFilter(text: string): FilterResult {
  try {
    const tree = parseToTree(text);
    return { ok: true, predicate: compile(tree), normalized: formatFilter(tree), tree };
  } catch (err) {
    if (err instanceof FilterError) return { ok: false, error: { message: err.message, position: err.position } };
    throw err;
  }
}

/** The error as two lines for a terminal: the text, then a caret under the place (with the message). */
export function describeFilterProblem(text: string, problem: FilterProblem): string {
  return `${text}\n${' '.repeat(Math.max(0, problem.position))}^ ${problem.message}`;
}
