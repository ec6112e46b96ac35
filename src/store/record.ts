// One verdict as a compact binary record, and back. A Verdict object graph is ~40 objects and ~3 KB
// of heap; the record is one ~600-byte run of bytes in a shared chunk, which is what lets a report
// over hundreds of thousands of connections keep them all (in memory, or spilled to disk past a
// budget: verdict-store.ts) without the garbage collector walking them.
//
// Layout (little endian, every record a multiple of 8 bytes):
//
//   fixed part (FIXED bytes): header fields at the H_* offsets, then the client's and the
//     server's direction summaries (D_* offsets, DIR bytes each)
//   state changes: client's then server's, CHANGE bytes each
//   findings: FINDING bytes each (time, codes, detail length)
//   strings: client ip, server ip, Zeek history, each finding's detail (UTF-8), then padding
//
// Enumerations are one byte: the index in the tables below. Nulls are NaN (times, counts) or the
// documented sentinel. Every field of Verdict is kept except `segments` (batch reports never keep
// segment logs: decoded records have segments null).

import type {
  DirectionSummary, Endpoint, Finding, FindingCode, Severity, Side, SideDurations, SideVerdict, Vantage, Verdict,
} from '../close/index.js';
import type { StateChange, TcpEvent, TcpState } from '../close/index.js';
import { emptySideVerdict } from '../close/types.js';

// --- enumerations (a Record over each union, so that a new member is a compile error here)

interface Table<T extends string> {
  names: T[];
  codes: Map<string, number>;
}

function table<T extends string>(codes: Record<T, number>): Table<T> {
  const names: T[] = [];
  for (const [name, code] of Object.entries(codes) as [T, number][]) names[code] = name;
  return { names, codes: new Map(Object.entries(codes)) as Map<string, number> };
}

export const TCP_STATE = table<TcpState>({
  LISTEN: 0, SYN_SENT: 1, SYN_RECEIVED: 2, ESTABLISHED: 3, FIN_WAIT_1: 4, FIN_WAIT_2: 5, CLOSING: 6,
  TIME_WAIT: 7, CLOSE_WAIT: 8, LAST_ACK: 9, CLOSED: 10,
});
export const CAUSE = table<StateChange['cause']>({
  sendSyn: 0, sendSynAck: 1, recvSynAck: 2, recvAck: 3, sendFin: 4, recvFin: 5, recvAckOfFin: 6,
  sendRst: 7, recvRst: 8, timeout: 9, reuse: 10, start: 11, 'mid-stream': 12, implied: 13,
} satisfies Record<TcpEvent | 'start' | 'mid-stream' | 'implied', number>);
export const FINDING_CODE = table<FindingCode>({
  'lost-final-ack': 0, 'missing-peer-fin': 1, 'long-fin-wait-2': 2, 'long-close-wait': 3,
  'fin-retransmitted': 4, 'fin-unacked': 5, 'reset-after-fin': 6, 'abortive-close': 7,
  'simultaneous-close': 8, 'half-close': 9, 'data-after-fin': 10, 'time-wait-reuse': 11,
  'time-wait-assassination': 12, 'time-wait-rst-ignored': 13, 'ephemeral-port-pressure': 14, 'not-closed': 15,
  'connection-refused': 16, 'syn-unanswered': 17, 'capture-missed-packets': 18, 'syn-ack-unanswered': 19,
});
export const SEVERITY_CODE = table<Severity>({ info: 0, warning: 1, error: 2 });
export const VANTAGE = table<Vantage>({ client: 0, server: 1, between: 2, unknown: 3 });
/** Verdict.activeCloser and Finding.side: 0 is null. */
export const SIDE_OR_NULL = table<Side | 'both' | 'null'>({ null: 0, client: 1, server: 2, both: 3 });
/** Verdict fields typed `string` that the flow and close stages fill from fixed sets. */
export const ROLE_REASON = table<string>({ syn: 0, 'syn-ack': 1, 'first-sender': 2, 'well-known-port': 3 });
export const END_REASON = table<string>({ 'capture-end': 0, 'closed-quiet': 1, idle: 2, reused: 3, evicted: 4, 'zeek-timeout': 5 });
export const ZEEK_STATE = table<string>({
  S0: 0, S1: 1, SF: 2, REJ: 3, S2: 4, S3: 5, RSTO: 6, RSTR: 7, RSTOS0: 8, RSTRH: 9, SH: 10, SHR: 11, OTH: 12,
});

