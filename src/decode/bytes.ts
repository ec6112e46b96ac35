// Big-endian reads straight off the record buffer. Buffer#readUInt16BE would also work, but it
// bounds-checks again and throws on failure; every caller here has already checked the bounds
// against the captured end, so plain index arithmetic is both faster and cannot throw.

/** Unsigned 16-bit big-endian value at `i`. Caller guarantees i + 2 <= captured end. */
export function u16(data: Buffer, i: number): number {
  return (data[i] << 8) | data[i + 1];
}

/** Unsigned 32-bit big-endian value at `i` (`>>> 0` keeps it positive, e.g. TCP seq/ack). */
export function u32(data: Buffer, i: number): number {
  return ((data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3]) >>> 0;
}
