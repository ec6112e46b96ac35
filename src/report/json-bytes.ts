// The JSON text of one connection, written as bytes straight from its compact record
// (src/store/record.ts): the same text as JSON.stringify(connectionJson(v, file)), without building
// the verdict, the JSON object or any string. On 300 000 connections (800 MB of JSON) that is the
// difference between ~40 s and ~1 s. connectionJson (json.ts) stays the definition: a test holds
// this writer to it on every capture, and a field added there must be added here.

import {
  C_AT, C_CAUSE, C_PACKET, C_STATE, CAUSE, CHANGE, D_ACKED_UNSEEN, D_BYTES, D_FIN_ACKED, D_FIN_AT,
  D_FIN_COUNT, D_FIN_LAST, D_FIN_SEQ, D_MSS, D_PACKETS, D_RETRANS, D_RST_ACK, D_RST_AT, D_RST_COUNT,
  D_RST_SEQ, D_SACK, D_SYN_ACK, D_SYN_AT, D_SYN_COUNT, D_TIMESTAMPS, D_UNIQUE, D_WSCALE, DIR,
  END_REASON, F_GAPS, F_MID_STREAM, F_PREVIOUS_ID, F_REUSED_BY, FINDING, FINDING_CODE, FIXED,
  G_AT, G_CODE, G_DETAIL_LEN, G_PLAIN, G_SEVERITY, G_SIDE, H_CHANGES, H_CLIENT_IP_LEN, H_CLOSER, H_DIRS,
  H_DURATIONS, H_END, H_END_REASON, H_FAMILY, H_FINAL, H_FINDINGS, H_FLAGS, H_GAPS, H_HISTORY_LEN,
  H_ID, H_INPUT, H_OBSERVED, H_PORTS, H_PREVIOUS_ID, H_REUSED_BY, H_ROLE, H_SERVER_IP_LEN, H_START,
  H_TW_ENDS, H_VANTAGE, H_ZEEK, ROLE_REASON, SEVERITY_CODE, SIDE_OR_NULL, TCP_STATE, VANTAGE,
  viewOf, ZEEK_STATE,
} from '../store/record.js';
import { ID_IN_DETAIL } from '../store/verdict-store.js';

/**
 * A constant piece of JSON text, also held as 8-byte words: put() copies it a word at a time, ~5x
 * fewer steps than byte by byte, which is most of the writer's work. The words are padded with
 * spaces: eight ASCII bytes always read as an ordinary double (never a NaN, whose bits a copy need
 * not keep), and a word may land past the fragment's end, where the next write goes anyway.
 */
class Fragment {
  readonly words: Float64Array;
  constructor(readonly bytes: Uint8Array) {
    const padded = Buffer.alloc(Math.ceil(bytes.length / 8) * 8, 0x20);
    padded.set(bytes);
    this.words = new Float64Array(padded.length / 8);
    for (let k = 0; k < this.words.length; k++) {
      if (padded.subarray(8 * k, 8 * k + 8).some((c) => c >= 0x80)) throw new Error('JSON fragments are ASCII');
      this.words[k] = padded.readDoubleLE(8 * k);
    }
  }
  get length(): number { return this.bytes.length; }
}

const enc = (s: string): Fragment => new Fragment(Buffer.from(s, 'utf8'));
/** JSON string literals of a table's names, quotes included. */
const quoted = (names: string[]): Fragment[] => names.map((n) => enc(JSON.stringify(n)));

const STATE_Q = quoted(TCP_STATE.names);
const CODE_Q = quoted(FINDING_CODE.names);
const SEVERITY_Q = quoted(SEVERITY_CODE.names);
const SIDE_Q = quoted(SIDE_OR_NULL.names);
const VANTAGE_Q = quoted(VANTAGE.names);
const ROLE_Q = quoted(ROLE_REASON.names);
const END_Q = quoted(END_REASON.names);
const ZEEK_Q = quoted(ZEEK_STATE.names);
/** `{"state":"ESTABLISHED","at":` for each state, and `,"cause":"recvSynAck"}` for each cause. */
const STATE_OPEN = TCP_STATE.names.map((n) => enc(`{"state":${JSON.stringify(n)},"at":`));
const CAUSE_CLOSE = CAUSE.names.map((n) => enc(`,"cause":${JSON.stringify(n)}}`));
const DURATION_KEYS_Q = ['finWait1', 'finWait2', 'closing', 'timeWait', 'closeWait', 'lastAck'].map((k, i) => enc(`${i === 0 ? '' : ','}"${k}":`));