function code(t: Table<string>, value: string, what: string): number {
  const c = t.codes.get(value);
  if (c === undefined) throw new Error(`verdict record: unknown ${what} "${value}" (add it to src/store/record.ts)`);
  return c;
}

export const DURATION_KEYS: readonly (keyof SideDurations)[] = ['finWait1', 'finWait2', 'closing', 'timeWait', 'closeWait', 'lastAck'];

// --- offsets

export const H_LENGTH = 0; // u32
export const H_INPUT = 4; // u32
export const H_KEY = 8; // f64: the order records are read back in (see VerdictStore)
export const H_ID = 16; // f64
export const H_FAMILY = 24; // u8 4 | 6
export const H_ROLE = 25; // u8 ROLE_REASON
export const H_END_REASON = 26; // u8 END_REASON
export const H_VANTAGE = 27; // u8 VANTAGE
export const H_CLOSER = 28; // u8 SIDE_OR_NULL
export const H_ZEEK = 29; // u8 ZEEK_STATE
export const H_FINAL = 30; // u8 x2 (client, server) TCP_STATE, 255 = null
export const H_FLAGS = 32; // u8 F_*
export const H_CLIENT_IP_LEN = 33; // u8
export const H_SERVER_IP_LEN = 34; // u8
export const H_CHANGES = 36; // u16 x2 (client, server)
export const H_FINDINGS = 40; // u16
export const H_HISTORY_LEN = 42; // u16
export const H_PORTS = 44; // u16 x2 (client, server)
export const H_START = 48; // f64
export const H_END = 56; // f64
export const H_OBSERVED = 64; // f64
export const H_PREVIOUS_ID = 72; // f64
export const H_REUSED_BY = 80; // f64
export const H_GAPS = 88; // f64 x2
export const H_TW_ENDS = 104; // f64 x2 (client, server), NaN = null
export const H_DURATIONS = 120; // f64 x12: client's DURATION_KEYS, then server's; NaN = null
export const H_FOLDED = 216; // f64
export const H_DIRS = 224; // DIR x2 (client, server)

export const F_MID_STREAM = 1;
export const F_GAPS = 2;
export const F_PREVIOUS_ID = 4;
export const F_REUSED_BY = 8;

// Direction summary, relative to its start.
export const D_PACKETS = 0;
export const D_BYTES = 8;
export const D_UNIQUE = 16;
export const D_RETRANS = 24;
export const D_ACKED_UNSEEN = 32;
export const D_SYN_AT = 40;
export const D_SYN_COUNT = 48; // NaN: no SYN
export const D_FIN_AT = 56;
export const D_FIN_SEQ = 64;
export const D_FIN_COUNT = 72; // NaN: no FIN
export const D_FIN_LAST = 80;
export const D_FIN_ACKED = 88; // NaN: null
export const D_RST_AT = 96;
export const D_RST_SEQ = 104;
export const D_RST_COUNT = 112; // NaN: no RST
export const D_SYN_ACK = 120; // u8
export const D_RST_ACK = 121; // u8
export const D_SACK = 122; // u8
export const D_TIMESTAMPS = 123; // u8
export const D_MSS = 124; // i32, -1 = null
export const D_WSCALE = 128; // i32, -1 = null
export const DIR = 136;

export const FIXED = H_DIRS + 2 * DIR;

// A state change: f64 atUs, f64 packet (NaN = null), u8 state, u8 cause.
export const C_AT = 0;
export const C_PACKET = 8;
export const C_STATE = 16;
export const C_CAUSE = 17;
export const CHANGE = 24;

