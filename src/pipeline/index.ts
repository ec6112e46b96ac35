// The pipeline: capture -> decode -> flow -> close, one input after another. Connections are
// judged as soon as the flow stage hands them on, so memory follows live connections.

import { readCapture, sanitizeText, type CaptureInfo } from '../capture/index.js';
import {
  analyzeConnection, DEFAULT_CLOSE_OPTIONS, VerdictScratch, type CloseOptions, type Verdict,
} from '../close/index.js';
import {
  DecodeKind, decodePacket, DecodeStats, linkTypeName, PacketView, type DecodeStatsJson,
} from '../decode/index.js';
import { FlowTable, type FlowOptions, type FlowStats } from '../flow/index.js';
import type { FlowConnection } from '../flow/connection.js';
import { InterfaceMerger } from './interfaces.js';

export interface InputResult {
  index: number;
  file: string;
  info: CaptureInfo;
  linkTypeNames: string[];
  decode: DecodeStatsJson;
  flow: FlowStats;
  /** Multi-interface inputs: second copies of a packet seen on another interface, dropped. */
  interfaceCopiesDropped?: number;
  /** Multi-interface inputs: packets the file held out of time order (put back in order). */
  reorderedPackets?: number;
  /** First and last packet time of the input (any packet), epoch us; -1 when it had none. */
  firstUs: number;
  lastUs: number;
}

export interface Progress {
  input: number;
  file: string;
  packets: number;
  /** Bytes read from the source (compressed bytes for gzip). */
  sourceBytes: number;
  /** Source size when known (regular files), else null. */
  totalBytes: number | null;
  connections: number;
}

export interface AnalyzeOptions {
  flow?: Partial<FlowOptions>;
  close?: CloseOptions;
  /** Keep each connection's segment log (the UI's ladder needs it; batch reports do not). */
  keepSegments?: boolean;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  /** Where connection ids start (several inputs analysed separately still get unique ids). */
  firstId?: number;
  /**
   * Every verdict is made of the same objects (see VerdictScratch): for an onVerdict that is done
   * with each verdict when it returns and keeps nothing of it, such as one that stores it encoded.
   */
  reuseVerdicts?: boolean;
  /**
   * Another thread's close stage (src/batch/offload.ts): each finished connection is offered to it
   * first, and judged here only when it says no.
   */
  offload?: { offer(connection: FlowConnection): boolean; waitForRoom(): Promise<void> | null };
}

export type VerdictHandler = (verdict: Verdict) => void;

async function sourceSize(file: string): Promise<number | null> {
  if (file === '-') return null;
  try {
    const { stat } = await import('node:fs/promises');
    const st = await stat(file);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/**
 * Analyses one input. Every verdict goes to `onVerdict` as its connection finishes (in finishing
 * order; sort by id for a stable report).
 */
export async function analyzeInput(
  file: string | NodeJS.ReadableStream, index: number, onVerdict: VerdictHandler, options: AnalyzeOptions = {},
  givenName = typeof file === 'string' ? file : '-',
): Promise<InputResult> {
  // A path is text from the file system: a hostile name must not reach a terminal raw either.
  const name = sanitizeText(givenName);
  const close = options.close ?? DEFAULT_CLOSE_OPTIONS;
  const keepSegments = options.keepSegments ?? false;
  // The verdict copies what it needs (the segment log too, packed): the table may reuse connections.
  const scratch = options.reuseVerdicts === true ? new VerdictScratch() : undefined;
  const judge = (c: FlowConnection): void => onVerdict(analyzeConnection(c, close, keepSegments, scratch));
  const offload = options.offload;
  const table = new FlowTable(offload === undefined ? judge : (c) => { if (!offload.offer(c)) judge(c); },
    { timeWaitUs: close.timeWaitUs, recycle: true, ...options.flow }, options.firstId ?? 1);
  const view = new PacketView();
  const stats = new DecodeStats();
  let firstUs = -1, lastUs = -1;
  let merger: InterfaceMerger | undefined;
  const totalBytes = typeof file === 'string' ? await sourceSize(file) : null;
  const onProgress = options.onProgress;

  const info = await readCapture(file, (rec) => {
    decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength, rec.originalLength);
    stats.record(view, rec.packetNumber);
    const timeUs = rec.tsSec * 1_000_000 + Math.floor(rec.tsNsec / 1000);
    if (firstUs < 0 || timeUs < firstUs) firstUs = timeUs;
    if (timeUs > lastUs) lastUs = timeUs;
    if (view.kind !== DecodeKind.Tcp) return;
    if ((rec.interfaceCount ?? 1) > 1) {
      merger ??= new InterfaceMerger((v, t, p) => table.add(v, t, p, index));
      merger.push(view, timeUs, rec.packetNumber, rec.interfaceIndex ?? rec.interfaceId);
    } else {
      table.add(view, timeUs, rec.packetNumber, index);
    }
  }, {
    file: name,
    signal: options.signal,
    onProgress: onProgress === undefined ? undefined : (i) => onProgress({
      input: index, file: name, packets: i.packets, sourceBytes: i.sourceBytesRead, totalBytes,
      connections: table.stats.connections,
    }),
  });
  merger?.flush();
  await flushTable(table, lastUs, offload);
  return {
    index,
    file: name,
    info,
    linkTypeNames: info.linkTypes.map((lt) => linkTypeName(lt)),
    decode: stats.toJSON(),
    flow: { ...table.stats },
    interfaceCopiesDropped: merger?.duplicates ?? 0,
    reorderedPackets: merger?.reordered ?? 0,
    firstUs,
    lastUs,
  };
}

/**
 * table.flush(endUs); with another thread's close stage, waiting for it whenever it is full, so
 * that the connections live at the end are judged there rather than here.
 */
export async function flushTable(table: FlowTable, endUs: number, offload?: AnalyzeOptions['offload']): Promise<void> {
  if (offload === undefined) return table.flush(endUs);
  for (const c of table.flushOrder(endUs)) {
    const room = offload.waitForRoom();
    if (room !== null) await room;
    table.finishAtEnd(c);
  }
}

export interface Analysis {
  inputs: InputResult[];
  /** Every connection, sorted by id (input order, then first packet). */
  verdicts: Verdict[];
}

/** Analyses inputs one after another, each standing alone, with ids unique across them. */
export async function analyzeInputs(files: string[], options: AnalyzeOptions = {}): Promise<Analysis> {
  const verdicts: Verdict[] = [];
  const inputs: InputResult[] = [];
  let nextId = options.firstId ?? 1;
  for (let i = 0; i < files.length; i++) {
    const before = verdicts.length;
    const result = await analyzeInput(files[i], i, (v) => verdicts.push(v), { ...options, firstId: nextId });
    inputs.push(result);
    nextId += result.flow.connections;
    if (verdicts.length - before !== result.flow.connections) throw new Error('flow stage lost a connection');
    if (options.signal?.aborted) break;
  }
  verdicts.sort((a, b) => a.id - b.id);
  return { inputs, verdicts };
}
