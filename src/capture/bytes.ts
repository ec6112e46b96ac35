// Unsigned integer loads for the framing loops. Buffer.readUInt32LE validates its offset argument
// on every call, which measured as a quarter of the pcap framing time; plain typed-array loads are
// inlined by V8. Callers guarantee the bytes are inside the buffer (they check lengths first).

export function u32le(buf: Buffer, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

export function u32be(buf: Buffer, at: number): number {
  return ((buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3]) >>> 0;
}

export function u32(buf: Buffer, at: number, littleEndian: boolean): number {
  return littleEndian ? u32le(buf, at) : u32be(buf, at);
}

export function u16(buf: Buffer, at: number, littleEndian: boolean): number {
  return littleEndian ? buf[at] | (buf[at + 1] << 8) : (buf[at] << 8) | buf[at + 1];
}
