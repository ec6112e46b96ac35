// The JSON report (documented in docs/json-schema.md). Times are epoch seconds as numbers with
// microsecond precision; durations are seconds.

import type { DirectionSummary, Finding, SideDurations, SideVerdict, Verdict } from '../close/index.js';
import { epochSeconds as sec } from '../common/time.js';
import type { InputResult } from '../pipeline/index.js';
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

export function connectionJson(v: Verdict, inputFile?: string): Record<string, unknown> {
  return {
    id: v.id,
    ...(inputFile !== undefined ? { input: inputFile } : { inputIndex: v.input }),
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

export function reportJson(inputs: InputResult[], verdicts: Verdict[], summary: Summary, options: object): object {
  return {
    schema: SCHEMA_VERSION,
    generator: 'finscope',
    options,
    inputs: inputs.map(inputJson),
    connections: verdicts.map((v) => connectionJson(v, inputs[v.input]?.file)),
    summary: summaryJson(summary),
  };
}
