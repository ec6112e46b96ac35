// Test glue for the capture tests: run readCapture and copy every record out of the reused object,
// and write bytes to throw-away files.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, type CaptureInfo, type CaptureRecord, type ReadOptions } from '../../src/capture/index.js';

export interface CopiedRecord {
  packetNumber: number;
  fileOffset: number;
  linkType: number;
  interfaceId: number;
  interfaceIndex: number | undefined;
  tsSec: number;
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  /** The packet bytes, as hex so deepStrictEqual diffs are readable. */
  data: string;
}

export interface Collected {
  info: CaptureInfo;
  records: CopiedRecord[];
}

export function copyRecord(r: CaptureRecord): CopiedRecord {
  return {
    packetNumber: r.packetNumber,
    fileOffset: r.fileOffset,
    linkType: r.linkType,
    interfaceId: r.interfaceId,
    interfaceIndex: r.interfaceIndex,
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    capturedLength: r.capturedLength,
    originalLength: r.originalLength,
    data: r.data.toString('hex', r.offset, r.offset + r.capturedLength),
  };
}

export async function collect(
  source: string | NodeJS.ReadableStream,
  options: Partial<ReadOptions> & { signal?: AbortSignal } = {},
): Promise<Collected> {
  const records: CopiedRecord[] = [];
  const file = options.file ?? (typeof source === 'string' ? source : 'stream');
  const info = await readCapture(source, (r) => {
    if (r.offset < 0 || r.offset + r.capturedLength > r.data.length) {
      throw new Error(`record ${r.packetNumber} points outside its buffer`);
    }
    records.push(copyRecord(r));
  }, { ...options, file });
  return { info, records };
}

let directory: string | null = null;

/** Writes bytes to a fresh file in a per-process temporary directory and returns its path. */
export function tempFile(name: string, bytes: Uint8Array): string {
  if (directory === null) {
    const dir = mkdtempSync(join(tmpdir(), 'finscope-capture-'));
    directory = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const path = join(directory, name);
  writeFileSync(path, bytes);
  return path;
}

/** A temporary directory (for the is-directory test). */
export function tempDirectory(): string {
  tempFile('.keep', new Uint8Array(0));
  return directory!;
}