// A finding: f64 atUs, u8 code, u8 severity, u8 side (SIDE_OR_NULL), u8 plain (the detail needs
// no JSON escaping), u32 detail bytes.
export const G_AT = 0;
export const G_CODE = 8;
export const G_SEVERITY = 9;
export const G_SIDE = 10;
export const G_PLAIN = 11;
export const G_DETAIL_LEN = 12;
export const FINDING = 16;

const nn = (x: number | null): number => (x === null ? NaN : x);
// Times and durations are stored rounded to whole microseconds, the JSON's resolution: the record
// of a verdict is the record of quantizeVerdict(verdict) (src/report/verdict-json.ts), without
// rewriting the verdict first.
const us = Math.round;
const usOrNaN = (x: number | null): number => (x === null ? NaN : Math.round(x));

let lastBuffer: Uint8Array | null = null;
let lastView: DataView = new DataView(new ArrayBuffer(0));

/** A DataView over exactly `buf` (the last one is reused: records of one chunk are read in a row). */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== lastBuffer) {
    lastBuffer = buf;
    lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  return lastView;
}

/**
 * Writes a short string that must be ASCII (an address, a Zeek history) byte by byte, which beats
 * a call into Buffer.write at these lengths; checks it is ASCII on the way. Returns its length.
 */
function writeShortAscii(b: Uint8Array, at: number, s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    bits |= c;
    b[at + i] = c;
  }
  if (bits > 0x7f) throw new Error('verdict record: addresses and histories are short ASCII strings');
  return s.length;
}

/** Text that JSON needs escaped: control characters, quotes, backslashes, and anything not ASCII. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\u0080-\uffff]/;

/**
 * Writes a finding's detail as UTF-8 with one native copy; returns its byte length and whether the
 * JSON writer may copy it as it is (G_PLAIN), which it learns here once instead of on every read.
 */
function writeDetail(b: Buffer, d: DataView, at: number, g: number, detail: string): number {
  const plain = !NEEDS_ESCAPE.test(detail);
  // ASCII is the same bytes in Latin-1, whose copy is the cheapest.
  const n = b.write(detail, at, plain ? 'latin1' : 'utf8');
  d.setUint8(g + G_PLAIN, plain ? 1 : 0);
  d.setUint32(g + G_DETAIL_LEN, n, true);
  return n;
}

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** A growable byte buffer that records are encoded into. */
export class RecordWriter {
  buf: Buffer;
  dv: DataView;
  length = 0;
  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initial);
    this.dv = viewOf(this.buf);
  }

  /** Makes room for `n` more bytes (grows by doubling). */
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
    this.dv = viewOf(next);
  }

  /** Starts again, empty, writing into `buf` (which it grows out of, into a new buffer, when full). */
  use(buf: Buffer): void {
    this.buf = buf;
    this.dv = viewOf(buf);
    this.length = 0;
  }

  /** Hands over the bytes written so far and starts again in `next` (default: a new buffer). */
  take(next?: Buffer): Buffer {
    const out = this.buf.subarray(0, this.length);
    this.buf = next ?? Buffer.allocUnsafe(this.buf.length);
    this.dv = viewOf(this.buf);
    this.length = 0;
    return out;
  }
}

