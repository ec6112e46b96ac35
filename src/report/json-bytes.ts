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
  readonly length: number;
  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = Buffer.alloc(Math.ceil(bytes.length / 8) * 8, 0x20);
    padded.set(bytes);
    this.words = new Float64Array(padded.length / 8);
    for (let k = 0; k < this.words.length; k++) {
      if (padded.subarray(8 * k, 8 * k + 8).some((c) => c >= 0x80)) throw new Error('JSON fragments are ASCII');
      this.words[k] = padded.readDoubleLE(8 * k);
    }
  }
}

const enc = (s: string): Fragment => new Fragment(Buffer.from(s, 'utf8'));
/** JSON string literals of a table's names, quotes included. */
const quoted = (names: string[]): Fragment[] => names.map((n) => enc(JSON.stringify(n)));

const SIDE_Q = quoted(SIDE_OR_NULL.names);
const q = (name: string): string => JSON.stringify(name);

// The text between two values is mostly constant, or one of a few: each such run is one fragment,
// chosen by the codes it spells out, so that a connection takes ~60 put() calls instead of ~120.

/** `{"state":"ESTABLISHED","at":` for each state, and `,"cause":"recvSynAck"}` for each cause. */
const STATE_OPEN = TCP_STATE.names.map((n) => enc(`{"state":${q(n)},"at":`));
const CAUSE_CLOSE = CAUSE.names.map((n) => enc(`,"cause":${q(n)}}`));
/** [cause][state]: where one state change ends and the next begins. */
const CHANGE_LINK = CAUSE.names.map((c) => TCP_STATE.names.map((n) => enc(`,"cause":${q(c)}},{"state":${q(n)},"at":`)));
const DURATION_KEYS = ['finWait1', 'finWait2', 'closing', 'timeWait', 'closeWait', 'lastAck'];
const DURATION_KEYS_Q = DURATION_KEYS.map((k, i) => enc(`${i === 0 ? '' : ','}"${k}":`));
const DURATION_NULL = DURATION_KEYS.map((k, i) => enc(`${i === 0 ? '' : ','}"${k}":null`));
/** [role reason]: roleInferred and roleReason. */
const ROLE_TEXT = ROLE_REASON.names.map((n) => enc(`},"roleInferred":${n !== 'syn'},"roleReason":${q(n)},"start":`));
const END_REASON_TEXT = END_REASON.names.map((n) => enc(`,"endReason":${q(n)},"previousId":`));
/** [midStream 0 | 1][vantage]. */
const MID_STREAM_VANTAGE = [false, true].map((mid) => VANTAGE.names.map((n) => enc(`,"midStream":${mid},"vantage":${q(n)},"handshakeGaps":`)));
/** TCP_STATE codes and null (the record's 255) as indexes of FINAL_STATES. */
const NULL_STATE = TCP_STATE.names.length;
const finalStateIndex = (code: number): number => (code === 255 ? NULL_STATE : code);
/** [client's final state][server's], NULL_STATE for null. */
const FINAL_STATES = [...TCP_STATE.names, null].map((c) => [...TCP_STATE.names, null].map((sv) =>
  enc(`]},"finalState":{"client":${JSON.stringify(c)},"server":${JSON.stringify(sv)}},"timeWaitEnds":{"client":`)));
const ZEEK_TEXT = ZEEK_STATE.names.map((n) => enc(`},"zeek":{"connState":${q(n)},"history":"`));
/** [code][severity][side]: a finding up to its time. */
const FINDING_OPEN = FINDING_CODE.names.map((c) => SEVERITY_CODE.names.map((sv) => SIDE_OR_NULL.names.map((side, k) =>
  enc(`{"code":${q(c)},"severity":${q(sv)},"side":${k === 0 ? 'null' : q(side)},"at":`))));
