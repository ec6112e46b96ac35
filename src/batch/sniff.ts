// Recognises captures by their first bytes, not their names: archives hold `*.pcap0`, `trace.1`,
// `dump-2024-05-01` and `.cap` files alike, next to READMEs and checksums.

import { open } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';

/** pcap (us, ns, modified; both byte orders) and the pcapng Section Header Block type. */
const CAPTURE_MAGICS = new Set([
  0xa1b2c3d4, 0xd4c3b2a1, // microsecond
  0xa1b23c4d, 0x4d3cb2a1, // nanosecond
  0xa1b2cd34, 0x34cdb2a1, // Kuznetzov's modified pcap
  0x0a0d0d0a, // pcapng SHB
]);

export type Sniffed =
  | { kind: 'capture'; gzip: boolean }
  /** A gzip whose start does not inflate: let the reader say what is wrong (it is an input). */
  | { kind: 'damaged-gzip' }
  | { kind: 'not-a-capture'; gzip: boolean }
  | { kind: 'empty'; gzip: boolean };

/** Compressed bytes looked at for a gzip: enough for any sane gzip header and a first block. */
const GZIP_HEAD = 64 * 1024;

export function isCaptureMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  return CAPTURE_MAGICS.has(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0);
}

/** Sniffs a regular file. Throws only the error of opening or reading it (the caller reports it). */
export async function sniffFile(path: string): Promise<Sniffed> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(GZIP_HEAD);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(head, got, head.length - got, null);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got >= 4 && !(head[0] === 0x1f && head[1] === 0x8b)) break;
      if (got === head.length) break;
    }
    const bytes = head.subarray(0, got);
    if (got === 0) return { kind: 'empty', gzip: false };
    if (got >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return sniffGzip(bytes, got < GZIP_HEAD);
    return isCaptureMagic(bytes) ? { kind: 'capture', gzip: false } : { kind: 'not-a-capture', gzip: false };
  } finally {
    await handle.close();
  }
}

function sniffGzip(bytes: Buffer, wholeFile: boolean): Sniffed {
  // Inflate a growing prefix with a sync flush (no need for the stream's end). Deflate expands at
  // most about 1032:1, so each step's output is bounded by its input: no bomb gets through.
  for (const size of [1024, 16 * 1024, GZIP_HEAD]) {
    const part = bytes.subarray(0, size);
    let inner: Buffer;
    try {
      inner = gunzipSync(part, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: part.length * 1100 + 1024 });
    } catch {
      return { kind: 'damaged-gzip' };
    }
    if (inner.length >= 4) return isCaptureMagic(inner) ? { kind: 'capture', gzip: true } : { kind: 'not-a-capture', gzip: true };
    if (part.length === bytes.length) {
      if (inner.length === 0 && wholeFile) return { kind: 'empty', gzip: true };
      // A few bytes only: a file cut short, or a header with a huge name field. The reader decides.
      return wholeFile ? { kind: 'not-a-capture', gzip: true } : { kind: 'damaged-gzip' };
    }
  }
  return { kind: 'damaged-gzip' };
}