const T = {
  id: enc('{"id":'),
  input: enc(',"input":'),
  inputIndex: enc(',"inputIndex":'),
  family4: enc(',"family":"ipv4","client":{"ip":"'),
  family6: enc(',"family":"ipv6","client":{"ip":"'),
  clientPort: enc('","port":'),
  server: enc('},"server":{"ip":"'),
  serverPort: enc('","port":'),
  roleInferred: enc('},"roleInferred":'),
  roleReason: enc(',"roleReason":'),
  start: enc(',"start":'),
  end: enc(',"end":'),
  observedUntil: enc(',"observedUntil":'),
  endReason: enc(',"endReason":'),
  previousId: enc(',"previousId":'),
  reusedById: enc(',"reusedById":'),
  midStream: enc(',"midStream":'),
  vantage: enc(',"vantage":'),
  handshakeGaps: enc(',"handshakeGaps":'),
  activeCloser: enc(',"activeCloser":'),
  statesClient: enc(',"states":{"client":['),
  statesServer: enc('],"server":['),
  at: enc(',"at":'),
  packet: enc(',"packet":'),
  finalState: enc(']},"finalState":{"client":'),
  server2: enc(',"server":'),
  timeWaitEnds: enc('},"timeWaitEnds":{"client":'),
  durations: enc('},"durations":{"client":{'),
  durationsServer: enc('},"server":{'),
  directions: enc('}},"directions":{"client":'),
  packets: enc('{"packets":'),
  bytes: enc(',"bytes":'),
  uniqueBytes: enc(',"uniqueBytes":'),
  retransmissions: enc(',"retransmissions":'),
  ackedUnseen: enc(',"ackedUnseen":'),
  syn: enc(',"syn":'),
  count: enc(',"count":'),
  ack: enc(',"ack":'),
  fin: enc(',"fin":'),
  seq: enc(',"seq":'),
  last: enc(',"last":'),
  acked: enc(',"acked":'),
  rst: enc(',"rst":'),
  mss: enc(',"options":{"mss":'),
  windowScale: enc(',"windowScale":'),
  sackPermitted: enc(',"sackPermitted":'),
  timestamps: enc(',"timestamps":'),
  atOpen: enc('{"at":'),
  zeek: enc('},"zeek":{"connState":'),
  history: enc(',"history":"'),
  findings: enc('"},"findings":['),
  code: enc('{"code":'),
  severity: enc(',"severity":'),
  side: enc(',"side":'),
  detail: enc(',"detail":'),
  end2: enc(']}'),
  null: enc('null'),
  true: enc('true'),
  false: enc('false'),
};

/**
 * Writes connections as JSON bytes into a buffer that the caller drains (`take()`) into its
 * output once `full` says so. Hot code: helpers are plain functions over (buffer, position) so
 * that V8 keeps the position in a register; room is made once per connection.
 */
export class JsonBytes {
  buf: Buffer;
  len = 0;
  private readonly inputs: (Buffer | null)[];

  /** `inputFiles[k]`: the name written as "input" for input k (undefined: no "input" field). */
  constructor(inputFiles: (string | undefined)[], size = 1 << 20) {
    this.buf = Buffer.allocUnsafe(size);
    this.inputs = inputFiles.map((f) => (f === undefined ? null : Buffer.from(JSON.stringify(f), 'utf8')));
  }

  /** Enough written that the caller should drain it. */
  get full(): boolean { return this.len > this.buf.length - 65536; }

  /**
   * The bytes written so far, and a fresh start in the same buffer: they must be written out (or
   * copied) before anything more is written. A new megabyte per take() is what made the garbage
   * collector run every 80 ms while a report was written (V8 counts buffers as external memory).
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    return out;
  }

  /** Makes room for `n` more bytes, and the last word put() may write past them. */
  private room(n: number): void {
    n += 8;
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  /** Bytes as they are. */
  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.len = copy(this.buf, this.len, bytes, 0, bytes.length);
  }