/** [ack 0 | 1]: the end of a SYN or RST. */
const ACK_CLOSE = [enc(',"ack":false}'), enc(',"ack":true}')];
/** [sackPermitted 0 | 1][timestamps 0 | 1]: the end of a direction. */
const OPTIONS_CLOSE = [false, true].map((sack) => [false, true].map((ts) => enc(`,"sackPermitted":${sack},"timestamps":${ts}}}`)));

const T = {
  id: enc('{"id":'),
  input: enc(',"input":'),
  inputIndex: enc(',"inputIndex":'),
  family4: enc(',"family":"ipv4","client":{"ip":"'),
  family6: enc(',"family":"ipv6","client":{"ip":"'),
  clientPort: enc('","port":'),
  server: enc('},"server":{"ip":"'),
  serverPort: enc('","port":'),
  end: enc(',"end":'),
  observedUntil: enc(',"observedUntil":'),
  reusedById: enc(',"reusedById":'),
  activeCloser: enc(',"activeCloser":'),
  statesClient: enc(',"states":{"client":['),
  statesServer: enc('],"server":['),
  packet: enc(',"packet":'),
  server2: enc(',"server":'),
  durations: enc('},"durations":{"client":{'),
  durationsServer: enc('},"server":{'),
  directions: enc('}},"directions":{"client":'),
  packets: enc('{"packets":'),
  bytes: enc(',"bytes":'),
  uniqueBytes: enc(',"uniqueBytes":'),
  retransmissions: enc(',"retransmissions":'),
  ackedUnseen: enc(',"ackedUnseen":'),
  synNull: enc(',"syn":null'),
  synOpen: enc(',"syn":{"at":'),
  count: enc(',"count":'),
  finNull: enc(',"fin":null'),
  finOpen: enc(',"fin":{"at":'),
  seq: enc(',"seq":'),
  last: enc(',"last":'),
  acked: enc(',"acked":'),
  rstNull: enc(',"rst":null'),
  rstOpen: enc(',"rst":{"at":'),
  mss: enc(',"options":{"mss":'),
  windowScale: enc(',"windowScale":'),
  findings: enc('"},"findings":['),
  detail: enc(',"detail":'),
  end2: enc(']}'),
  null: enc('null'),
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
    useBuffer(this.buf);
    this.len = putNumber(this, this.buf, this.len, x);
  }

  /** For tests: one whole number of microseconds as seconds. */
  micros(us: number): void {
    this.room(32);
    useBuffer(this.buf);
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
    useBuffer(b);
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
    at = copyWords(at, d, s, clientIpLen);
    s += clientIpLen;
    at = put(b, at, T.clientPort);
    at = putNumber(this, b, at, d.getUint16(off + H_PORTS, true));
    at = put(b, at, T.server);
    at = copyWords(at, d, s, serverIpLen);
    s += serverIpLen;
    at = put(b, at, T.serverPort);
    at = putNumber(this, b, at, d.getUint16(off + H_PORTS + 2, true));
    at = put(b, at, ROLE_TEXT[d.getUint8(off + H_ROLE)]);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_START, true)));
    at = put(b, at, T.end);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_END, true)));
    at = put(b, at, T.observedUntil);
    at = putMicros(this, b, at, Math.round(d.getFloat64(off + H_OBSERVED, true)));
    at = put(b, at, END_REASON_TEXT[d.getUint8(off + H_END_REASON)]);
    at = (flags & F_PREVIOUS_ID) !== 0 ? putNumber(this, b, at, d.getFloat64(off + H_PREVIOUS_ID, true) + idOffset) : put(b, at, T.null);
    at = put(b, at, T.reusedById);
    at = (flags & F_REUSED_BY) !== 0 ? putNumber(this, b, at, d.getFloat64(off + H_REUSED_BY, true) + idOffset) : put(b, at, T.null);
    at = put(b, at, MID_STREAM_VANTAGE[(flags & F_MID_STREAM) !== 0 ? 1 : 0][d.getUint8(off + H_VANTAGE)]);
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
    at = put(b, at, FINAL_STATES[finalStateIndex(d.getUint8(off + H_FINAL))][finalStateIndex(d.getUint8(off + H_FINAL + 1))]);
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
    at = put(b, at, ZEEK_TEXT[d.getUint8(off + H_ZEEK)]);
    const historyLen = d.getUint16(off + H_HISTORY_LEN, true);
    at = copyWords(at, d, s, historyLen);
    s += historyLen;
    at = put(b, at, T.findings);
    for (let i = 0; i < nf; i++) {
      const g = findingsAt + i * FINDING;
      if (i > 0) b[at++] = 0x2c;
      at = put(b, at, FINDING_OPEN[d.getUint8(g + G_CODE)][d.getUint8(g + G_SEVERITY)][d.getUint8(g + G_SIDE)]);
      at = putMicros(this, b, at, Math.round(d.getFloat64(g + G_AT, true)));
      at = put(b, at, T.detail);
      const n = d.getUint32(g + G_DETAIL_LEN, true);
      at = putDetail(b, at, src, d, s, n, d.getUint8(g + G_PLAIN) === 1, idOffset);
      b[at++] = 0x7d;
      s += n;
    }
    at = put(b, at, T.end2);
    this.len = at;
  }
}