function writeDirection(d: DataView, at: number, x: DirectionSummary): void {
  d.setFloat64(at + D_PACKETS, x.packets, true);
  d.setFloat64(at + D_BYTES, x.bytes, true);
  d.setFloat64(at + D_UNIQUE, x.uniqueBytes, true);
  d.setFloat64(at + D_RETRANS, x.retransmissions, true);
  d.setFloat64(at + D_ACKED_UNSEEN, x.ackedUnseen, true);
  const syn = x.syn, fin = x.fin, rst = x.rst;
  d.setFloat64(at + D_SYN_AT, syn === null ? 0 : us(syn.atUs), true);
  d.setFloat64(at + D_SYN_COUNT, syn === null ? NaN : syn.count, true);
  if (fin === null) {
    d.setFloat64(at + D_FIN_AT, 0, true);
    d.setFloat64(at + D_FIN_SEQ, 0, true);
    d.setFloat64(at + D_FIN_COUNT, NaN, true);
    d.setFloat64(at + D_FIN_LAST, 0, true);
    d.setFloat64(at + D_FIN_ACKED, NaN, true);
  } else {
    d.setFloat64(at + D_FIN_AT, us(fin.atUs), true);
    d.setFloat64(at + D_FIN_SEQ, fin.seq, true);
    d.setFloat64(at + D_FIN_COUNT, fin.count, true);
    d.setFloat64(at + D_FIN_LAST, us(fin.lastUs), true);
    d.setFloat64(at + D_FIN_ACKED, usOrNaN(fin.ackedUs), true);
  }
  d.setFloat64(at + D_RST_AT, rst === null ? 0 : us(rst.atUs), true);
  d.setFloat64(at + D_RST_SEQ, rst === null ? 0 : rst.seq, true);
  d.setFloat64(at + D_RST_COUNT, rst === null ? NaN : rst.count, true);
  d.setUint8(at + D_SYN_ACK, syn !== null && syn.ack ? 1 : 0);
  d.setUint8(at + D_RST_ACK, rst !== null && rst.ack ? 1 : 0);
  const options = x.options;
  d.setUint8(at + D_SACK, options.sackPermitted ? 1 : 0);
  d.setUint8(at + D_TIMESTAMPS, options.timestamps ? 1 : 0);
  d.setInt32(at + D_MSS, options.mss ?? -1, true);
  d.setInt32(at + D_WSCALE, options.windowScale ?? -1, true);
  d.setInt32(at + 132, 0, true);
}

function writeChanges(d: DataView, at: number, changes: StateChange[]): number {
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    d.setFloat64(at + C_AT, us(c.atUs), true);
    d.setFloat64(at + C_PACKET, nn(c.packet), true);
    d.setUint8(at + C_STATE, code(TCP_STATE, c.state, 'state'));
    d.setUint8(at + C_CAUSE, code(CAUSE, c.cause, 'cause'));
    d.setUint16(at + 18, 0, true);
    d.setUint32(at + 20, 0, true);
    at += CHANGE;
  }
  return at;
}

