// Plain files are read with positionless FileHandle.read calls straight into the frame window: no
// stream machinery and no copies on the fast path. A gzip file is handed to the stream path
// (zlib is a stream), carrying the bytes already read so that FIFOs, which cannot seek back, work.

import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ProblemKind } from './problem-kinds.js';
import { describeIoError, isGzipMagic, noteAborted, type SourceIo } from './source-io.js';
import { readStream } from './stream-source.js';

export async function readFile(path: string, io: SourceIo): Promise<void> {
  const { state } = io;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const { kind, message } = describeIoError(error);
    state.fail(kind, message, 0, null);
    return;
  }
  try {
    // On Linux open(2) of a directory succeeds for reading; only read(2) says EISDIR. Ask first.
    const stats = await handle.stat();
    if (stats.isDirectory()) {
      state.fail(ProblemKind.IsDirectory, 'is a directory, not a capture file', 0, null);
      return;
    }
    await readHandle(handle, io);
  } finally {
    await handle.close();
  }
}

async function readHandle(handle: FileHandle, io: SourceIo): Promise<void> {
  const { state, window, chunkSize, signal } = io;
  const info = state.info;
  // Bytes read but not committed yet, while we still need 2 to tell gzip from the rest.
  let sniffing = true;
  let pending = 0;
  for (;;) {
    if (signal?.aborted) {
      noteAborted(io);
      return;
    }
    const buf = window.reserve(pending + chunkSize);
    const at = window.writeOffset;
    let count: number;
    try {
      ({ bytesRead: count } = await handle.read(buf, at + pending, chunkSize, null));
    } catch (error) {
      const { kind, message } = describeIoError(error);
      state.fail(kind, message, window.received + pending, info.packets + 1);
      return;
    }
    info.sourceBytesRead += count;
    if (sniffing) {
      pending += count;
      if (pending < 2 && count > 0) continue;
      sniffing = false;
      if (isGzipMagic(buf, at, at + pending)) {
        const prefix = Buffer.from(buf.subarray(at, at + pending));
        const raw = handle.createReadStream({ highWaterMark: chunkSize, autoClose: false });
        await readStream(raw as unknown as Readable, io, true, prefix);
        return;
      }
      count = pending;
      pending = 0;
    }
    if (count === 0) {
      window.finish();
      return;
    }
    window.commit(count);
    io.onProgress?.(info);
    if (state.stopped) return;
  }
}
