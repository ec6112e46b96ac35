#!/usr/bin/env node
// Commander wiring only: parse options, run the pipeline, pick an output, set the exit code.
// Exit codes: 0 every input read to its end; 1 --fail-on matched; 2 usage error; 3 some input could
// not be read or broke half-way (what was read is still reported); 4 internal error. When several
// apply, 2 wins over 3, and 3 over 1: an incomplete input makes a passing gate untrustworthy.
// Interrupted by SIGINT / SIGTERM: 130 / 143, and no output file is left behind.

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyzeBatch, resolveInputs, SKIP_FAILS, WorkerFailure, type ResolvedInputs, type SkippedEntry } from './batch/index.js';
import { ProgressLine } from './batch/progress.js';
import { DEFAULT_CLOSE_OPTIONS, TIME_WAIT_BY_OS, type CloseOptions, type Verdict } from './close/index.js';
import { EXPLANATIONS, explain, explanationText } from './close/explain.js';
import { parseDuration } from './common/duration.js';
import { batchHeapSettings } from './common/heap-policy.js';
import { describeFilterProblem, parseFilter } from './filter/index.js';
import { failOnMatches, parseFailOn, type FailOn } from './report/fail-on.js';
import { combineShards, readShard, settingsDifference, type ShardReport } from './report/merge.js';
import { buildModel, resolveAt, type ReportModel, type ReportSettings } from './report/model.js';
import { Sink } from './report/sink.js';
import { FORMATS, writeReport, type Format } from './report/write.js';

export const EXIT_OK = 0;
export const EXIT_FAIL_ON = 1;
export const EXIT_USAGE = 2;
export const EXIT_INPUT = 3;
export const EXIT_INTERNAL = 4;
/** The report could not be written: the disk is full, the file system read-only, an I/O error. */
export const EXIT_OUTPUT = 5;

/** Errors of the output, not of finscope: said in one line with their own exit code. */
const OUTPUT_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO', 'EROFS']);
const EXIT_SIGINT = 130;
const EXIT_SIGTERM = 143;

function durationArg(value: string): number {
  const us = parseDuration(value);
  if (us === null) throw new InvalidArgumentError(`"${value}" is not a duration (examples: 30s, 250ms, 2m)`);
  return us;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return n;
}

function portRangeArg(value: string): [number, number] {
  const m = /^(\d+)\s*[-:]\s*(\d+)$/.exec(value.trim());
  const lo = m ? Number(m[1]) : NaN, hi = m ? Number(m[2]) : NaN;
  if (!(lo >= 1 && hi <= 65535 && lo <= hi)) throw new InvalidArgumentError(`"${value}" is not a port range like 32768-60999`);
  return [lo, hi];
}

interface FilterArg {
  /** Canonical text (what the report's options record, so equal filters compare equal). */
  text: string;
  predicate: (v: Verdict) => boolean;
}

function filterArg(value: string): FilterArg {
  const parsed = parseFilter(value);
  if (!parsed.ok) throw new InvalidArgumentError(`\n${describeFilterProblem(value, parsed.error)}`);
  return { text: parsed.normalized, predicate: parsed.predicate };
}

function failOnArg(value: string): FailOn {
  const parsed = parseFailOn(value);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.message);
  return parsed.failOn;
}

interface OutputFlags {
  format: Format;
  filter?: FilterArg;
  all?: boolean;
  limit: number;
  output?: string;
  failOn?: FailOn;
}

interface ReportFlags extends OutputFlags {
  os: string;
  msl?: number;
  finWait2: number;
  closeWait: number;
  at?: string;
  host?: string;
  portRange: [number, number];
  maxConnections: number;
  idle: number;
  zeekBoundaries?: boolean;
  jobs: number;
  merge?: boolean;
  progress: boolean;
}

function addAnalysisOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--os <profile>', 'OS profile for the TIME_WAIT span (2 x MSL)').choices(Object.keys(TIME_WAIT_BY_OS)).default('linux'))
    .option('--msl <duration>', 'maximum segment lifetime; TIME_WAIT lasts twice this (overrides --os)', durationArg)
    .option('--fin-wait2 <duration>', 'flag FIN_WAIT_2 longer than this (Linux tcp_fin_timeout)', durationArg, DEFAULT_CLOSE_OPTIONS.finWait2LimitUs)
    .option('--close-wait <duration>', 'flag CLOSE_WAIT longer than this', durationArg, DEFAULT_CLOSE_OPTIONS.closeWaitLimitUs)
    .option('--at <time>', 'instant for the socket-state histogram: epoch seconds, ISO time, or +offset from the start (default: the end)')
    .option('--host <ip>', 'count only this host\'s sockets in the histogram (default: the capture host when clear)')
    .option('--port-range <lo-hi>', 'ephemeral port range for ephemeral-port-pressure', portRangeArg, [32768, 60999] as [number, number])
    .option('--max-connections <n>', 'live-connection cap; the oldest idle ones are evicted beyond it', positiveInt, 500_000)
    .option('--idle <duration>', 'finish a connection idle this long', durationArg, 300_000_000)
    .option('--zeek-boundaries', 'also end connections where Zeek does (its 5 s attempt and close timers), to line up with conn.log');
}

function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--all', 'text: list every connection, not only those with warnings or errors')
    .option('--limit <n>', 'text: list at most this many connections', positiveInt, 50)
    .option('-o, --output <file>', 'write the report to a file, atomically (a temporary file renamed at the end)')
    .option('--fail-on <list>', 'exit 1 when a finding matches: a severity (error; warning = warning or worse; info) and/or codes, comma-separated', failOnArg)
    .option('--filter <expr>', 'report only the connections the expression keeps (the UI\'s filter language, e.g. "finding lost-final-ack or severity >= warning"); ids stay those of the whole run', filterArg);
}

function closeOptions(f: ReportFlags): CloseOptions {
  return {
    timeWaitUs: f.msl !== undefined ? 2 * f.msl : TIME_WAIT_BY_OS[f.os] ?? DEFAULT_CLOSE_OPTIONS.timeWaitUs,
    finWait2LimitUs: f.finWait2,
    closeWaitLimitUs: f.closeWait,
  };
}

function reportSettings(f: ReportFlags, close: CloseOptions): ReportSettings {
  return {
    os: f.os, timeWaitUs: close.timeWaitUs, finWait2Us: close.finWait2LimitUs, closeWaitUs: close.closeWaitLimitUs,
    at: f.at ?? null, host: f.host ?? null, portRange: f.portRange, maxConnections: f.maxConnections, idleUs: f.idle,
    zeekBoundaries: f.zeekBoundaries ?? false, merge: f.merge ?? false, filter: f.filter?.text ?? null,
  };
}

class UsageError extends Error {}

const UNWRITABLE: Record<string, string> = {
  ENOENT: 'its directory does not exist', ENOTDIR: 'a parent is not a directory', EACCES: 'permission denied',
  EPERM: 'permission denied', EROFS: 'read-only file system',
};