  /** Text as UTF-8 (the slow path: strings that need escaping, numbers String() prints). */
  text(s: string): void {
    this.room(3 * s.length);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** For tests: one number as number() writes it. */
  number(x: number): void {
    this.room(32);
    this.len = putNumber(this, this.buf, this.len, x);
  }

  /** For tests: one whole number of microseconds as seconds. */
  micros(us: number): void {
    this.room(32);
    this.len = putMicros(this, this.buf, this.len, us);
  }

  /** One connection, as connectionJson(v, file) serialised, ids shifted by `idOffset`. */
  connection(src: Buffer, off: number, idOffset: number): void {
    const d = viewOf(src);
    const nc = d.getUint16(off + H_CHANGES, true), ns = d.getUint16(off + H_CHANGES + 2, true), nf = d.getUint16(off + H_FINDINGS, true);
    const input = d.getUint32(off + H_INPUT, true);
    const file = this.inputs[input] ?? null;
    // Fixed text ~1.4 KB, ~110 bytes a state change, ~6x the bytes of a detail (escapes).
    const recordLength = d.getUint32(off, true);
    this.room(2048 + (file === null ? 0 : file.length) + (nc + ns) * 128 + nf * 256 + 6 * recordLength);
    const flags = d.getUint8(off + H_FLAGS);
    const b = this.buf;
    let at = this.len;
    at = put(b, at, T.id);
    at = putNumber(this, b, at, d.getFloat64(off + H_ID, true) + idOffset);
    if (file !== null) { at = put(b, at, T.input); at = copy(b, at, file, 0, file.length); }
    at = put(b, at, T.inputIndex);
    at = putNumber(this, b, at, input);
    const findingsAt = off + FIXED + (nc + ns) * CHANGE;
    let s = findingsAt + nf * FINDING;
    at = put(b, at, d.getUint8(off + H_FAMILY) === 6 ? T.family6 : T.family4);
    const clientIpLen = d.getUint8(off + H_CLIENT_IP_LEN), serverIpLen = d.getUint8(off + H_SERVER_IP_LEN);
    at = copy(b, at, src, s, clientIpLen);
    s += clientIpLen;
    at = put(b, at, T.clientPort);
    at = putNumber(this, b, at, d.getUint16(off + H_PORTS, true));
    at = put(b, at, T.server);
    at = copy(b, at, src, s, serverIpLen);
    s += serverIpLen;
    at = put(b, at, T.serverPort);
    at = putNumber(this, b, at, d.getUint16(off + H_PORTS + 2, true));
    const role = d.getUint8(off + H_ROLE);
    at = put(b, at, T.roleInferred);
    at = put(b, at, role !== 0 ? T.true : T.false);
    at = put(b, at, T.roleReason);
    at = put(b, at, ROLE_Q[role]);
    at = put(b, at, T.start);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_START, true)));
    at = put(b, at, T.end);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_END, true)));
    at = put(b, at, T.observedUntil);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_OBSERVED, true)));
    at = put(b, at, T.endReason);
    at = put(b, at, END_Q[d.getUint8(off + H_END_REASON)]);
    at = put(b, at, T.previousId);
    at = (flags & F_PREVIOUS_ID) !== 0 ? putNumber(this, b, at, d.getFloat64(off + H_PREVIOUS_ID, true) + idOffset) : put(b, at, T.null);
    at = put(b, at, T.reusedById);
    at = (flags & F_REUSED_BY) !== 0 ? putNumber(this, b, at, d.getFloat64(off + H_REUSED_BY, true) + idOffset) : put(b, at, T.null);
    at = put(b, at, T.midStream);
    at = put(b, at, (flags & F_MID_STREAM) !== 0 ? T.true : T.false);
    at = put(b, at, T.vantage);
    at = put(b, at, VANTAGE_Q[d.getUint8(off + H_VANTAGE)]);
    at = put(b, at, T.handshakeGaps);
    if ((flags & F_GAPS) !== 0) {
      // g / 1e6 without rounding: for whole microseconds, the same digits.
      b[at++] = 0x5b;
      at = putMicros(this, b, at, d.getFloat64(off + H_GAPS, true));
      b[at++] = 0x2c;
      at = putMicros(this, b, at, d.getFloat64(off + H_GAPS + 8, true));
      b[at++] = 0x5d;
    } else {
      at = put(b, at, T.null);
    }
    at = put(b, at, T.activeCloser);
    at = putSide(b, at, d.getUint8(off + H_CLOSER));
    at = put(b, at, T.statesClient);
    at = putChanges(this, b, at, d, off + FIXED, nc);
    at = put(b, at, T.statesServer);
    at = putChanges(this, b, at, d, off + FIXED + nc * CHANGE, ns);
    at = put(b, at, T.finalState);
    at = putState(b, at, d.getUint8(off + H_FINAL));
    at = put(b, at, T.server2);
    at = putState(b, at, d.getUint8(off + H_FINAL + 1));
    at = put(b, at, T.timeWaitEnds);
    at = putTime(this, b, at, d.getFloat64(off + H_TW_ENDS, true));
    at = put(b, at, T.server2);
    at = putTime(this, b, at, d.getFloat64(off + H_TW_ENDS + 8, true));
    at = put(b, at, T.durations);
    at = putDurations(this, b, at, d, off + H_DURATIONS);
    at = put(b, at, T.durationsServer);
    at = putDurations(this, b, at, d, off + H_DURATIONS + 48);
    at = put(b, at, T.directions);
    at = putDirection(this, b, at, d, off + H_DIRS);
    at = put(b, at, T.server2);
    at = putDirection(this, b, at, d, off + H_DIRS + DIR);
    at = put(b, at, T.zeek);
    at = put(b, at, ZEEK_Q[d.getUint8(off + H_ZEEK)]);
    at = put(b, at, T.history);
    const historyLen = d.getUint16(off + H_HISTORY_LEN, true);
    at = copy(b, at, src, s, historyLen);
    s += historyLen;
    at = put(b, at, T.findings);
    for (let i = 0; i < nf; i++) {
      const g = findingsAt + i * FINDING;
      if (i > 0) b[at++] = 0x2c;
      at = put(b, at, T.code);
      at = put(b, at, CODE_Q[d.getUint8(g + G_CODE)]);
      at = put(b, at, T.severity);
      at = put(b, at, SEVERITY_Q[d.getUint8(g + G_SEVERITY)]);
      at = put(b, at, T.side);
      at = putSide(b, at, d.getUint8(g + G_SIDE));
      at = put(b, at, T.at);
      at = putMicros(this, b, at, Math.round(d.getFloat64(g + G_AT, true)));
      at = put(b, at, T.detail);
      const n = d.getUint32(g + G_DETAIL_LEN, true);
      at = putDetail(b, at, src, s, n, d.getUint8(g + G_PLAIN) === 1, idOffset);
      b[at++] = 0x7d;
      s += n;
    }
    at = put(b, at, T.end2);
    this.len = at;
  }
}

