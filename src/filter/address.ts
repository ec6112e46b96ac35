// IP address text as people type it in a filter. Verdicts carry RFC 5952 text (see
// decode/address.ts); a typed address is parsed to words and written back the same way, so `host`
// compares strings, and `net` compares words.

import { formatAddress } from '../decode/index.js';

export interface ParsedAddress {
  family: 4 | 6;
  /** v4: words[0]; v6: four big-endian words. */
  words: Uint32Array;
}

function parseIpv4Word(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let word = 0;
  for (const p of parts) {
    // Leading zeros are refused: inet_aton would read 010 as octal, which nobody means.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    word = word * 256 + n;
  }
  return word >>> 0;
}

function parseIpv6Words(text: string): Uint32Array | null {
  let head = text;
  let tailV4: number | null = null;
  const lastColon = text.lastIndexOf(':');
  if (lastColon >= 0 && text.indexOf('.', lastColon) > 0) {
    tailV4 = parseIpv4Word(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = groupsOf(halves[0]);
  const right = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (left === null || right === null) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return null;
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  if (tailV4 !== null) words[3] = tailV4;
  return words;
}

/** Parses "10.0.0.1", "fd00::1", "[fd00::1]", "::ffff:10.0.0.1"; null when it is not an address. */
export function parseAddress(text: string): ParsedAddress | null {
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  if (t.includes(':')) {
    // A zone (fe80::1%eth0) names an interface, which a capture's addresses do not carry.
    const words = parseIpv6Words(t);
    return words === null ? null : { family: 6, words };
  }
  const w = parseIpv4Word(t);
  return w === null ? null : { family: 4, words: Uint32Array.of(w, 0, 0, 0) };
}

/** The RFC 5952 text verdicts use for this address. */
export function canonicalAddress(a: ParsedAddress): string {
  return formatAddress(a.family, a.words);
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for, else null. */
export function mappedIpv4(a: ParsedAddress): ParsedAddress | null {
  if (a.family !== 6 || a.words[0] !== 0 || a.words[1] !== 0 || a.words[2] !== 0x0000ffff) return null;
  return { family: 4, words: Uint32Array.of(a.words[3], 0, 0, 0) };
}

/** True when the first `bits` bits of a and b agree (same family). */
export function samePrefix(a: Uint32Array, b: Uint32Array, bits: number): boolean {
  let left = bits;
  for (let i = 0; i < 4 && left > 0; i++) {
    const take = Math.min(32, left);
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((a[i] ^ b[i]) & mask) >>> 0 !== 0) return false;
    left -= take;
  }
  return true;
}