let outBuffer: Buffer | null = null;
let outView: DataView = new DataView(new ArrayBuffer(0));

/**
 * Points the word stores (put() and the digit writers) at `b`. Called once before writing into a
 * buffer rather than checked in every store: there are ~100 of those a connection.
 */
function useBuffer(b: Buffer): void {
  if (b !== outBuffer) {
    outBuffer = b;
    outView = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
}

/** Copies a constant fragment a word at a time (see Fragment); returns the end of its bytes. */
function put(b: Buffer, at: number, fragment: Fragment): number {
  const words = fragment.words;
  for (let k = 0; k < words.length; k++) outView.setFloat64(at + 8 * k, words[k], true);
  return at + fragment.length;
}

/**
 * Copies n bytes of a record (`src`: its DataView) that need no escaping (addresses, histories,
 * plain details) four at a time: at these lengths Buffer.copy's own checks cost more than the copy.
 */
function copyWords(at: number, src: DataView, start: number, n: number): number {
  let i = 0;
  for (; i + 4 <= n; i += 4) outView.setUint32(at + i, src.getUint32(start + i, true), true);
  for (; i < n; i++) outView.setUint8(at + i, src.getUint8(start + i));
  return at + n;
}

/** Copies bytes that need no escaping (file names, raw text) one by one: they are short. */
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
  // Times of a capture share their whole seconds: most fall in the second last written.
  let frac = us - lastWholeUs;
  if (frac >= 0 && frac < 1e6) {
    at = putLastWholeSeconds(at);
  } else {
    const whole = Math.floor(us / 1e6);
    frac = us - whole * 1e6;
    at = putWholeSeconds(b, at, whole);
  }
  if (frac === 0) return at;
  b[at] = 0x2e;
  return putFraction(at + 1, frac);
}

/**
 * The whole seconds last written, from the 32-bit words they are kept as: the last word may run up
 * to three bytes past them, where the next write goes anyway.
 */
function putLastWholeSeconds(at: number): number {
  for (let k = 0; k < lastWholeWordCount; k++) outView.setUint32(at + 4 * k, lastWholeWords[k], true);
  return at + lastWholeLength;
}

/** Whole seconds (below 8e9), kept for putLastWholeSeconds. */
function putWholeSeconds(b: Buffer, at: number, whole: number): number {
  const end = putUint(b, at, whole);
  lastWholeUs = whole * 1e6;
  lastWholeLength = end - at;
  lastWholeWordCount = (lastWholeLength + 3) >> 2;
  for (let k = 0; k < lastWholeWordCount; k++) lastWholeWords[k] = outView.getUint32(at + 4 * k, true);
  return end;
}

/** The first microsecond of the whole seconds last written (NaN: none yet). */
let lastWholeUs = NaN;
let lastWholeLength = 0;
let lastWholeWordCount = 0;
const lastWholeWords = new Uint32Array(4);