/** Appends `v` (its times rounded to whole microseconds) as one record, read back in order of `key`. */
export function encodeVerdict(w: RecordWriter, v: Verdict, key: number): void {
  const cc = v.sides.client.changes, sc = v.sides.server.changes;
  const findings = v.findings;
  const nf = findings.length;
  const clientIp = v.client.ip, serverIp = v.server.ip, history = v.zeek.history;
  if (clientIp.length > 255 || serverIp.length > 255) throw new Error('verdict record: addresses and histories are short ASCII strings');
  // Counted in 16 bits: past that the reader would take one field's bytes for the next's.
  if (Math.max(cc.length, sc.length, nf, history.length) > 0xffff) {
    throw new Error('verdict record: more than 65535 state changes, findings or history letters');
  }
  // Upper bound of the string bytes (UTF-8 takes at most 3 bytes per UTF-16 unit).
  let strings = clientIp.length + serverIp.length + history.length;
  for (let i = 0; i < nf; i++) strings += 3 * findings[i].detail.length;
  w.reserve(FIXED + (cc.length + sc.length) * CHANGE + nf * FINDING + strings + 8);
  const b = w.buf, d = w.dv;
  const start = w.length;
  d.setUint32(start + H_INPUT, v.input, true);
  d.setFloat64(start + H_KEY, key, true);
  d.setFloat64(start + H_ID, v.id, true);
  d.setUint8(start + H_FAMILY, v.family);
  d.setUint8(start + H_ROLE, code(ROLE_REASON, v.roleReason, 'role reason'));
  d.setUint8(start + H_END_REASON, code(END_REASON, v.endReason, 'end reason'));
  d.setUint8(start + H_VANTAGE, code(VANTAGE, v.vantage, 'vantage'));
  d.setUint8(start + H_CLOSER, v.activeCloser === null ? 0 : code(SIDE_OR_NULL, v.activeCloser, 'active closer'));
  d.setUint8(start + H_ZEEK, code(ZEEK_STATE, v.zeek.connState, 'Zeek conn_state'));
  const client = v.sides.client, server = v.sides.server;
  const cf = client.finalState, sf = server.finalState;
  d.setUint8(start + H_FINAL, cf === null ? 255 : code(TCP_STATE, cf, 'state'));
  d.setUint8(start + H_FINAL + 1, sf === null ? 255 : code(TCP_STATE, sf, 'state'));
  d.setUint8(start + H_FLAGS, (v.midStream ? F_MID_STREAM : 0) | (v.handshakeGapsUs !== null ? F_GAPS : 0) |
    (v.previousId !== null ? F_PREVIOUS_ID : 0) | (v.reusedById !== null ? F_REUSED_BY : 0));
  d.setUint8(start + H_CLIENT_IP_LEN, clientIp.length);
  d.setUint8(start + H_SERVER_IP_LEN, serverIp.length);
  d.setUint8(start + 35, 0);
  d.setUint16(start + H_CHANGES, cc.length, true);
  d.setUint16(start + H_CHANGES + 2, sc.length, true);
  d.setUint16(start + H_FINDINGS, nf, true);
  d.setUint16(start + H_HISTORY_LEN, history.length, true);
  d.setUint16(start + H_PORTS, v.client.port, true);
  d.setUint16(start + H_PORTS + 2, v.server.port, true);
  d.setFloat64(start + H_START, us(v.startUs), true);
  d.setFloat64(start + H_END, us(v.endUs), true);
  d.setFloat64(start + H_OBSERVED, us(v.observedUntilUs), true);
  d.setFloat64(start + H_PREVIOUS_ID, v.previousId ?? 0, true);
  d.setFloat64(start + H_REUSED_BY, v.reusedById ?? 0, true);
  const gaps = v.handshakeGapsUs;
  d.setFloat64(start + H_GAPS, gaps === null ? 0 : us(gaps[0]), true);
  d.setFloat64(start + H_GAPS + 8, gaps === null ? 0 : us(gaps[1]), true);
  d.setFloat64(start + H_TW_ENDS, usOrNaN(client.timeWaitEndsUs), true);
  d.setFloat64(start + H_TW_ENDS + 8, usOrNaN(server.timeWaitEndsUs), true);
  writeDurations(d, start + H_DURATIONS, client.durations);
  writeDurations(d, start + H_DURATIONS + 48, server.durations);
  d.setFloat64(start + H_FOLDED, v.foldedPackets, true);
  writeDirection(d, start + H_DIRS, v.directions.client);
  writeDirection(d, start + H_DIRS + DIR, v.directions.server);
  let at = writeChanges(d, start + FIXED, cc);
  at = writeChanges(d, at, sc);
  const findingsAt = at;
  at += nf * FINDING;
  at += writeShortAscii(b, at, clientIp);
  at += writeShortAscii(b, at, serverIp);
  at += writeShortAscii(b, at, history);
  for (let i = 0; i < nf; i++) {
    const f = findings[i];
    const g = findingsAt + i * FINDING;
    d.setFloat64(g + G_AT, us(f.atUs), true);
    d.setUint8(g + G_CODE, code(FINDING_CODE, f.code, 'finding code'));
    d.setUint8(g + G_SEVERITY, code(SEVERITY_CODE, f.severity, 'severity'));
    d.setUint8(g + G_SIDE, f.side === null ? 0 : code(SIDE_OR_NULL, f.side, 'side'));
    at += writeDetail(b, d, at, g, f.detail);
  }
  const end = start + ((at - start + 7) & ~7);
  while (at < end) b[at++] = 0;
  d.setUint32(start + H_LENGTH, end - start, true);
  w.length = end;
}

function writeDurations(d: DataView, at: number, x: SideDurations): void {
  d.setFloat64(at, usOrNaN(x.finWait1), true);
  d.setFloat64(at + 8, usOrNaN(x.finWait2), true);
  d.setFloat64(at + 16, usOrNaN(x.closing), true);
  d.setFloat64(at + 24, usOrNaN(x.timeWait), true);
  d.setFloat64(at + 32, usOrNaN(x.closeWait), true);
  d.setFloat64(at + 40, usOrNaN(x.lastAck), true);
}

