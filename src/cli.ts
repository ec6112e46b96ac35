#!/usr/bin/env node
// Commander wiring only: parse options, run the pipeline, pick an output, set the exit code.
// Exit codes: 0 every input read to its end; 1 --fail-on matched; 2 usage error; 3 some input could
// not be read or broke half-way (what was read is still reported). When several apply, 2 wins over
// 3, and 3 over 1: an incomplete input makes a passing gate untrustworthy.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CLOSE_OPTIONS, TIME_WAIT_BY_OS, type CloseOptions } from './close/index.js';
import { EXPLANATIONS, explain, explanationText } from './close/explain.js';
import { parseDuration } from './common/duration.js';
import { parseInstant } from './common/time.js';
import { analyzeInputs } from './pipeline/index.js';
import { reportJson } from './report/json.js';
import { Sink } from './report/sink.js';
import { summarize } from './report/summary.js';
import { textReport } from './report/text.js';

export const EXIT_OK = 0;
export const EXIT_FAIL_ON = 1;
export const EXIT_USAGE = 2;
export const EXIT_INPUT = 3;
export const EXIT_INTERNAL = 4;

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

interface ReportFlags {
  format: string;
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
  all?: boolean;
  limit: number;
  output?: string;
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

function closeOptions(f: ReportFlags): CloseOptions {
  return {
    timeWaitUs: f.msl !== undefined ? 2 * f.msl : TIME_WAIT_BY_OS[f.os] ?? DEFAULT_CLOSE_OPTIONS.timeWaitUs,
    finWait2LimitUs: f.finWait2,
    closeWaitLimitUs: f.closeWait,
  };
}

class UsageError extends Error {}

async function runReport(files: string[], f: ReportFlags): Promise<number> {
  if (!['text', 'json'].includes(f.format)) throw new UsageError(`unknown format "${f.format}" (text, json)`);
  const close = closeOptions(f);
  const analysis = await analyzeInputs(files, { close, flow: { maxLive: f.maxConnections, idleUs: f.idle, zeekBoundaries: f.zeekBoundaries ?? false } });
  const starts = analysis.inputs.map((i) => i.firstUs).filter((t) => t >= 0);
  const startUs = starts.length ? Math.min(...starts) : 0;
  const endUs = Math.max(0, ...analysis.inputs.map((i) => i.lastUs));
  let atUs: number | undefined;
  if (f.at !== undefined) {
    const t = parseInstant(f.at, startUs, parseDuration);
    if (t === null) throw new UsageError(`--at: "${f.at}" is not a time (epoch seconds, ISO time, or +30s from the start)`);
    atUs = t;
  }
  const summary = summarize(analysis.verdicts, startUs, endUs, { atUs, host: f.host, portRange: f.portRange });
  const sink = new Sink(f.output ?? null);
  try {
    if (f.format === 'json') {
      const doc = reportJson(analysis.inputs, analysis.verdicts, summary, {
        timeWait: close.timeWaitUs / 1e6, finWait2: close.finWait2LimitUs / 1e6, closeWait: close.closeWaitLimitUs / 1e6,
        os: f.os, portRange: f.portRange,
      }) as Record<string, unknown>;
      // Streamed: one connection per line, so a huge report never becomes one string.
      const { connections, summary: sum, ...head } = doc as { connections: unknown[]; summary: unknown };
      const headText = JSON.stringify(head);
      await sink.write(`${headText.slice(0, -1)},\n"connections":[`);
      for (let i = 0; i < connections.length; i++) {
        if (sink.isClosed) break;
        await sink.write(`${i === 0 ? '\n' : ',\n'}${JSON.stringify(connections[i])}`);
      }
      await sink.write(`\n],\n"summary":${JSON.stringify(sum)}}\n`);
    } else {
      await sink.write(textReport(analysis.inputs, analysis.verdicts, summary, { all: f.all ?? false, limit: f.limit }));
    }
    await sink.end();
  } catch (err) {
    sink.abort();
    throw err;
  }
  for (const input of analysis.inputs) {
    if (input.info.error !== null) process.stderr.write(`finscope: ${input.info.error.file}: ${input.info.error.message} (byte offset ${input.info.error.offset})\n`);
  }
  return analysis.inputs.some((i) => i.info.error !== null) ? EXIT_INPUT : EXIT_OK;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('finscope')
    .description('Explain how every TCP connection in a packet capture ended: close states, TIME_WAIT, FIN_WAIT_2, CLOSE_WAIT, resets, and what went wrong.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  const report = addAnalysisOptions(program.command('report')
    .description('analyse captures (pcap, pcapng, gzipped, or - for stdin) and print a report')
    .argument('<files...>', 'capture files, or - for stdin'))
    .option('-f, --format <format>', 'text or json', 'text')
    .option('--all', 'text: list every connection, not only those with warnings or errors')
    .option('--limit <n>', 'text: list at most this many connections', positiveInt, 50)
    .option('-o, --output <file>', 'write the report to a file (atomically) instead of stdout')
    .addHelpText('after', `
Examples:
  finscope report captures/close-client-first.pcap
  finscope report --format json capture.pcapng.gz > report.json
  tcpdump -i eth0 -w - 'tcp' | finscope report -
  finscope report --fin-wait2 5s --close-wait 5s --os linux capture.pcap`)
    .action(async (files: string[], flags: ReportFlags) => { setExit(await runReport(files, flags)); });
  void report;

  program.command('explain')
    .description('explain a finding code (what it means, likely causes, what to do); lists the codes without one')
    .argument('[code]', 'finding code, e.g. lost-final-ack')
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

  // `finscope capture.pcap`: the report for now (the terminal UI takes over on a TTY once it lands).
  addAnalysisOptions(program
    .argument('[files...]', 'capture files (same as finscope report)'))
    .option('--all', 'list every connection')
    .option('--limit <n>', 'list at most this many connections', positiveInt, 50)
    .action(async (files: string[], flags: ReportFlags) => {
      if (files.length === 0) { program.outputHelp(); return; }
      setExit(await runReport(files, { ...flags, format: 'text' }));
    });
  return program;
}

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
    const e = err as Error;
    process.stderr.write(`finscope: internal error: ${e.message}\n`);
    if (process.env.FINSCOPE_DEBUG === '1') process.stderr.write(`${e.stack ?? ''}\n`);
    else process.stderr.write('finscope: set FINSCOPE_DEBUG=1 to see where\n');
    return EXIT_INTERNAL;
  }
}

// Run when executed (also through the npm bin symlink), not when imported by tests.
const invoked = process.argv[1] ?? '';
if (/(?:^|[\\/])(cli\.js|finscope)$/.test(invoked)) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(EXIT_OK); });
  main(process.argv).then((code) => { process.exitCode = code; }, () => { process.exitCode = EXIT_INTERNAL; });
}
