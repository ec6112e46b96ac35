// pcapng timestamps are one 64-bit count of units since the epoch, split into two 32-bit words
// (draft-ietf-opsawg-pcapng section 4.3), with units of 10^-n or 2^-n seconds (if_tsresol, 4.2).
// Nanosecond timestamps of today are around 1.7e18, far above 2^53, so `high * 2^32 + low` as a
// double would lose the last digits. We divide in pieces small enough to stay exact instead, and
// use BigInt only for resolutions finer than 2^-32 s that no real capture uses.

import type { CaptureRecord } from './types.js';

const TWO_POW_32 = 4294967296;
/** Below this high word, high * 2^32 + low < 2^52 and one double division is exact enough. */
const SMALL_HIGH_WORD = 0x100000;

export interface TimestampScale {
  /** Units per second (10^n or 2^n); may be inexact for absurd n, see unitsExact. */
  unitsPerSecond: number;
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
  let seconds: number;
  let remainder: number;
  if (high < SMALL_HIGH_WORD) {
    const ts = high * TWO_POW_32 + low;
    seconds = Math.floor(ts / units);
    remainder = ts - seconds * units;
    // The double quotient can round across an integer; one step corrects it.
    if (remainder < 0) {
      seconds -= 1;
      remainder += units;
    } else if (remainder >= units) {
      seconds += 1;
      remainder -= units;
    }
  } else {
    // Long division in base 2^16: every intermediate is below units * 2^16 <= 2^48, so exact.
    const q1 = Math.floor(high / units);
    let r = high - q1 * units;
    let current = r * 65536 + (low >>> 16);
    const q2 = Math.floor(current / units);
    r = current - q2 * units;
    current = r * 65536 + (low & 0xffff);
    const q3 = Math.floor(current / units);
    remainder = current - q3 * units;
    seconds = q1 * TWO_POW_32 + q2 * 65536 + q3;
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