function readDirection(d: DataView, at: number): DirectionSummary {
  const synCount = d.getFloat64(at + D_SYN_COUNT, true);
  const finCount = d.getFloat64(at + D_FIN_COUNT, true);
  const rstCount = d.getFloat64(at + D_RST_COUNT, true);
  const mss = d.getInt32(at + D_MSS, true), ws = d.getInt32(at + D_WSCALE, true);
  return {
    packets: d.getFloat64(at + D_PACKETS, true),
    bytes: d.getFloat64(at + D_BYTES, true),
    uniqueBytes: d.getFloat64(at + D_UNIQUE, true),
    retransmissions: d.getFloat64(at + D_RETRANS, true),
    syn: synCount !== synCount ? null : { atUs: d.getFloat64(at + D_SYN_AT, true), count: synCount, ack: d.getUint8(at + D_SYN_ACK) === 1 },
    fin: finCount !== finCount ? null : {
      atUs: d.getFloat64(at + D_FIN_AT, true), seq: d.getFloat64(at + D_FIN_SEQ, true), count: finCount,
      lastUs: d.getFloat64(at + D_FIN_LAST, true), ackedUs: orNull(d.getFloat64(at + D_FIN_ACKED, true)),
    },
    rst: rstCount !== rstCount ? null : { atUs: d.getFloat64(at + D_RST_AT, true), seq: d.getFloat64(at + D_RST_SEQ, true), count: rstCount, ack: d.getUint8(at + D_RST_ACK) === 1 },
    ackedUnseen: d.getFloat64(at + D_ACKED_UNSEEN, true),
    options: { mss: mss === -1 ? null : mss, windowScale: ws === -1 ? null : ws, sackPermitted: d.getUint8(at + D_SACK) === 1, timestamps: d.getUint8(at + D_TIMESTAMPS) === 1 },
  };
}

/**
 * The `n` changes at `at` into `out`, overwriting the StateChange objects it holds. Not emptied
 * and refilled: popping an array empty makes V8 shrink its store, and the next push grow it again.
 */
function readChanges(d: DataView, at: number, n: number, out: StateChange[]): StateChange[] {
  for (let i = 0; i < n; i++, at += CHANGE) {
    const state = TCP_STATE.names[d.getUint8(at + C_STATE)], atUs = d.getFloat64(at + C_AT, true);
    const packet = orNull(d.getFloat64(at + C_PACKET, true)), cause = CAUSE.names[d.getUint8(at + C_CAUSE)];
    const c = out[i];
    if (c === undefined) {
      out.push({ state, atUs, packet, cause });
    } else {
      c.state = state; c.atUs = atUs; c.packet = packet; c.cause = cause;
    }
  }
  if (out.length > n) out.length = n;
  return out;
}

function readSide(d: DataView, off: number, side: 0 | 1, out: SideVerdict): SideVerdict {
  const final = d.getUint8(off + H_FINAL + side);
  const at = off + H_DURATIONS + 48 * side;
  out.finalState = final === 255 ? null : TCP_STATE.names[final];
  out.timeWaitEndsUs = orNull(d.getFloat64(off + H_TW_ENDS + 8 * side, true));
  const x = out.durations;
  x.finWait1 = orNull(d.getFloat64(at, true));
  x.finWait2 = orNull(d.getFloat64(at + 8, true));
  x.closing = orNull(d.getFloat64(at + 16, true));
  x.timeWait = orNull(d.getFloat64(at + 24, true));
  x.closeWait = orNull(d.getFloat64(at + 32, true));
  x.lastAck = orNull(d.getFloat64(at + 40, true));
  return out;
}

/**
 * Latin-1 text read from records, kept for the last bytes it was read from: most records share
 * their addresses, and making the same string anew is a runtime call each time.
 */
class TextOf {
  private readonly bytes = new Uint8Array(256);
  private length = -1;
  private text = '';

  of(b: Buffer, start: number, end: number): string {
    const n = end - start, bytes = this.bytes;
    let same = n === this.length;
    for (let i = 0; same && i < n; i++) same = bytes[i] === b[start + i];
    if (!same) {
      this.text = b.toString('latin1', start, end);
      this.length = n;
      for (let i = 0; i < n; i++) bytes[i] = b[start + i];
    }
    return this.text;
  }
}