/**
 * The digits of a fraction of 1..999 999 millionths, trailing zeros dropped: the first two and
 * the last four each in one store from a table. Digits past the significant ones are written too
 * and overwritten by what comes next (room() leaves the slack).
 */
function putFraction(at: number, frac: number): number {
  const high = (frac / 10000) | 0, low = frac - high * 10000;
  outView.setUint16(at, TWO_DIGITS[high], true);
  if (low === 0) return at + SIGNIFICANT_OF_TWO[high];
  outView.setUint32(at + 2, FOUR_DIGITS[low], true);
  return at + 2 + SIGNIFICANT_OF_FOUR[low];
}

/** "0000".."9999" as ASCII, the four bytes read as one little-endian word. */
const FOUR_DIGITS = new Uint32Array(10000);
/** "00".."99" likewise, two bytes to a word. */
const TWO_DIGITS = new Uint16Array(100);
/** How many digits of "0000".."9999" are left once trailing zeros are dropped ("1200": 2). */
const SIGNIFICANT_OF_FOUR = new Uint8Array(10000);
const SIGNIFICANT_OF_TWO = new Uint8Array(100);
for (let k = 0; k < 10000; k++) {
  const text = String(k).padStart(4, '0');
  const ascii = Buffer.from(text, 'latin1');
  FOUR_DIGITS[k] = ascii.readUInt32LE(0);
  SIGNIFICANT_OF_FOUR[k] = text.replace(/0+$/, '').length;
  if (k < 100) {
    TWO_DIGITS[k] = ascii.readUInt16LE(2);
    SIGNIFICANT_OF_TWO[k] = text.slice(2).replace(/0+$/, '').length;
  }
}

/** s() in json.ts: null for null (NaN here) or negative, else seconds. */
function putTime(w: JsonBytes, b: Buffer, at: number, us: number): number {
  if (us !== us || us < 0) return put(b, at, T.null);
  return putMicros(w, b, at, Math.round(us));
}

function putSide(b: Buffer, at: number, c: number): number {
  return put(b, at, c === 0 ? T.null : SIDE_Q[c]);
}

/** A side's state changes: the first opened with STATE_OPEN, each joined to the next by CHANGE_LINK. */
function putChanges(w: JsonBytes, b: Buffer, at: number, d: DataView, from: number, n: number): number {
  if (n === 0) return at;
  at = put(b, at, STATE_OPEN[d.getUint8(from + C_STATE)]);
  for (let i = 1, c = from; ; i++, c += CHANGE) {
    at = putMicros(w, b, at, Math.round(d.getFloat64(c + C_AT, true)));
    at = put(b, at, T.packet);
    const p = d.getFloat64(c + C_PACKET, true);
    at = p !== p ? put(b, at, T.null) : putNumber(w, b, at, p);
    const cause = d.getUint8(c + C_CAUSE);
    if (i === n) return put(b, at, CAUSE_CLOSE[cause]);
    at = put(b, at, CHANGE_LINK[cause][d.getUint8(c + CHANGE + C_STATE)]);
  }
}

