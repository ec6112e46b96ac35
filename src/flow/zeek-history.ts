// Zeek's conn.log `history`, computed as Zeek does (scripts/base/protocols/conn/main.zeek and
// src/packet_analysis/protocol/tcp/): one letter per event, upper case for the originator.
// It is per packet, so it lives in the flow stage; conn_state is derived later from the facts.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import type { Dir } from './types.js';

// Bits of ZeekHistoryState.once: letters that appear at most once per direction.
const ONCE_A = 1, ONCE_D = 2, ONCE_I = 4, ONCE_Q = 8;

// ZeekHistoryState.words holds every per-direction number in one array: one object per connection
// rather than five, each a cache miss when a recycled connection starts, and less for the collector.
/** Last sequence number that produced an s/h/f/r letter, at W_LAST_SEQ + kind * 2 + dir. */
const W_LAST_SEQ = 0;
const K_S = 0, K_H = 1, K_F = 2, K_R = 3;
/** Logarithmic letters t and w: occurrences at base + dir, next threshold (1, 10, 100, ...) at base + 2 + dir. */
const W_RETRANS = 8;
const W_ZERO_WINDOW = 12;
const INITIAL_WORDS: readonly number[] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 1, 1, 0, 0, 1, 1];

/**
 * Letters kept; later ones are dropped. Zeek keeps them all, but its s, h, f and r letters come
 * once per SYN, FIN or RST whose sequence number differs from the last: a storm of resets with
 * moving sequence numbers (a scan, an attack, a broken middlebox) gave one connection a history
 * of a million letters, memory that grew with the capture rather than with the live connections.
 * Real connections stay far below this (the longest in ../shared/conformance has 12 letters).
 */
export const HISTORY_MAX = 1024;

/** Per-connection bookkeeping for the history letters. */
export class ZeekHistoryState {
  history = '';
  /** ONCE_* bits, shifted by 4 for the responder. */
  once = 0;
  /** W_* fields. */
  readonly words = INITIAL_WORDS.slice();

  /** As new (a recycled connection's state). */
  reset(): void {
    this.history = '';
    this.once = 0;
    for (let i = 0; i < INITIAL_WORDS.length; i++) this.words[i] = INITIAL_WORDS[i];
  }
}

/** A history letter as [originator's (upper case), responder's]: made once, not per packet. */
type Letter = readonly [string, string];
const A: Letter = ['A', 'a'], D: Letter = ['D', 'd'], F: Letter = ['F', 'f'], H: Letter = ['H', 'h'], I: Letter = ['I', 'i'];
const Q: Letter = ['Q', 'q'], R: Letter = ['R', 'r'], S: Letter = ['S', 's'], T: Letter = ['T', 't'], W: Letter = ['W', 'w'];

function add(state: ZeekHistoryState, letter: string): void {
  if (state.history.length < HISTORY_MAX) state.history += letter;
}

function onceLetter(state: ZeekHistoryState, bit: number, letter: Letter, dir: Dir): void {
  const b = dir === 0 ? bit : bit << 4;
  if ((state.once & b) !== 0) return;
  state.once |= b;
  add(state, letter[dir]);
}

function seqLetter(state: ZeekHistoryState, kind: number, letter: Letter, dir: Dir, seq: number): void {
  const i = W_LAST_SEQ + kind * 2 + dir;
  // A plain retransmission of the same SYN/FIN/RST adds no letter.
  if (state.words[i] === seq) return;
  state.words[i] = seq;
  add(state, letter[dir]);
}

/** Zeek's logarithmic letters: the 1st, 10th, 100th ... occurrence adds one. */
function logLetter(state: ZeekHistoryState, base: number, letter: Letter, dir: Dir): void {
  const words = state.words, count = base + dir, threshold = base + 2 + dir;
  words[count]++;
  if (words[count] >= words[threshold]) {
    words[threshold] *= 10;
    add(state, letter[dir]);
  }
}

/** Adds the letters for one packet. `seq` is the raw 32-bit sequence number. */
export function recordHistory(
  state: ZeekHistoryState, dir: Dir, flags: number, seq: number, payloadLength: number,
  window: number, retransmission: boolean,
): void {
  const syn = (flags & TCP_SYN) !== 0;
  const fin = (flags & TCP_FIN) !== 0;
  const rst = (flags & TCP_RST) !== 0;
  const n = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (n > 1) {
    if (fin && rst) onceLetter(state, ONCE_I, I, dir);
    else onceLetter(state, ONCE_Q, Q, dir);
  } else if (syn) {
    if ((flags & TCP_ACK) !== 0) seqLetter(state, K_H, H, dir, seq);
    else seqLetter(state, K_S, S, dir, seq);
  } else if (fin) {
    seqLetter(state, K_F, F, dir, seq);
  } else if (rst) {
    seqLetter(state, K_R, R, dir, seq);
  } else if (payloadLength > 0) {
    onceLetter(state, ONCE_D, D, dir);
  } else if ((flags & TCP_ACK) !== 0) {
    onceLetter(state, ONCE_A, A, dir);
  }
  if (retransmission && payloadLength > 0) {
    logLetter(state, W_RETRANS, T, dir);
  }
  if (window === 0 && !rst && !syn) {
    logLetter(state, W_ZERO_WINDOW, W, dir);
  }
}