/** Offset of the string area of the record at `off` (client ip first). */
export function stringsAt(b: Buffer, off: number): number {
  const d = viewOf(b);
  return off + FIXED + (d.getUint16(off + H_CHANGES, true) + d.getUint16(off + H_CHANGES + 2, true)) * CHANGE + d.getUint16(off + H_FINDINGS, true) * FINDING;
}

export function clientIpOf(b: Buffer, off: number): string {
  const s = stringsAt(b, off);
  return b.toString('latin1', s, s + b[off + H_CLIENT_IP_LEN]);
}

export function serverIpOf(b: Buffer, off: number): string {
  const s = stringsAt(b, off) + b[off + H_CLIENT_IP_LEN];
  return b.toString('latin1', s, s + b[off + H_SERVER_IP_LEN]);
}

/**
 * The part of a verdict the report's aggregate reads (src/report/aggregate.ts, summary.ts). A
 * Verdict is one; a record decodes to one without its bulk (directions, finding details, the Zeek
 * history), which is most of what decoding a whole verdict costs.
 */
export interface VerdictOutline {
  id: number;
  input: number;
  family: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  startUs: number;
  activeCloser: Verdict['activeCloser'];
  sides: Verdict['sides'];
  zeek: Pick<Verdict['zeek'], 'connState'>;
  findings: Pick<Finding, 'code' | 'severity' | 'side'>[];
}

const clientIpText = new TextOf();
const serverIpText = new TextOf();

/**
 * The objects an outline is decoded into. decodeOutline fills them and returns its outline, so a
 * reader that is done with each outline before it decodes the next and keeps nothing of it (the
 * aggregate's pass over every record) passes the same OutlineScratch each time: decoding 300 000
 * outlines made ~25 objects each. Without one, every outline is made of new objects.
 */
export class OutlineScratch {
  readonly outline: VerdictOutline = {
    id: 0, input: 0, family: 4, client: { ip: '', port: 0 }, server: { ip: '', port: 0 }, startUs: 0, activeCloser: null,
    sides: { client: emptySideVerdict(), server: emptySideVerdict() }, zeek: { connState: '' }, findings: [],
  };
}

/** The outline of the verdict the record at `off` was made from, made of `scratch`'s objects (see OutlineScratch). */
export function decodeOutline(b: Buffer, off: number, scratch = new OutlineScratch()): VerdictOutline {
  const d = viewOf(b);
  const o = scratch.outline;
  const nc = d.getUint16(off + H_CHANGES, true), ns = d.getUint16(off + H_CHANGES + 2, true), nf = d.getUint16(off + H_FINDINGS, true);
  readChanges(d, off + FIXED, nc, o.sides.client.changes);
  readChanges(d, off + FIXED + nc * CHANGE, ns, o.sides.server.changes);
  const findingsAt = off + FIXED + (nc + ns) * CHANGE;
  let s = findingsAt + nf * FINDING;
  o.client.ip = clientIpText.of(b, s, s += d.getUint8(off + H_CLIENT_IP_LEN));
  o.server.ip = serverIpText.of(b, s, s += d.getUint8(off + H_SERVER_IP_LEN));
  const findings = o.findings;
  for (let i = 0, g = findingsAt; i < nf; i++, g += FINDING) {
    const sideCode = d.getUint8(g + G_SIDE);
    const side = sideCode === 0 ? null : SIDE_OR_NULL.names[sideCode] as Side;
    const code = FINDING_CODE.names[d.getUint8(g + G_CODE)], severity = SEVERITY_CODE.names[d.getUint8(g + G_SEVERITY)];
    const f = findings[i];
    if (f === undefined) {
      findings.push({ code, severity, side });
    } else {
      f.code = code; f.severity = severity; f.side = side;
    }
  }
  if (findings.length > nf) findings.length = nf;
  const closer = d.getUint8(off + H_CLOSER);
  o.id = d.getFloat64(off + H_ID, true);
  o.input = d.getUint32(off + H_INPUT, true);
  o.family = d.getUint8(off + H_FAMILY) === 6 ? 6 : 4;
  o.client.port = d.getUint16(off + H_PORTS, true);
  o.server.port = d.getUint16(off + H_PORTS + 2, true);
  o.startUs = d.getFloat64(off + H_START, true);
  o.activeCloser = closer === 0 ? null : SIDE_OR_NULL.names[closer] as Side | 'both';
  readSide(d, off, 0, o.sides.client);
  readSide(d, off, 1, o.sides.server);
  o.zeek.connState = ZEEK_STATE.names[d.getUint8(off + H_ZEEK)];
  return o;
}

