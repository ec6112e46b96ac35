// The JSON report (documented in docs/json-schema.md). Times are epoch seconds as numbers with
// microsecond precision; durations are seconds.

import type { DirectionSummary, Finding, SideDurations, SideVerdict, Verdict } from '../close/index.js';
import { epochSeconds as sec } from '../common/time.js';
import type { InputResult } from '../pipeline/index.js';
import type { InputFindings, WorstConnection } from './aggregate.js';
import type { ReportModel } from './model.js';
import { settingsJson } from './model.js';
import type { Separators } from './json-batch.js';
import { JsonBytes } from './json-bytes.js';
import { writeConnectionsParallel } from './json-parallel.js';
import type { Sink } from './sink.js';
import { VerdictStore } from '../store/verdict-store.js';
import type { Distribution, Summary } from './summary.js';

export const SCHEMA_VERSION = 'finscope.report/1';

const s = (us: number | null): number | null => (us === null || us < 0 ? null : sec(us));
const d = (us: number | null): number | null => (us === null ? null : Math.round(us) / 1e6);

export function findingJson(f: Finding): object {
  return { code: f.code, severity: f.severity, side: f.side, at: sec(f.atUs), detail: f.detail };
}

function directionJson(x: DirectionSummary): object {
  return {
    packets: x.packets,
    bytes: x.bytes,
    uniqueBytes: x.uniqueBytes,
    retransmissions: x.retransmissions,
    ackedUnseen: x.ackedUnseen,
    syn: x.syn && { at: sec(x.syn.atUs), count: x.syn.count, ack: x.syn.ack },
    fin: x.fin && { at: sec(x.fin.atUs), seq: x.fin.seq, count: x.fin.count, last: sec(x.fin.lastUs), acked: s(x.fin.ackedUs) },
    rst: x.rst && { at: sec(x.rst.atUs), seq: x.rst.seq, count: x.rst.count, ack: x.rst.ack },
    options: x.options,
  };
}

function durationsJson(x: SideDurations): object {
  return {
    finWait1: d(x.finWait1), finWait2: d(x.finWait2), closing: d(x.closing),
    timeWait: d(x.timeWait), closeWait: d(x.closeWait), lastAck: d(x.lastAck),
  };
}

function statesJson(x: SideVerdict): object[] {
  return x.changes.map((c) => ({ state: c.state, at: sec(c.atUs), packet: c.packet, cause: c.cause }));
}

/** One connection. With `inputFile`, `input` names its input (NDJSON rows stand alone). */
export function connectionJson(v: Verdict, inputFile?: string): Record<string, unknown> {
  return {
    id: v.id,
    ...(inputFile !== undefined ? { input: inputFile, inputIndex: v.input } : { inputIndex: v.input }),
    family: v.family === 6 ? 'ipv6' : 'ipv4',
    client: v.client,
    server: v.server,
    roleInferred: v.roleReason !== 'syn',
    roleReason: v.roleReason,
    start: sec(v.startUs),
    end: sec(v.endUs),
    observedUntil: sec(v.observedUntilUs),
    endReason: v.endReason,
    previousId: v.previousId,
    reusedById: v.reusedById,
    midStream: v.midStream,
    vantage: v.vantage,
    handshakeGaps: v.handshakeGapsUs && v.handshakeGapsUs.map((g) => g / 1e6),
    activeCloser: v.activeCloser,
    states: { client: statesJson(v.sides.client), server: statesJson(v.sides.server) },
    finalState: { client: v.sides.client.finalState, server: v.sides.server.finalState },
    timeWaitEnds: { client: s(v.sides.client.timeWaitEndsUs), server: s(v.sides.server.timeWaitEndsUs) },
    durations: { client: durationsJson(v.sides.client.durations), server: durationsJson(v.sides.server.durations) },
    directions: { client: directionJson(v.directions.client), server: directionJson(v.directions.server) },
    zeek: v.zeek,
    findings: v.findings.map(findingJson),
  };
}

