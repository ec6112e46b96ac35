// What the batch stage hands the report: the inputs it resolved (files, directory walks, globs,
// stdin), what it left out and why, and the analysis of the inputs it kept.

import type { VerdictSource } from '../store/verdict-store.js';
import type { FlowStats } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';

/** One input to analyse. */
export interface InputSpec {
  /** The path as given or as found ('-' for stdin). */
  path: string;
  /** How it was found: named on the command line, by walking a directory, or by a glob. */
  origin: 'argument' | 'directory' | 'glob' | 'stdin';
  /** Size in bytes when it is a regular file (progress), else null. */
  size: number | null;
}

/**
 * Why an entry met while resolving the arguments was not analysed. Only `unreadable` and
 * `no-match` make the run incomplete (exit 3): the others lose nothing that could be read.
 */
export type SkipReason =
  | 'not-a-capture' // no pcap/pcapng magic (gzip: inside the gzip)
  | 'empty' // zero bytes, or a gzip of nothing
  | 'special-file' // FIFO, socket or device met while walking: reading it could block forever
  | 'symlink-loop' // a symlink back to a directory being walked, or a chain of links that loops (ELOOP)
  | 'broken-symlink' // a symlink whose target does not exist
  | 'duplicate' // the same file or directory reached again through another link
  | 'unreadable' // a directory or entry that could not be listed or examined (EACCES, EIO)
  | 'no-match'; // a glob pattern that matched nothing

export const SKIP_FAILS: Record<SkipReason, boolean> = {
  'not-a-capture': false, empty: false, 'special-file': false, 'symlink-loop': false, 'broken-symlink': false,
  duplicate: false, unreadable: true, 'no-match': true,
};

export interface SkippedEntry {
  path: string;
  reason: SkipReason;
  /** One line, without the path. */
  message: string;
}

export interface ResolvedInputs {
  inputs: InputSpec[];
  skipped: SkippedEntry[];
}

/** Everything analysed, in a stable order whatever the number of jobs. */
export interface BatchAnalysis {
  inputs: InputResult[];
  /**
   * Every connection, sorted by id: input order, then order of first packet within the input.
   * From an analysis, a VerdictStore (compact records, spilled to disk past a budget: memory does
   * not grow with the connections); read it with for..of, or write JSON straight from its records.
   */
  verdicts: VerdictSource;
  /**
   * With --merge, the one flow table's statistics (connections may span inputs); null otherwise.
   * Each input's own `flow` then counts only the connections whose first packet it holds.
   */
  merged: FlowStats | null;
  skipped: SkippedEntry[];
}
