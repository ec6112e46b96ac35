// 32-bit sequence arithmetic. Relative numbers are kept as plain (53-bit safe) integers so that a
// transfer longer than 4 GiB keeps counting up instead of wrapping.

const TWO_32 = 4294967296;
const TWO_31 = 2147483648;

/** The 32-bit distance from base to seq, as an unsigned number. */
export function rel32(seq: number, base: number): number {
  return (seq - base) >>> 0;
}

/**
 * Places a 32-bit relative value in the unwrapped space nearest to `reference` (RFC 9293 3.4:
 * sequence comparisons are modulo 2^32, so the nearest candidate is the meant one).
 */
export function unwrap(value32: number, reference: number): number {
  let v = value32 + Math.floor(reference / TWO_32) * TWO_32;
  if (v - reference > TWO_31) v -= TWO_32;
  else if (reference - v > TWO_31) v += TWO_32;
  return v;
}

/** Absolute distance between two raw 32-bit sequence numbers, modulo 2^32. */
export function seqDistance(a: number, b: number): number {
  const d = (a - b) >>> 0;
  return d > TWO_31 ? TWO_32 - d : d;
}