export function inputJson(r: InputResult): object {
  const i = r.info;
  return {
    index: r.index,
    file: r.file,
    format: i.format,
    compression: i.compression,
    timestampPrecision: i.timestampPrecision,
    byteOrder: i.byteOrder,
    sections: i.sections,
    linkTypes: i.linkTypes.map((id, k) => ({ id, name: r.linkTypeNames[k] })),
    interfaces: i.interfaces,
    comments: i.comments,
    packets: i.packets,
    bytes: i.bytesRead,
    sourceBytes: i.sourceBytesRead,
    start: s(r.firstUs),
    end: s(r.lastUs),
    decode: r.decode,
    connections: r.flow.connections,
    flow: r.flow,
    warnings: i.warnings,
    error: i.error,
  };
}

function distributionJson(x: Distribution | null): object | null {
  return x && { count: x.count, median: d(x.median), p90: d(x.p90), p99: d(x.p99), max: d(x.max) };
}

export function summaryJson(x: Summary): object {
  const durations: Record<string, object | null> = {};
  for (const [k, v] of Object.entries(x.durations)) durations[k] = distributionJson(v);
  return {
    connections: x.connections,
    start: s(x.startUs),
    end: s(x.endUs),
    at: s(x.atUs),
    host: x.host,
    hostReason: x.hostReason,
    vantage: x.vantage,
    vantageVotes: x.vantageVotes,
    histogram: x.histogram,
    activeClosers: x.activeClosers,
    findingsByCode: x.findingsByCode,
    findingsBySeverity: x.findingsBySeverity,
    findingsByEndpoint: x.findingsByEndpoint,
    durations,
    findings: x.findings.map(findingJson),
    zeekConnStates: x.zeekConnStates,
  };
}

export function worstJson(w: WorstConnection, model: Pick<ReportModel, 'inputs' | 'verdicts'>, byId: Map<number, Verdict>): object {
  const v = byId.get(w.id)!;
  return {
    id: w.id,
    input: model.inputs[w.input]?.file ?? null,
    client: endpointText(v.client.ip, v.client.port, v.family),
    server: endpointText(v.server.ip, v.server.port, v.family),
    maxSeverity: w.maxSeverity,
    serious: w.serious,
    codes: w.codes,
    finalState: { client: v.sides.client.finalState, server: v.sides.server.finalState },
  };
}

