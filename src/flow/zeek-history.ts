// Zeek's conn.log `history`, computed as Zeek does (scripts/base/protocols/conn/main.zeek and
// src/packet_analysis/protocol/tcp/): one letter per event, upper case for the originator.
// It is per packet, so it lives in the flow stage; conn_state is derived later from the facts.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../decode/packet-view.js';
import type { Dir } from './types.js';

// Bits of ZeekHistoryState.once: letters that appear at most once per direction.
const ONCE_A = 1, ONCE_D = 2, ONCE_I = 4, ONCE_Q = 8;

// Index into ZeekHistoryState.lastSeq: kind * 2 + dir.
const K_S = 0, K_H = 1, K_F = 2, K_R = 3;

/** Per-connection bookkeeping for the history letters. */
export class ZeekHistoryState {
  history = '';
  /** ONCE_* bits, shifted by 4 for the responder. */
  once = 0;
  /** Last sequence number that produced an s/h/f/r letter, per kind and direction. */
  readonly lastSeq = [-1, -1, -1, -1, -1, -1, -1, -1];
  /** Next threshold (1, 10, 100, ...) for the logarithmic letters t and w, per direction. */
  readonly retransThreshold = [1, 1];
  readonly retransCount = [0, 0];
  readonly zeroWindowThreshold = [1, 1];
  readonly zeroWindowCount = [0, 0];

  /** As new (a recycled connection's state). */
  reset(): void {
    this.history = '';
    this.once = 0;
    this.lastSeq.fill(-1);
    this.retransThreshold[0] = this.retransThreshold[1] = 1;
    this.retransCount[0] = this.retransCount[1] = 0;
    this.zeroWindowThreshold[0] = this.zeroWindowThreshold[1] = 1;
    this.zeroWindowCount[0] = this.zeroWindowCount[1] = 0;
  }
}

/** A history letter as [originator's (upper case), responder's]: made once, not per packet. */
type Letter = readonly [string, string];
const A: Letter = ['A', 'a'], D: Letter = ['D', 'd'], F: Letter = ['F', 'f'], H: Letter = ['H', 'h'], I: Letter = ['I', 'i'];
const Q: Letter = ['Q', 'q'], R: Letter = ['R', 'r'], S: Letter = ['S', 's'], T: Letter = ['T', 't'], W: Letter = ['W', 'w'];

function onceLetter(state: ZeekHistoryState, bit: number, letter: Letter, dir: Dir): void {
  const b = dir === 0 ? bit : bit << 4;
  if ((state.once & b) !== 0) return;
  state.once |= b;
  state.history += letter[dir];
}

function seqLetter(state: ZeekHistoryState, kind: number, letter: Letter, dir: Dir, seq: number): void {
  const i = kind * 2 + dir;
  // A plain retransmission of the same SYN/FIN/RST adds no letter.
  if (state.lastSeq[i] === seq) return;
  state.lastSeq[i] = seq;
  state.history += letter[dir];
}

/** Zeek's logarithmic letters: the 1st, 10th, 100th ... occurrence adds one. */
function logLetter(state: ZeekHistoryState, counts: number[], thresholds: number[], letter: Letter, dir: Dir): void {
  counts[dir]++;
  if (counts[dir] >= thresholds[dir]) {
    thresholds[dir] *= 10;
    state.history += letter[dir];
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
    logLetter(state, state.retransCount, state.retransThreshold, T, dir);
  }
  if (window === 0 && !rst && !syn) {
    logLetter(state, state.zeroWindowCount, state.zeroWindowThreshold, W, dir);
  }
}