let outBuffer: Buffer | null = null;
let outView: DataView = new DataView(new ArrayBuffer(0));

/** Copies a constant fragment a word at a time (see Fragment); returns the end of its bytes. */
function put(b: Buffer, at: number, fragment: Fragment): number {
  if (b !== outBuffer) {
    outBuffer = b;
    outView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  const words = fragment.words;
  for (let k = 0; k < words.length; k++) outView.setFloat64(at + 8 * k, words[k], true);
  return at + fragment.bytes.length;
}

/** Copies bytes that need no escaping (addresses, histories, file names) one by one: they are short. */
function copy(b: Buffer, at: number, src: Uint8Array, start: number, n: number): number {
  for (let i = 0; i < n; i++) b[at + i] = src[start + i];
  return at + n;
}

/** The slow path: text that JavaScript formats or escapes, written where `at` is. */
function putText(w: JsonBytes, b: Buffer, at: number, text: string): number {
  return at + b.write(text, at, 'utf8');
}

/** A JSON number as JSON.stringify writes it: whole numbers digit by digit. */
function putNumber(w: JsonBytes, b: Buffer, at: number, x: number): number {
  if (x >= 0 && x <= 9007199254740991 && Math.floor(x) === x) return putUint(b, at, x);
  if (Number.isFinite(x)) return putText(w, b, at, String(x));
  return put(b, at, T.null);
}

/**
 * `us / 1e6` as JSON.stringify prints it, for a whole number of microseconds: the seconds, and
 * the six-digit fraction without its trailing zeros. That is the shortest decimal that reads back
 * as the same double while a microsecond is more than one unit in the last place of the double
 * (below 2^33 s, the year 2242); beyond that, and for anything not whole, String() does it.
 */
function putMicros(w: JsonBytes, b: Buffer, at: number, us: number): number {
  if (!(us >= 0 && us < 8_000_000_000_000_000 && Math.floor(us) === us)) {
    return Number.isFinite(us) ? putText(w, b, at, String(us / 1e6)) : put(b, at, T.null);
  }
  const whole = Math.floor(us / 1e6);
  let frac = (us - whole * 1e6) | 0;
  // Times of a capture share their leading digits: the last whole seconds written are kept.
  if (whole === lastWhole) {
    const n = lastWholeLength;
    for (let i = 0; i < n; i++) b[at + i] = lastWholeDigits[i];
    at += n;
  } else {
    const from = at;
    at = putUint(b, at, whole);
    if (at - from <= 16) {
      lastWhole = whole;
      lastWholeLength = at - from;
      for (let i = 0; i < lastWholeLength; i++) lastWholeDigits[i] = b[from + i];
    }
  }
  if (frac === 0) return at;
  b[at++] = 0x2e;
  let digits = 6;
  while (frac % 10 === 0) { frac = (frac / 10) | 0; digits--; }
  for (let i = digits - 1; i >= 0; i--) {
    const q = (frac / 10) | 0;
    b[at + i] = 0x30 + frac - q * 10;
    frac = q;
  }
  return at + digits;
}

let lastWhole = -1;
let lastWholeLength = 0;
const lastWholeDigits = new Uint8Array(16);

/** s() in json.ts: null for null (NaN here) or negative, else seconds. */
function putTime(w: JsonBytes, b: Buffer, at: number, us: number): number {
  if (us !== us || us < 0) return put(b, at, T.null);
  return putMicros(w, b, at, Math.round(us));
}

function putSide(b: Buffer, at: number, c: number): number {
  return put(b, at, c === 0 ? T.null : SIDE_Q[c]);
}

function putState(b: Buffer, at: number, c: number): number {
  return put(b, at, c === 255 ? T.null : STATE_Q[c]);
}

function putChanges(w: JsonBytes, b: Buffer, at: number, d: DataView, from: number, n: number): number {
  for (let i = 0, c = from; i < n; i++, c += CHANGE) {
    if (i > 0) b[at++] = 0x2c;
    at = put(b, at, STATE_OPEN[d.getUint8(c + C_STATE)]);
    at = putMicros(w, b, at, Math.round(d.getFloat64(c + C_AT, true)));
    at = put(b, at, T.packet);
    const p = d.getFloat64(c + C_PACKET, true);
    at = p !== p ? put(b, at, T.null) : putNumber(w, b, at, p);
    at = put(b, at, CAUSE_CLOSE[d.getUint8(c + C_CAUSE)]);
  }
  return at;
}

function putDurations(w: JsonBytes, b: Buffer, at: number, d: DataView, from: number): number {
  for (let k = 0; k < 6; k++) {
    at = put(b, at, DURATION_KEYS_Q[k]);
    const x = d.getFloat64(from + 8 * k, true);
    at = x !== x ? put(b, at, T.null) : putMicros(w, b, at, Math.round(x));
  }
  return at;
}

function putDirection(w: JsonBytes, b: Buffer, at: number, d: DataView, x: number): number {
  at = put(b, at, T.packets);
  at = putNumber(w, b, at, d.getFloat64(x + D_PACKETS, true));
  at = put(b, at, T.bytes);
  at = putNumber(w, b, at, d.getFloat64(x + D_BYTES, true));
  at = put(b, at, T.uniqueBytes);
  at = putNumber(w, b, at, d.getFloat64(x + D_UNIQUE, true));
  at = put(b, at, T.retransmissions);
  at = putNumber(w, b, at, d.getFloat64(x + D_RETRANS, true));
  at = put(b, at, T.ackedUnseen);
  at = putNumber(w, b, at, d.getFloat64(x + D_ACKED_UNSEEN, true));
  at = put(b, at, T.syn);
  const synCount = d.getFloat64(x + D_SYN_COUNT, true);
  if (synCount !== synCount) at = put(b, at, T.null);
  else {
    at = put(b, at, T.atOpen);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_SYN_AT, true)));
    at = put(b, at, T.count);
    at = putNumber(w, b, at, synCount);
    at = put(b, at, T.ack);
    at = put(b, at, d.getUint8(x + D_SYN_ACK) === 1 ? T.true : T.false);
    b[at++] = 0x7d;
  }
  at = put(b, at, T.fin);
  const finCount = d.getFloat64(x + D_FIN_COUNT, true);
  if (finCount !== finCount) at = put(b, at, T.null);
  else {
    at = put(b, at, T.atOpen);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_FIN_AT, true)));
    at = put(b, at, T.seq);
    at = putNumber(w, b, at, d.getFloat64(x + D_FIN_SEQ, true));
    at = put(b, at, T.count);
    at = putNumber(w, b, at, finCount);
    at = put(b, at, T.last);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_FIN_LAST, true)));
    at = put(b, at, T.acked);
    at = putTime(w, b, at, d.getFloat64(x + D_FIN_ACKED, true));
    b[at++] = 0x7d;
  }
  at = put(b, at, T.rst);
  const rstCount = d.getFloat64(x + D_RST_COUNT, true);
  if (rstCount !== rstCount) at = put(b, at, T.null);
  else {
    at = put(b, at, T.atOpen);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_RST_AT, true)));
    at = put(b, at, T.seq);
    at = putNumber(w, b, at, d.getFloat64(x + D_RST_SEQ, true));
    at = put(b, at, T.count);
    at = putNumber(w, b, at, rstCount);
    at = put(b, at, T.ack);
    at = put(b, at, d.getUint8(x + D_RST_ACK) === 1 ? T.true : T.false);
    b[at++] = 0x7d;
  }
  at = put(b, at, T.mss);
  const mss = d.getInt32(x + D_MSS, true), ws = d.getInt32(x + D_WSCALE, true);
  at = mss === -1 ? put(b, at, T.null) : putNumber(w, b, at, mss);
  at = put(b, at, T.windowScale);
  at = ws === -1 ? put(b, at, T.null) : putNumber(w, b, at, ws);
  at = put(b, at, T.sackPermitted);
  at = put(b, at, d.getUint8(x + D_SACK) === 1 ? T.true : T.false);
  at = put(b, at, T.timestamps);
  at = put(b, at, d.getUint8(x + D_TIMESTAMPS) === 1 ? T.true : T.false);
  b[at++] = 0x7d;
  b[at++] = 0x7d;
  return at;
}