function endpointText(ip: string, port: number, family: 4 | 6): string {
  return family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function findingsByInputJson(x: InputFindings, model: Pick<ReportModel, 'inputs'>): object {
  return { input: model.inputs[x.input]?.file ?? null, inputIndex: x.input, connections: x.connections, bySeverity: x.bySeverity, byCode: x.byCode };
}

/** The report's opening object, without connections and summary (they are streamed after it). */
export function reportHeadJson(model: ReportModel): Record<string, unknown> {
  const byId = model.aggregate.worstVerdicts;
  const a = model.aggregate;
  return {
    schema: SCHEMA_VERSION,
    generator: 'finscope',
    options: settingsJson(model.settings),
    inputs: model.inputs.map((r, k) => ({
      ...inputJson(r),
      summary: { ...summaryJson(a.perInput[k]), worst: a.worstByInput[k].map((w) => worstJson(w, model, byId)) },
    })),
    skipped: model.skipped,
    merged: model.merged,
  };
}

/** The aggregate over all inputs: the summary as for one capture, plus findings by input and the worst connections. */
export function totalSummaryJson(model: ReportModel): Record<string, unknown> {
  const byId = model.aggregate.worstVerdicts;
  const a = model.aggregate;
  return {
    ...summaryJson(a.total),
    findingsByInput: a.findingsByInput.map((x) => findingsByInputJson(x, model)),
    worst: a.worst.map((w) => worstJson(w, model, byId)),
  };
}

/** The whole report as one object (tests, small reports). writeJsonReport streams the same text. */
export function reportJson(model: ReportModel): Record<string, unknown> {
  return {
    ...reportHeadJson(model),
    connections: [...model.verdicts].map((v) => connectionJson(v, model.inputs[v.input]?.file)),
    summary: totalSummaryJson(model),
  };
}

/** How the connections of the JSON and NDJSON reports may be written. */
export interface ConnectionWriteOptions {
  /** Threads that may format connections (the CLI passes -j, at most the cores); 1: this one only. */
  threads?: number;
  /** Fewest connections worth starting worker threads for (tests: 0). */
  parallelFrom?: number;
  /** Bytes of records a worker gets at a time (tests: small, for many batches). */
  batchBytes?: number;
  /** Whether this thread formats too when the workers are busy or starting (tests: false, only workers). */
  formatHere?: boolean;
}

/**
 * Below this many connections a worker thread hardly helps: it takes ~200 ms to start and warm up
 * (json-parallel.ts), while this thread formats ~250 connections a millisecond.
 */
const PARALLEL_FROM = 100_000;
/** Past a few threads the main thread, which also reads the store and writes, is the limit. */
const MAX_THREADS = 4;
/** ~1.5 MB of JSON a batch; with the batches out at a time, ~10 MB in all (256 KB: 5% slower). */
const BATCH_BYTES = 512 * 1024;

/**
 * Streams the JSON report with a fixed layout that `finscope merge` reads line by line (reports of
 * millions of connections exceed what one JSON.parse can take):
 *
 *   line 1      {"schema":...,"options":...,"inputs":[...],"skipped":[...],"merged":...,
 *   line 2      "connections":[
 *   each line   one connection object, followed by ',' except the last
 *   then        ],
 *   last line   "summary":{...}}
 */
export async function writeJsonReport(sink: Sink, model: ReportModel, options: ConnectionWriteOptions = {}): Promise<void> {
  const head = JSON.stringify(reportHeadJson(model));
  await sink.write(`${head.slice(0, -1)},\n"connections":[`);
  await writeConnections(sink, model, { first: '\n', between: ',\n', after: '' }, options);
  await sink.write(`\n],\n"summary":${JSON.stringify(totalSummaryJson(model))}}\n`);
}

/** NDJSON: one connection per line, each naming its input (the same object as in the JSON report). */
export async function writeNdjsonReport(sink: Sink, model: ReportModel, options: ConnectionWriteOptions = {}): Promise<void> {
  await writeConnections(sink, model, { first: '', between: '', after: '\n' }, options);
}

/**
 * Every connection as connectionJson, `first` before the first, `between` before the others and
 * `after` after each. From a VerdictStore the text is written from the compact records directly
 * (json-bytes.ts: the same bytes, ~5x faster than building and stringifying each verdict), by
 * worker threads when there are enough connections (json-parallel.ts).
 */
async function writeConnections(sink: Sink, model: ReportModel, separators: Separators, options: ConnectionWriteOptions): Promise<void> {
  const { first, between, after } = separators;
  const files = model.inputs.map((r) => r.file);
  const store = model.verdicts;
  if (store instanceof VerdictStore && store.unfiltered) {
    // A sink that takes only text (a test's) gets the same bytes as text. Either way the bytes are
    // out of the buffer they were written to when the promise resolves, so that it may be refilled.
    const writeBytes = typeof sink.writeBytes === 'function' ? (b: Buffer) => sink.writeBytes(b) : (b: Buffer) => sink.write(b.toString('utf8'));
    const threads = Math.min(MAX_THREADS, options.threads ?? 1);
    if (threads >= 2 && store.length >= (options.parallelFrom ?? PARALLEL_FROM)) {
      const bytes = { writeBytes, get isClosed() { return sink.isClosed; } };
      await writeConnectionsParallel(store, { files, separators }, bytes, {
        workers: threads - 1, formatHere: options.formatHere ?? true, batchBytes: options.batchBytes ?? BATCH_BYTES,
      });
      return;
    }
    const out = new JsonBytes(files);
    const pre = Buffer.from(between), post = Buffer.from(after), head = Buffer.from(first);
    const cursor = store.cursor();
    let n = 0;
    while (cursor.next() && !sink.isClosed) {
      out.raw(n++ === 0 ? head : pre);
      out.connection(cursor.buf, cursor.off, store.idOffsetOf(cursor.buf, cursor.off));
      out.raw(post);
      if (out.full) await writeBytes(out.take());
    }
    await writeBytes(out.take());
    return;
  }
  let n = 0;
  for (const v of model.verdicts) {
    if (sink.isClosed) return;
    await sink.write(`${n++ === 0 ? first : between}${JSON.stringify(connectionJson(v, files[v.input]))}${after}`);
  }
}