/** The verdict the record at `off` was made from (segments null): its outline and the rest. */
export function decodeVerdict(b: Buffer, off: number): Verdict {
  const d = viewOf(b);
  const o = decodeOutline(b, off);
  const flags = d.getUint8(off + H_FLAGS);
  const findingsAt = off + FIXED + (o.sides.client.changes.length + o.sides.server.changes.length) * CHANGE;
  // The strings after the addresses: the Zeek history, then each finding's detail.
  let s = findingsAt + o.findings.length * FINDING + o.client.ip.length + o.server.ip.length;
  const history = b.toString('latin1', s, s += d.getUint16(off + H_HISTORY_LEN, true));
  const findings = o.findings.map((f, i): Finding => {
    const g = findingsAt + i * FINDING;
    const detail = b.toString('utf8', s, s += d.getUint32(g + G_DETAIL_LEN, true));
    return { code: f.code, severity: f.severity, side: f.side, atUs: d.getFloat64(g + G_AT, true), detail };
  });
  return {
    id: o.id,
    input: o.input,
    family: o.family,
    client: o.client,
    server: o.server,
    roleReason: ROLE_REASON.names[d.getUint8(off + H_ROLE)],
    startUs: o.startUs,
    endUs: d.getFloat64(off + H_END, true),
    observedUntilUs: d.getFloat64(off + H_OBSERVED, true),
    endReason: END_REASON.names[d.getUint8(off + H_END_REASON)],
    previousId: (flags & F_PREVIOUS_ID) !== 0 ? d.getFloat64(off + H_PREVIOUS_ID, true) : null,
    reusedById: (flags & F_REUSED_BY) !== 0 ? d.getFloat64(off + H_REUSED_BY, true) : null,
    midStream: (flags & F_MID_STREAM) !== 0,
    vantage: VANTAGE.names[d.getUint8(off + H_VANTAGE)],
    handshakeGapsUs: (flags & F_GAPS) !== 0 ? [d.getFloat64(off + H_GAPS, true), d.getFloat64(off + H_GAPS + 8, true)] : null,
    directions: { client: readDirection(d, off + H_DIRS), server: readDirection(d, off + H_DIRS + DIR) },
    activeCloser: o.activeCloser,
    sides: o.sides,
    zeek: { connState: o.zeek.connState, history },
    findings,
    segments: null,
    foldedPackets: d.getFloat64(off + H_FOLDED, true),
  };
}

export const recordLength = (b: Buffer, off: number): number => viewOf(b).getUint32(off + H_LENGTH, true);
export const recordKey = (b: Buffer, off: number): number => viewOf(b).getFloat64(off + H_KEY, true);
export const recordInput = (b: Buffer, off: number): number => viewOf(b).getUint32(off + H_INPUT, true);

/** The highest severity among a record's findings: 0 none, 1 info, 2 warning, 3 error. */
export function recordSeverityRank(b: Buffer, off: number): number {
  const d = viewOf(b);
  const nf = d.getUint16(off + H_FINDINGS, true);
  let at = off + FIXED + (d.getUint16(off + H_CHANGES, true) + d.getUint16(off + H_CHANGES + 2, true)) * CHANGE;
  let rank = 0;
  for (let i = 0; i < nf; i++, at += FINDING) {
    const r = d.getUint8(at + G_SEVERITY) + 1;
    if (r > rank) rank = r;
  }
  return rank;
}