function putDurations(w: JsonBytes, b: Buffer, at: number, d: DataView, from: number): number {
  for (let k = 0; k < 6; k++) {
    const x = d.getFloat64(from + 8 * k, true);
    if (x !== x) at = put(b, at, DURATION_NULL[k]);
    else at = putMicros(w, b, put(b, at, DURATION_KEYS_Q[k]), Math.round(x));
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
  const synCount = d.getFloat64(x + D_SYN_COUNT, true);
  if (synCount !== synCount) at = put(b, at, T.synNull);
  else {
    at = put(b, at, T.synOpen);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_SYN_AT, true)));
    at = put(b, at, T.count);
    at = putNumber(w, b, at, synCount);
    at = put(b, at, ACK_CLOSE[d.getUint8(x + D_SYN_ACK)]);
  }
  const finCount = d.getFloat64(x + D_FIN_COUNT, true);
  if (finCount !== finCount) at = put(b, at, T.finNull);
  else {
    at = put(b, at, T.finOpen);
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
  const rstCount = d.getFloat64(x + D_RST_COUNT, true);
  if (rstCount !== rstCount) at = put(b, at, T.rstNull);
  else {
    at = put(b, at, T.rstOpen);
    at = putMicros(w, b, at, Math.round(d.getFloat64(x + D_RST_AT, true)));
    at = put(b, at, T.seq);
    at = putNumber(w, b, at, d.getFloat64(x + D_RST_SEQ, true));
    at = put(b, at, T.count);
    at = putNumber(w, b, at, rstCount);
    at = put(b, at, ACK_CLOSE[d.getUint8(x + D_RST_ACK)]);
  }
  at = put(b, at, T.mss);
  const mss = d.getInt32(x + D_MSS, true), ws = d.getInt32(x + D_WSCALE, true);
  at = mss === -1 ? put(b, at, T.null) : putNumber(w, b, at, mss);
  at = put(b, at, T.windowScale);
  at = ws === -1 ? put(b, at, T.null) : putNumber(w, b, at, ws);
  return put(b, at, OPTIONS_CLOSE[d.getUint8(x + D_SACK)][d.getUint8(x + D_TIMESTAMPS)]);
}

/**
 * A finding's detail as a JSON string: its bytes when nothing needs escaping (`plain`, found when
 * the record was written), else through JSON.stringify; with ids shifted, the connection it names
 * is renumbered too.
 */
function putDetail(b: Buffer, at: number, src: Buffer, d: DataView, start: number, n: number, plain: boolean, idOffset: number): number {
  const end = start + n;
  if (idOffset !== 0) {
    const text = src.toString('utf8', start, end);
    if (text.includes('connection #')) {
      const shifted = text.replace(ID_IN_DETAIL, (_m, p: string, id: string) => `${p}${Number(id) + idOffset}`);
      return at + b.write(JSON.stringify(shifted), at, 'utf8');
    }
  }
  if (!plain) return at + b.write(JSON.stringify(src.toString('utf8', start, end)), at, 'utf8');
  b[at] = 0x22;
  at = copyWords(at + 1, d, start, n);
  b[at] = 0x22;
  return at + 1;
}

/** Writes the decimal digits of a whole number 0 <= x < 2^53 at `at`; returns the end. */
function putUint(b: Buffer, at: number, x: number): number {
  if (x < 10) { b[at] = 0x30 + x; return at + 1; }
  if (x >= 4294967296) return putLargeUint(b, at, x);
  // Four digits a store from the last back, then the two, three or four at the front.
  let y = x >>> 0;
  const end = at + decimalDigits(y);
  let i = end;
  while (y >= 10000) {
    const q = (y / 10000) >>> 0;
    i -= 4;
    outView.setUint32(i, FOUR_DIGITS[y - q * 10000], true);
    y = q;
  }
  if (y >= 1000) {
    outView.setUint32(i - 4, FOUR_DIGITS[y], true);
  } else if (y >= 100) {
    const q = (y / 100) | 0;
    outView.setUint16(i - 2, TWO_DIGITS[y - q * 100], true);
    b[i - 3] = 0x30 + q;
  } else if (y >= 10) {
    outView.setUint16(i - 2, TWO_DIGITS[y], true);
  } else {
    b[i - 1] = 0x30 + y;
  }
  return end;
}

/** Digits of 10 <= y < 2^32. */
function decimalDigits(y: number): number {
  if (y < 100) return 2;
  if (y < 10000) return y < 1000 ? 3 : 4;
  if (y < 1000000) return y < 100000 ? 5 : 6;
  if (y < 100000000) return y < 10000000 ? 7 : 8;
  return y < 1000000000 ? 9 : 10;
}

/** putUint for 2^32 <= x < 2^53, one digit a step (rare: ids and counts are smaller). */
function putLargeUint(b: Buffer, at: number, x: number): number {
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
