// The way back from the JSON report to verdicts, for `finscope merge`. A report is exact at its
// resolution, one microsecond: verdicts are quantized to whole microseconds before anything is
// aggregated (quantizeVerdict), so a verdict read back from the JSON is the verdict the report was
// made from, and an aggregate recomputed from shard reports equals one run over all the inputs.
// (Epoch seconds with six decimals survive JSON exactly: round(x * 1e6) recovers the integer until
// about the year 2255, where epoch microseconds reach 2^53.)

import type { CaptureInfo } from '../capture/index.js';
import type { DirectionSummary, Finding, SideDurations, SideVerdict, Verdict } from '../close/index.js';
import type { StateChange, TcpState } from '../close/index.js';
import type { InputResult } from '../pipeline/index.js';

const r = (us: number): number => Math.round(us);
const rn = (us: number | null): number | null => (us === null ? null : Math.round(us));

/** Rounds every time and duration of a verdict to whole microseconds, in place. */
export function quantizeVerdict(v: Verdict): Verdict {
  v.startUs = r(v.startUs);
  v.endUs = r(v.endUs);
  v.observedUntilUs = r(v.observedUntilUs);
  if (v.handshakeGapsUs !== null) v.handshakeGapsUs = [r(v.handshakeGapsUs[0]), r(v.handshakeGapsUs[1])];
  for (const side of [v.sides.client, v.sides.server]) {
    for (const c of side.changes) c.atUs = r(c.atUs);
    side.timeWaitEndsUs = rn(side.timeWaitEndsUs);
    const d = side.durations;
    for (const k of Object.keys(d) as (keyof SideDurations)[]) d[k] = rn(d[k]);
  }
  for (const x of [v.directions.client, v.directions.server]) {
    if (x.syn) x.syn.atUs = r(x.syn.atUs);
    if (x.fin) { x.fin.atUs = r(x.fin.atUs); x.fin.lastUs = r(x.fin.lastUs); x.fin.ackedUs = rn(x.fin.ackedUs); }
    if (x.rst) x.rst.atUs = r(x.rst.atUs);
  }
  for (const f of v.findings) f.atUs = r(f.atUs);
  return v;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Epoch seconds (or a duration in seconds) back to microseconds. */
export const toUs = (seconds: number): number => Math.round(seconds * 1e6);
const toUsN = (seconds: number | null | undefined): number | null => (seconds === null || seconds === undefined ? null : toUs(seconds));

function sideFromJson(changes: Json[], finalState: TcpState | null, timeWaitEnds: number | null, durations: Json): SideVerdict {
  return {
    changes: changes.map((c): StateChange => ({ state: c.state, atUs: toUs(c.at), packet: c.packet, cause: c.cause })),
    finalState,
    timeWaitEndsUs: toUsN(timeWaitEnds),
    durations: {
      finWait1: toUsN(durations.finWait1), finWait2: toUsN(durations.finWait2), closing: toUsN(durations.closing),
      timeWait: toUsN(durations.timeWait), closeWait: toUsN(durations.closeWait), lastAck: toUsN(durations.lastAck),
    },
  };
}

function directionFromJson(x: Json): DirectionSummary {
  return {
    packets: x.packets,
    bytes: x.bytes,
    uniqueBytes: x.uniqueBytes,
    retransmissions: x.retransmissions,
    ackedUnseen: x.ackedUnseen,
    syn: x.syn && { atUs: toUs(x.syn.at), count: x.syn.count, ack: x.syn.ack },
    fin: x.fin && { atUs: toUs(x.fin.at), seq: x.fin.seq, count: x.fin.count, lastUs: toUs(x.fin.last), ackedUs: toUsN(x.fin.acked) },
    rst: x.rst && { atUs: toUs(x.rst.at), seq: x.rst.seq, count: x.rst.count, ack: x.rst.ack },
    options: x.options,
  };
}

export function findingFromJson(f: Json): Finding {
  return { code: f.code, severity: f.severity, side: f.side, atUs: toUs(f.at), detail: f.detail };
}

/** A verdict from its JSON connection object (connectionJson); `input` is the index to give it. */
export function verdictFromJson(c: Json, input: number): Verdict {
  return {
    id: c.id,
    input,
    family: c.family === 'ipv6' ? 6 : 4,
    client: { ip: c.client.ip, port: c.client.port },
    server: { ip: c.server.ip, port: c.server.port },
    roleReason: c.roleReason,
    startUs: toUs(c.start),
    endUs: toUs(c.end),
    observedUntilUs: toUs(c.observedUntil),
    endReason: c.endReason,
    previousId: c.previousId,
    reusedById: c.reusedById,
    midStream: c.midStream,
    vantage: c.vantage,
    handshakeGapsUs: c.handshakeGaps === null ? null : [toUs(c.handshakeGaps[0]), toUs(c.handshakeGaps[1])],
    directions: { client: directionFromJson(c.directions.client), server: directionFromJson(c.directions.server) },
    activeCloser: c.activeCloser,
    sides: {
      client: sideFromJson(c.states.client, c.finalState.client, c.timeWaitEnds.client, c.durations.client),
      server: sideFromJson(c.states.server, c.finalState.server, c.timeWaitEnds.server, c.durations.server),
    },
    zeek: { connState: c.zeek.connState, history: c.zeek.history },
    findings: (c.findings as Json[]).map(findingFromJson),
    segments: null,
    foldedPackets: 0,
  };
}

/** An input's result from its JSON entry (inputJson). `summary` in the entry is recomputed, not read. */
export function inputFromJson(x: Json, index: number): InputResult {
  const info: CaptureInfo = {
    file: x.file,
    format: x.format,
    compression: x.compression,
    timestampPrecision: x.timestampPrecision,
    byteOrder: x.byteOrder,
    sections: x.sections,
    interfaces: x.interfaces,
    linkTypes: (x.linkTypes as Json[]).map((l) => l.id),
    packets: x.packets,
    bytesRead: x.bytes,
    sourceBytesRead: x.sourceBytes ?? x.bytes,
    comments: x.comments,
    warnings: x.warnings,
    error: x.error,
  };
  return {
    index,
    file: x.file,
    info,
    linkTypeNames: (x.linkTypes as Json[]).map((l) => l.name),
    decode: x.decode,
    flow: x.flow,
    firstUs: x.start === null ? -1 : toUs(x.start),
    lastUs: x.end === null ? -1 : toUs(x.end),
  };
}
