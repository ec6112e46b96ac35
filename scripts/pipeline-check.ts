// One input through everything `finscope report` does with it (resolve -> read -> decode -> flow ->
// close -> model -> every output format), in-process, with the invariants a hostile capture must not
// break. Shared by the corpus run (scripts/corpus-run.ts), the fuzzer (scripts/fuzz.ts) and the
// reproducer tests; run it inside scripts/guarded.ts so that a hang or a memory blow-up is caught too.
//
// A failure here is what the CLI would turn into exit code 4 (an exception out of the pipeline) or
// into a lie (a report that does not parse, raw control characters on a terminal, more packets than
// the bytes can hold, a stream read that disagrees with the file read of the same bytes).

import { readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { analyzeBatch } from '../src/batch/index.js';
import { ProblemKind, type CaptureInfo, type CaptureProblem } from '../src/capture/index.js';
import { DEFAULT_CLOSE_OPTIONS } from '../src/close/index.js';
import { analyzeInput } from '../src/pipeline/index.js';
import { buildModel, type ReportSettings } from '../src/report/model.js';
import type { Sink } from '../src/report/sink.js';
import { FORMATS, writeReport, type Format } from '../src/report/write.js';

/** Smallest unit that can carry a packet: a pcap record header or a pcapng SPB (16 bytes). */
const SMALLEST_PACKET_UNIT = 16;

const KNOWN_KINDS = new Set<string>(Object.values(ProblemKind));

/**
 * Characters no report may carry raw: C0 controls except LF (and CR, which CSV's RFC 4180 line ends
 * use), DEL, C1 controls, and the bidi marks, embeddings, overrides and isolates.
 */
const RAW_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export type CheckStatus = 'ok' | 'warning' | 'error' | 'crash';

export interface CheckRequest {
  path: string;
  /** Short name for listings (the report itself names `path`, as the CLI does). */
  name: string;
  /** Also run --merge (the pull reader) over the input. */
  merge?: boolean;
  /**
   * Also read the same bytes as a stream cut into chunks of pseudo-random sizes (seeded by this
   * number) and require the same report: chunk boundaries must never change what is read.
   */
  chunkSeed?: number;
  /** Flow options (the adversarial tests lower the live-connection cap). */
  maxLive?: number;
  /** --zeek-boundaries: also end connections on Zeek's timers. */
  zeekBoundaries?: boolean;
  /**
   * The input given this many times: analysed by two worker threads (each copy must read the same),
   * and with --merge as pieces of one capture (every packet twice, timestamps tied across inputs).
   */
  copies?: number;
  /**
   * Also analyse it as the CLI does one input with more than one job, its close stage on a worker
   * thread (src/batch/offload.ts), and require the same report.
   */
  split?: boolean;
}

export interface CheckResult {
  status: CheckStatus;
  packets: number;
  connections: number;
  /** Uncompressed bytes consumed. */
  bytes: number;
  /** The error (status 'error'), the first warning (status 'warning'), or null. */
  problem: CaptureProblem | null;
  /** What broke, for status 'crash': an exception or a violated invariant. */
  crash: string | null;
  ms: number;
}

/**
 * The Sink writers only call write() and read isClosed; this one keeps the text so that it can be
 * checked. (Sink itself writes to stdout or renames a file into place: neither suits a check.)
 */
class MemorySink {
  readonly isClosed = false;
  private parts: string[] = [];
  async write(text: string): Promise<void> { this.parts.push(text); }
  async flush(): Promise<void> {}
  async end(): Promise<void> {}
  abort(): void {}
  text(): string { return this.parts.join(''); }
}

export const CHECK_SETTINGS: ReportSettings = {
  os: 'linux', timeWaitUs: DEFAULT_CLOSE_OPTIONS.timeWaitUs, finWait2Us: DEFAULT_CLOSE_OPTIONS.finWait2LimitUs,
  closeWaitUs: DEFAULT_CLOSE_OPTIONS.closeWaitLimitUs, at: null, host: null, portRange: [32768, 60999],
  maxConnections: 500_000, idleUs: 300_000_000, zeekBoundaries: false, merge: false, filter: null,
};

class InvariantError extends Error {}

function must(condition: boolean, message: string): void {
  if (!condition) throw new InvariantError(message);
}

function flowOptions(req: CheckRequest): { maxLive: number; idleUs: number; zeekBoundaries: boolean } {
  return { maxLive: req.maxLive ?? CHECK_SETTINGS.maxConnections, idleUs: CHECK_SETTINGS.idleUs, zeekBoundaries: req.zeekBoundaries ?? false };
}

interface Run {
  /** The first input's reading. */
  info: CaptureInfo;
  /** Connections of the first input alone (for --merge: whose first packet it holds). */
  connections: number;
  /** Connections in the report. */
  total: number;
  outputs: Map<Format, string>;
}

/** Runs the CLI's report path over the input (one job, two with copies, or --merge) and returns every format's text. */
async function reportAll(req: CheckRequest, merge: boolean, split = false): Promise<Run> {
  const flow = flowOptions(req);
  let size: number | null = null;
  try { size = statSync(req.path).size; } catch { /* the reader reports it */ }
  const copies = Math.max(1, req.copies ?? 1);
  const spec = { path: req.path, origin: 'argument' as const, size };
  const analysis = await analyzeBatch({ inputs: Array.from({ length: copies }, () => spec), skipped: [] },
    { close: DEFAULT_CLOSE_OPTIONS, flow, jobs: (copies > 1 && !merge) || split ? 2 : 1, merge, splitFrom: split ? 0 : undefined });
  // (--merge with split: one flow table here, its connections judged on a worker.)
  const first = analysis.inputs[0];
  if (!merge) {
    for (const other of analysis.inputs.slice(1)) {
      must(other.info.packets === first.info.packets && other.flow.connections === first.flow.connections,
        `two workers read the same file differently: ${other.info.packets}/${first.info.packets} packets, ` +
        `${other.flow.connections}/${first.flow.connections} connections`);
    }
  }
  const model = buildModel(analysis, { ...CHECK_SETTINGS, merge, maxConnections: flow.maxLive, zeekBoundaries: flow.zeekBoundaries });
  const outputs = new Map<Format, string>();
  for (const format of FORMATS) {
    const sink = new MemorySink();
    await writeReport(sink as unknown as Sink, format, model, { all: true, limit: 1_000_000 });
    outputs.set(format, sink.text());
  }
  return { info: first.info, connections: first.flow.connections, total: analysis.verdicts.length, outputs };
}

function checkReader(info: CaptureInfo, req: CheckRequest): void {
  const problems = [...info.warnings, ...(info.error !== null ? [info.error] : [])];
  let size = Number.POSITIVE_INFINITY;
  try { size = statSync(req.path).size; } catch { /* not-found and friends: no size to hold it to */ }
  const plain = info.compression === null;
  for (const p of problems) {
    must(KNOWN_KINDS.has(p.kind), `problem kind "${p.kind}" is not in the documented table`);
    must(p.file === req.path, `problem names file "${p.file}", not "${req.path}"`);
    must(Number.isInteger(p.offset) && p.offset >= 0, `problem ${p.kind} has offset ${p.offset}`);
    must(!plain || p.offset <= size, `problem ${p.kind} at offset ${p.offset} beyond the ${size}-byte file`);
    must(p.message.length > 0 && !p.message.includes('\n'), `problem ${p.kind} message is not one line`);
    must(p.packetNumber === null || (Number.isInteger(p.packetNumber) && p.packetNumber >= 1 && p.packetNumber <= info.packets + 1),
      `problem ${p.kind} names packet ${p.packetNumber} of ${info.packets}`);
  }
  must(info.bytesRead >= 0 && (!plain || info.bytesRead <= size), `consumed ${info.bytesRead} of ${size} bytes`);
  must(info.packets * SMALLEST_PACKET_UNIT <= info.bytesRead,
    `${info.packets} packets in ${info.bytesRead} bytes`);
}

function checkOutputs(outputs: Map<Format, string>, connections: number): void {
  for (const [format, text] of outputs) {
    const m = RAW_CONTROL.exec(text);
    must(m === null, `${format} output holds raw U+${m?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} at ${m?.index}`);
  }
  let doc: { connections?: unknown[] };
  try {
    doc = JSON.parse(outputs.get('json')!) as { connections?: unknown[] };
  } catch (error) {
    throw new InvariantError(`the JSON report does not parse: ${(error as Error).message}`);
  }
  must(Array.isArray(doc.connections) && doc.connections.length === connections,
    `the JSON report lists ${doc.connections?.length} of ${connections} connections`);
  for (const c of doc.connections as JsonConnection[]) checkConnection(c);
  const ndjsonLines = outputs.get('ndjson')!.split('\n').filter((l) => l !== '');
  must(ndjsonLines.length === connections, `NDJSON has ${ndjsonLines.length} lines for ${connections} connections`);
  for (const line of ndjsonLines) JSON.parse(line);
}

interface JsonConnection {
  id: number;
  start: number;
  end: number;
  states: Record<'client' | 'server', Array<{ state: string; at: number }>>;
  durations: Record<'client' | 'server', Record<string, number | null>>;
}

/** Time never runs backwards inside a verdict, even when the capture's timestamps do. */
function checkConnection(c: JsonConnection): void {
  must(Number.isFinite(c.start) && Number.isFinite(c.end) && c.end >= c.start, `connection #${c.id} ends (${c.end}) before it starts (${c.start})`);
  for (const side of ['client', 'server'] as const) {
    for (const [state, d] of Object.entries(c.durations[side])) {
      must(d === null || (Number.isFinite(d) && d >= 0), `connection #${c.id} ${side} spent ${d} s in ${state}`);
    }
    const changes = c.states[side];
    for (let i = 1; i < changes.length; i++) {
      must(changes[i].at >= changes[i - 1].at,
        `connection #${c.id} ${side} went to ${changes[i].state} at ${changes[i].at}, before ${changes[i - 1].state} at ${changes[i - 1].at}`);
    }
  }
}

/** xorshift32: chunk sizes that reproduce from the seed. */
function chunks(bytes: Buffer, seed: number): Buffer[] {
  let x = seed >>> 0 || 1;
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    // Mostly tiny (headers cut anywhere), sometimes large.
    const n = 1 + (x % 8 === 0 ? x % 70_000 : x % 97);
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** The same bytes as a stream in odd chunks must give the same reading and the same connections. */
async function checkChunked(req: CheckRequest, file: { info: CaptureInfo; connections: number }): Promise<void> {
  let bytes: Buffer;
  try { bytes = readFileSync(req.path); } catch { return; }
  let connections = 0;
  const result = await analyzeInput(Readable.from(chunks(bytes, req.chunkSeed!), { objectMode: false }), 0,
    () => { connections++; }, { flow: flowOptions(req) }, req.path);
  const a = file.info, b = result.info;
  const where = (p: CaptureProblem | null): string => (p === null ? 'none' : `${p.kind}@${p.offset}#${p.packetNumber}`);
  // A gzip stream's damage is found where zlib's output chunks happen to end: only plain input must agree.
  if (a.compression !== null) return;
  must(a.packets === b.packets && a.bytesRead === b.bytesRead && where(a.error) === where(b.error) &&
    a.warnings.map(where).join() === b.warnings.map(where).join() && file.connections === connections,
  `stream read in chunks differs from the file read: packets ${b.packets}/${a.packets}, bytes ${b.bytesRead}/${a.bytesRead}, ` +
    `error ${where(b.error)}/${where(a.error)}, warnings ${b.warnings.map(where).join()}/${a.warnings.map(where).join()}, ` +
    `connections ${connections}/${file.connections}`);
}

export async function checkInput(req: CheckRequest): Promise<CheckResult> {
  const started = performance.now();
  let info: CaptureInfo | null = null;
  let connections = 0;
  try {
    const run = await reportAll(req, false);
    info = run.info;
    connections = run.connections;
    checkReader(info, req);
    checkOutputs(run.outputs, run.total);
    if (req.merge === true) {
      const merged = await reportAll(req, true, req.split === true);
      checkOutputs(merged.outputs, merged.total);
      must(merged.info.packets === info.packets && merged.info.error?.kind === info.error?.kind,
        `--merge read ${merged.info.packets} packets (${merged.info.error?.kind ?? 'no error'}), ` +
        `the plain run ${info.packets} (${info.error?.kind ?? 'no error'})`);
    }
    if (req.split === true && (req.copies ?? 1) === 1) {
      const split = await reportAll(req, false, true);
      for (const [format, text] of run.outputs) {
        must(split.outputs.get(format) === text, `with its close stage on a worker thread, the ${format} report differs`);
      }
    }
    if (req.chunkSeed !== undefined) await checkChunked(req, { info, connections });
  } catch (error) {
    const text = error instanceof InvariantError ? `invariant: ${error.message}`
      : error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
    return {
      status: 'crash', packets: info?.packets ?? 0, connections, bytes: info?.bytesRead ?? 0, problem: info?.error ?? null,
      crash: text, ms: performance.now() - started,
    };
  }
  const status: CheckStatus = info.error !== null ? 'error' : info.warnings.length > 0 ? 'warning' : 'ok';
  return {
    status, packets: info.packets, connections, bytes: info.bytesRead, problem: info.error ?? info.warnings[0] ?? null,
    crash: null, ms: performance.now() - started,
  };
}
