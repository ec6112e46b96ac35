// pcapng timestamps are one 64-bit count of units since the epoch, split into two 32-bit words
// (draft-ietf-opsawg-pcapng section 4.3), with units of 10^-n or 2^-n seconds (if_tsresol, 4.2).
// Nanosecond timestamps of today are around 1.7e18, far above 2^53, so `high * 2^32 + low` as a
// double would lose the last digits. We divide in pieces small enough to stay exact instead, and
// use BigInt only for resolutions finer than 2^-32 s that no real capture uses. BigInt per packet
// was measured at about 4x the cost of the split arithmetic below.

import type { CaptureRecord } from './types.js';

const TWO_POW_32 = 4294967296;
/** Below this high word, high * 2^32 + low < 2^52 and one double division is exact enough. */
const SMALL_HIGH_WORD = 0x100000;

export interface TimestampScale {
  /** Units per second (10^n or 2^n); may be inexact for absurd n, see unitsExact. */
  unitsPerSecond: number;
  /** 1 / unitsPerSecond: multiplying is several times faster than dividing; results are fixed up. */
  inverse: number;
  unitsExact: bigint;
  /** Units up to 2^32: the split division below is exact. Above: BigInt. */
  splitDivision: boolean;
  /** 1e9 / units when that is a whole number (us, ns, ms...), else 0. */
  nsPerUnit: number;
  /** rem * 1e9 stays below 2^53 for every remainder, so nanoseconds need no BigInt. */
  nsExactInDouble: boolean;
  /** if_tsoffset: seconds added to every timestamp. */
  offsetSeconds: number;
}

/** The scale for an if_tsresol byte: MSB clear = 10^-n, MSB set = 2^-n (section 4.2). */
export function scaleFromTsresol(tsresol: number, offsetSeconds = 0): TimestampScale {
  const exponent = tsresol & 0x7f;
  const unitsExact = (tsresol & 0x80) === 0 ? 10n ** BigInt(exponent) : 1n << BigInt(exponent);
  const unitsPerSecond = Number(unitsExact);
  const wholeNs = unitsExact <= 1_000_000_000n && 1_000_000_000n % unitsExact === 0n;
  return {
    unitsPerSecond,
    inverse: 1 / unitsPerSecond,
    unitsExact,
    splitDivision: unitsExact <= BigInt(TWO_POW_32),
    nsPerUnit: wholeNs ? Number(1_000_000_000n / unitsExact) : 0,
    nsExactInDouble: unitsPerSecond * 1e9 < 2 ** 53,
    offsetSeconds,
  };
}

/** The default when an IDB has no if_tsresol: microseconds. */
export const MICROSECONDS = scaleFromTsresol(6);

/** Sets record.tsSec / tsNsec from a 64-bit timestamp (high and low 32-bit words). */
export function setTimestamp(record: CaptureRecord, high: number, low: number, scale: TimestampScale): void {
  if (!scale.splitDivision) {
    setTimestampBigInt(record, high, low, scale);
    return;
  }
  const units = scale.unitsPerSecond;
  const inverse = scale.inverse;
  let seconds: number;
  let remainder: number;
  if (high < SMALL_HIGH_WORD) {
    // The whole timestamp is below 2^52: exact as a double.
    const ts = high * TWO_POW_32 + low;
    seconds = Math.floor(ts * inverse);
    remainder = ts - seconds * units;
    if (remainder < 0) {
      seconds -= 1;
      remainder += units;
    } else if (remainder >= units) {
      seconds += 1;
      remainder -= units;
    }
  } else {
    // Long division of high:low by units in digits of 32, 20 and 12 bits. Every dividend stays
    // below units * 2^20 <= 2^52, so products and differences are exact; the quotient estimate from
    // the reciprocal is off by at most one, which the remainder check repairs.
    let q1 = 0;
    let r = high;
    if (high >= units) {
      q1 = Math.floor(high / units);
      r = high - q1 * units;
    }
    let current = r * 1048576 + (low >>> 12);
    let q2 = Math.floor(current * inverse);
    r = current - q2 * units;
    if (r < 0) {
      q2 -= 1;
      r += units;
    } else if (r >= units) {
      q2 += 1;
      r -= units;
    }
    current = r * 4096 + (low & 0xfff);
    let q3 = Math.floor(current * inverse);
    remainder = current - q3 * units;
    if (remainder < 0) {
      q3 -= 1;
      remainder += units;
    } else if (remainder >= units) {
      q3 += 1;
      remainder -= units;
    }
    seconds = q1 * TWO_POW_32 + q2 * 4096 + q3;
  }
  record.tsSec = seconds + scale.offsetSeconds;
  if (scale.nsPerUnit !== 0) record.tsNsec = remainder * scale.nsPerUnit;
  else if (scale.nsExactInDouble) record.tsNsec = Math.floor((remainder * 1e9) / units);
  else record.tsNsec = Number((BigInt(remainder) * 1_000_000_000n) / scale.unitsExact);
}

function setTimestampBigInt(record: CaptureRecord, high: number, low: number, scale: TimestampScale): void {
  const ts = (BigInt(high) << 32n) | BigInt(low);
  const units = scale.unitsExact;
  record.tsSec = Number(ts / units) + scale.offsetSeconds;
  record.tsNsec = Number(((ts % units) * 1_000_000_000n) / units);
}