/**
 * A finding's detail as a JSON string: its bytes when nothing needs escaping (`plain`, found when
 * the record was written), else through JSON.stringify; with ids shifted, the connection it names
 * is renumbered too.
 */
function putDetail(b: Buffer, at: number, src: Buffer, start: number, n: number, plain: boolean, idOffset: number): number {
  const end = start + n;
  if (idOffset !== 0) {
    const text = src.toString('utf8', start, end);
    if (text.includes('connection #')) {
      const shifted = text.replace(ID_IN_DETAIL, (_m, p: string, id: string) => `${p}${Number(id) + idOffset}`);
      return at + b.write(JSON.stringify(shifted), at, 'utf8');
    }
  }
  if (!plain) return at + b.write(JSON.stringify(src.toString('utf8', start, end)), at, 'utf8');
  b[at++] = 0x22;
  at += src.copy(b, at, start, end);
  b[at++] = 0x22;
  return at;
}

/** Writes the decimal digits of a whole number 0 <= x < 2^53 at `at`; returns the end. */
function putUint(b: Buffer, at: number, x: number): number {
  if (x < 10) { b[at] = 0x30 + x; return at + 1; }
  if (x < 4294967296) {
    let y = x >>> 0;
    let digits = 1;
    for (let p = 10; p <= y; p *= 10) digits++;
    let i = at + digits - 1;
    while (y >= 10) {
      const q = (y / 10) >>> 0;
      b[i--] = 0x30 + y - q * 10;
      y = q;
    }
    b[i] = 0x30 + y;
    return at + digits;
  }
  let digits = 1;
  for (let p = 10; p <= x; p *= 10) digits++;
  let i = at + digits - 1;
  while (x > 0) {
    const q = Math.floor(x / 10);
    b[i--] = 0x30 + (x - q * 10);
    x = q;
  }
  return at + digits;
}