/** -o into a missing or read-only directory fails before the analysis, not after it (and not as a bug). */
function checkOutputPath(path: string | undefined): void {
  if (path === undefined || path === '-') return;
  try {
    accessSync(dirname(path), constants.W_OK);
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true) throw new UsageError(`-o ${path}: is a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`-o ${path}: cannot write there: ${UNWRITABLE[code] ?? code}`);
  }
}

function printSkipped(skipped: SkippedEntry[]): void {
  for (const x of skipped) {
    if (x.reason === 'not-a-capture' || x.reason === 'empty' || x.reason === 'duplicate') continue;
    process.stderr.write(`finscope: ${x.path}: ${x.message} (${x.reason}${SKIP_FAILS[x.reason] ? '' : ', skipped'})\n`);
  }
}

/**
 * Writes the report through a Sink; SIGINT/SIGTERM while writing remove the temporary file.
 * `threads`: how many may write JSON and NDJSON (json.ts).
 */
async function writeOutput(model: ReportModel, f: OutputFlags, threads = 1): Promise<void> {
  const sink = new Sink(f.output ?? null);
  const onSignal = (signal: NodeJS.Signals): void => {
    sink.abort();
    process.exit(signal === 'SIGINT' ? EXIT_SIGINT : EXIT_SIGTERM);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await writeReport(sink, f.format, model, { all: f.all ?? false, limit: f.limit, threads });
    await sink.end();
  } catch (err) {
    sink.abort();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Exit code of a finished report: 3 when something could not be read, else 1 when the gate matched. */
function outcome(model: ReportModel, f: OutputFlags): number {
  for (const input of model.inputs) {
    const e = input.info.error;
    if (e !== null) process.stderr.write(`finscope: ${e.file}: ${e.message} (byte offset ${e.offset})\n`);
  }
  if (model.inputs.some((i) => i.info.error !== null) || model.skipped.some((x) => SKIP_FAILS[x.reason])) return EXIT_INPUT;
  if (f.failOn !== undefined) {
    const hits = failOnMatches(model, f.failOn);
    if (hits.size > 0) {
      process.stderr.write(`finscope: --fail-on ${f.failOn.text} matched: ${[...hits].map(([code, n]) => `${code} ${n}`).join(', ')}\n`);
      return EXIT_FAIL_ON;
    }
  }
  return EXIT_OK;
}

async function runReport(args: string[], f: ReportFlags): Promise<number> {
  batchHeapSettings();
  if (args.filter((a) => a === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
  checkOutputPath(f.output);
  if (f.at !== undefined && resolveAt(f.at, 0) === null) {
    throw new UsageError(`--at: "${f.at}" is not a time (epoch seconds, ISO time, or +30s from the start)`);
  }
  const close = closeOptions(f);
  const resolved: ResolvedInputs = await resolveInputs(args);
  printSkipped(resolved.skipped);
  const progress = f.progress && process.stderr.isTTY === true ? new ProgressLine(process.stderr, resolved.inputs) : null;
  let analysis;
  try {
    analysis = await analyzeBatch(resolved, {
      close,
      flow: { maxLive: f.maxConnections, idleUs: f.idle, zeekBoundaries: f.zeekBoundaries ?? false },
      jobs: f.jobs,
      merge: f.merge ?? false,
      filter: f.filter?.predicate,
      onProgress: progress === null ? undefined : (e) => progress.update(e),
    });
  } finally {
    progress?.end();
  }
  const model = buildModel(analysis, reportSettings(f, close));
  // -j also bounds the threads that write JSON and NDJSON.
  await writeOutput(model, f, Math.min(f.jobs, availableParallelism()));
  const code = outcome(model, f);
  if (model.inputs.length === 0) {
    // A gate over an empty or mistyped archive path must not pass silently.
    process.stderr.write('finscope: no capture found in the given paths\n');
    return EXIT_INPUT;
  }
  return code;
}

async function runMerge(files: string[], f: OutputFlags): Promise<number> {
  batchHeapSettings();
  checkOutputPath(f.output);
  const shards: ShardReport[] = [];
  let unreadable = false;
  for (const file of files) {
    const r = await readShard(file);
    if (r.ok) shards.push(r.shard);
    else {
      process.stderr.write(`finscope: ${r.file}: ${r.message}\n`);
      unreadable = true;
    }
  }
  if (shards.length === 0) {
    process.stderr.write('finscope: no report could be read: nothing to merge\n');
    return EXIT_INPUT;
  }
  for (const s of shards.slice(1)) {
    const diff = settingsDifference(shards[0].settings, s.settings);
    if (diff !== null) {
      throw new UsageError(`${s.file} was made with a different "${diff}" than ${shards[0].file}: reports merge only when made with the same options`);
    }
  }
  const combined = combineShards(shards);
  let settings = shards[0].settings;
  if (f.filter !== undefined) {
    const keep = f.filter.predicate;
    combined.verdicts = [...combined.verdicts].filter((v) => keep(v));
    settings = { ...settings, filter: settings.filter === null ? f.filter.text : `(${settings.filter}) and (${f.filter.text})` };
  }
  const model = buildModel(combined, settings);
  await writeOutput(model, f);
  const code = outcome(model, f);
  return unreadable ? EXIT_INPUT : code;
}

const REPORT_EXAMPLES = `
Inputs are files, directories (walked recursively; captures recognised by their first bytes), glob
patterns expanded by finscope itself (quote them: '*', '?', '**', '[a-z]'), and - for stdin.

Examples:
  finscope report captures/close-client-first.pcap
  finscope report -f json -o report.json /var/captures/          # a whole archive, one worker per core
  finscope report -f csv 'archive/2024-*/**/*.pcap*' > conns.csv
  finscope report --merge rotated/trace.pcap*                     # rotated files as one capture
  finscope report --fail-on warning captures/                     # CI gate: exit 1 on warnings or errors
  finscope report --fail-on lost-final-ack,missing-peer-fin -f markdown captures/ > ticket.md
  finscope report --filter 'severity >= warning and port 443' -f csv captures/ > worst.csv
  tcpdump -i eth0 -w - tcp | finscope report -
  finscope report --fin-wait2 5s --close-wait 5s --os linux capture.pcap

Exit codes: 0 ok, 1 --fail-on matched, 2 usage error, 3 an input could not be read or broke
half-way (what was read is still reported), 4 internal error; 2 wins over 3, 3 over 1.`;

const MERGE_EXAMPLES = `
Combines JSON reports made on separate machines (shards of an archive) into the report one run over
all their inputs gives: inputs in the order of the reports, ids renumbered, the aggregate
(percentiles included) recomputed exactly from the connections. The reports must have been made
with the same options.

Examples:
  finscope merge shard-*.json > all.json
  finscope merge -f markdown shard-1.json shard-2.json > ticket.md
  finscope merge --fail-on error -f text reports/*.json
  finscope merge --filter 'finding lost-final-ack' -f csv shard-*.json > lost-acks.csv`;

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('finscope')
    .description('Explain how every TCP connection in a packet capture ended: close states, TIME_WAIT, FIN_WAIT_2, CLOSE_WAIT, resets, and what went wrong.')
    .version('0.1.0')
    .exitOverride()
    // The default action has options of the same names as report's: without this, the program
    // would swallow `finscope report --all`.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)');

  const report = addOutputOptions(addAnalysisOptions(program.command('report')
    .description('analyse captures (pcap, pcapng, gzipped; files, directories, globs, or - for stdin) and print a report')
    .argument('<paths...>', 'capture files, directories, glob patterns, or - for stdin')))
    .option('-j, --jobs <n>', 'inputs analysed in parallel (worker threads); a lone input of 16 MiB or more (or --merge) has its connections judged on a second thread; also the threads writing a large JSON or NDJSON report', positiveInt, availableParallelism())
    .option('--merge', 'treat all inputs as one capture in time order (rotated files): a connection spanning files is one connection')
    .option('--no-progress', 'no progress line on stderr (it is shown only on a terminal anyway)')
    .addHelpText('after', REPORT_EXAMPLES)
    .action(async (paths: string[], flags: ReportFlags) => { setExit(await runReport(paths, flags)); });
  void report;

  addOutputOptions(program.command('merge')
    .description('combine JSON reports of separate shards into the report of one run over all their inputs')
    .argument('<reports...>', 'JSON reports (finscope report -f json)'))
    .addHelpText('after', MERGE_EXAMPLES)
    .action(async (files: string[], flags: OutputFlags) => { setExit(await runMerge(files, flags)); });

  program.command('explain')
    .description('explain a finding code (what it means, likely causes, what to do); lists the codes without one')
    .argument('[code]', 'finding code, e.g. lost-final-ack')
    .addHelpText('after', `
Examples:
  finscope explain                   # every code with its one-line title
  finscope explain lost-final-ack    # what it means, causes, what to do`)
    .action((code?: string) => {
      if (code === undefined) {
        const width = Math.max(...EXPLANATIONS.map((e) => e.code.length));
        process.stdout.write(EXPLANATIONS.map((e) => `${e.code.padEnd(width)}  ${e.title}`).join('\n') + '\n');
        return;
      }
      const e = explain(code);
      if (e === undefined) throw new UsageError(`unknown finding code "${code}" (run finscope explain for the list)`);
      process.stdout.write(explanationText(e) + '\n');
    });

  addDefaultAction(program, setExit);
  return program;
}

// ---------------------------------------------------------------------------------------------
// The default action: `finscope capture.pcap`. On a terminal it opens the interactive UI; when
// stdout is a pipe or a file it prints the text report instead, so scripts get text.

function addDefaultAction(program: Command, setExit: (code: number) => void): void {
  addAnalysisOptions(program
    .argument('[paths...]', 'capture files, directories or globs (same as finscope report)'))
    .option('--all', 'text report: list every connection')
    .option('--limit <n>', 'text report: list at most this many connections', positiveInt, 50)
    .option('--filter <expr>', 'start with this filter (the UI\'s / line; e.g. "finding lost-final-ack")', filterArg)
    .addHelpText('after', `
On a terminal this opens the interactive view (? lists its keys); piped or redirected, it prints the
text report.

Examples:
  finscope captures/busy.pcap                    # the interactive view (the text report when piped)
  finscope captures/busy.pcap | less             # the text report
  finscope report --help                         # batch reports, formats, CI gates
  finscope merge --help                          # combine reports made on separate machines`)
    .action(async (paths: string[], flags: ReportFlags) => {
      if (paths.length === 0) { program.outputHelp(); return; }
      if (process.stdout.isTTY === true) {
        const resolved = await resolveInputs(paths);
        const files = resolved.inputs.map((i) => i.path);
        if (files.length > 0) {
          // Loaded only for the UI: reports and scripts do not pay for its modules at start.
          const { runUi } = await import('./ui/index.js');
          setExit(await runUi(files, {
            close: closeOptions(flags),
            flow: { maxLive: flags.maxConnections, idleUs: flags.idle, zeekBoundaries: flags.zeekBoundaries ?? false },
            portRange: flags.portRange,
            host: flags.host,
            filter: flags.filter?.text,
            at: flags.at,
          }));
          return;
        }
        // Nothing to open: the report says what was wrong with each path, with its exit code.
      }
      setExit(await runReport(paths, { ...flags, format: 'text', jobs: availableParallelism(), progress: true }));
    });
}

// ---------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram((c) => { exitCode = c; });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`finscope: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== undefined && OUTPUT_ERRORS.has(code)) {
      process.stderr.write(`finscope: cannot write the report: ${(err as Error).message}\n`);
      return EXIT_OUTPUT;
    }
    const e = err as Error;
    process.stderr.write(`finscope: internal error: ${e.message}\n`);
    if (process.env.FINSCOPE_DEBUG === '1') process.stderr.write(`${e instanceof WorkerFailure ? e.workerStack : e.stack ?? ''}\n`);
    else process.stderr.write('finscope: set FINSCOPE_DEBUG=1 to see where\n');
    return EXIT_INTERNAL;
  }
}

/** True when this file is the program being run (directly, or through the npm bin symlink). */
function isEntryPoint(): boolean {
  const invoked = process.argv[1];
  if (invoked === undefined) return false;
  try {
    return realpathSync(invoked) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(EXIT_OK); });
  main(process.argv).then((code) => { process.exitCode = code; }, () => { process.exitCode = EXIT_INTERNAL; });
}
