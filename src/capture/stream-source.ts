// Streams (stdin, a caller's Readable, a gzip file) are consumed with 'data' events and framed
// synchronously inside the handler: the stream cannot outrun us, and nothing is buffered by an async
// iterator that a destroy() would throw away. gzip is recognised by its magic and decoded with
// zlib's Gunzip, which also reads multi-member files (`cat a.gz b.gz`, pigz, rotated logs).

import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { ProblemKind } from './problem-kinds.js';
import { errorCode, isGzipMagic, noteAborted, type SourceIo } from './source-io.js';

/**
 * Gunzip's output chunk size. Each chunk costs a round trip to zlib's thread and a new buffer:
 * 64 KiB chunks read the 3 M-packet loopback capture gzipped in 7.4-7.6 s against 7.8-8.0 s with
 * 16 KiB (about 6.5 s plain), alternately in the same minutes; 1 MiB chunks were slower again
 * (7.97 s), decoding less ahead.
 */
const GUNZIP_CHUNK = 64 * 1024;

/**
 * When zlib meets damage it drops the output chunk it was filling (measured: 1 MiB chunks lost up
 * to 900 KiB of good data before a bad CRC; a capture smaller than a chunk is lost whole). A file
 * that can be read again is then decoded a second time in chunks this small, its bytes already
 * framed skipped, so that at most 16 KiB of good data is lost; a stream that cannot (stdin, a FIFO)
 * loses at most one GUNZIP_CHUNK. The second decoding frames at most one GUNZIP_CHUNK (all the
 * first could have dropped) and then reports the first one's problem, even if the file has grown
 * or changed since. It costs a second decompression, only for a damaged file: the 3 M-packet
 * capture gzipped with a bad CRC took 12.0 s against 9.2 s without it (4 KiB chunks: 14.5 s).
 */
const RECOVERY_CHUNK = 16 * 1024;

// Decoded gzip chunks are framed on the next turn of the event loop, not in zlib's 'data' handler:
// zlib starts inflating the next chunk (on a libuv thread) only once that handler returns, so
// framing and analysing inside it left decompression and analysis taking turns on one core.
// Deferred, the next chunk is inflated while this one is analysed. zlib delivers at most one chunk
// per turn and each turn frames all that wait, so the queue stays a chunk or two long. Measured on
// the 3 M-packet loopback capture gzipped (77 MB): the whole JSON report 10.4 s -> 8.2-8.5 s
// (6.5-6.7 s uncompressed).

/**
 * Reads `raw` to its end, a problem, or an abort. `owned`: we created the stream and destroy it
 * when done; a caller's stream is only paused. `prefix`: bytes the caller already read from it.
 * `reread`: the same bytes again from the start, as a new owned stream (a regular file), for
 * gzip damage (RECOVERY_CHUNK).
 * Rejects only with an exception thrown by the record handler or onProgress.
 */
export function readStream(
  raw: NodeJS.ReadableStream, io: SourceIo, owned: boolean, prefix: Buffer | null,
  reread: (() => NodeJS.ReadableStream) | null = null,
): Promise<void> {
  const { state, window, signal } = io;
  const info = state.info;
  return new Promise<void>((resolve, reject) => {
    let mode: 'sniff' | 'plain' | 'gzip' = 'sniff';
    let sniffed: Buffer[] = prefix !== null ? [prefix] : [];
    let sniffedLength = prefix?.length ?? 0;
    let gunzip: Gunzip | null = null;
    let rawEnded = false;
    let settled = false;
    let lastProgressSourceBytes = -1;

    /** Whether the file is being decoded a second time, after damage (RECOVERY_CHUNK). */
    let recovering = false;
    /** Decoded bytes still to skip on the second decoding: those framed the first time. */
    let skip = 0;
    /** Decoded bytes the second decoding may still frame past those, and the first one's error. */
    let recoverable = 0;
    let firstError: Error | null = null;

    const detachRaw = (): void => {
      raw.removeListener('data', onRawData);
      raw.removeListener('end', onRawEnd);
      raw.removeListener('error', onRawError);
      raw.removeListener('close', onRawClose);
    };

    /** Lets go of the raw stream: ours is destroyed, a caller's only paused. */
    const releaseRaw = (): void => {
      detachRaw();
      if (owned) {
        raw.on('error', () => {});
        (raw as Readable).destroy();
      } else {
        raw.pause();
      }
    };

    const dropDecoder = (): void => {
      if (gunzip === null) return;
      gunzip.removeAllListeners();
      gunzip.on('error', () => {}); // late errors of a stream we abandoned are of no interest
      gunzip.destroy();
      gunzip = null;
    };

    const settle = (thrown?: { error: unknown }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      dropDecoder();
      releaseRaw();
      if (thrown !== undefined) reject(thrown.error);
      else resolve();
    };

    // gzip only: decoded chunks not yet framed, and whether the decoder has ended.
    let pending: Buffer[] = [];
    let drainScheduled = false;
    let decodedEnded = false;

    /** Frames decoded bytes; exceptions here come from the record handler and must propagate. */
    const deliver = (chunk: Buffer): void => {
      if (settled) return;
      try {
        window.push(chunk);
        if (info.sourceBytesRead !== lastProgressSourceBytes) {
          lastProgressSourceBytes = info.sourceBytesRead;
          io.onProgress?.(info);
        }
      } catch (error) {
        settle({ error });
        return;
      }
      if (state.stopped) settle();
    };

    const endOfInput = (): void => {
      if (settled) return;
      try {
        window.finish();
      } catch (error) {
        settle({ error });
        return;
      }
      settle();
    };

    /** Frames the pending chunks now: before a problem is noted, nothing decoded is lost. */
    const deliverPending = (): void => {
      const chunks = pending;
      pending = [];
      for (let i = 0; i < chunks.length && !settled; i++) deliver(chunks[i]);
    };

    const drainPending = (): void => {
      drainScheduled = false;
      deliverPending();
      if (!settled && decodedEnded) endOfInput();
    };

    const scheduleDrain = (): void => {
      if (drainScheduled) return;
      drainScheduled = true;
      setImmediate(drainPending);
    };

    const onDecoded = (chunk: Buffer): void => {
      if (settled) return;
      if (recovering) {
        if (chunk.length <= skip) {
          skip -= chunk.length;
          return;
        }
        chunk = chunk.subarray(skip, skip + recoverable);
        skip = 0;
        recoverable -= chunk.length;
        if (recoverable === 0) {
          pending.push(chunk);
          onGzipError(firstError!);
          return;
        }
      }
      pending.push(chunk);
      scheduleDrain();
    };

    const onGzipError = (error: Error): void => {
      deliverPending();
      if (settled) return;
      if (reread !== null && !recovering) {
        decodeAgain(error);
        return;
      }
      const code = errorCode(error);
      const message = code === 'Z_BUF_ERROR'
        ? 'compressed data ends early (truncated gzip file)'
        : `gzip data is damaged: ${error.message}`;
      // The offset is in the decompressed stream: where the good data ran out.
      state.fail(ProblemKind.GzipError, message, window.received, info.packets + 1);
      settle();
    };

    const startGunzip = (chunkSize: number): Gunzip => {
      const decoder = createGunzip({ chunkSize });
      gunzip = decoder;
      decodedEnded = false;
      decoder.on('data', onDecoded);
      decoder.on('end', () => {
        // The second decoding ended cleanly: the file has changed since; its first problem stands.
        if (recovering) {
          onGzipError(firstError!);
          return;
        }
        decodedEnded = true;
        scheduleDrain();
      });
      decoder.on('error', onGzipError);
      decoder.on('drain', () => raw.resume());
      return decoder;
    };

    /** The file from its start again, in small chunks, past the bytes framed already. */
    const decodeAgain = (error: Error): void => {
      recovering = true;
      firstError = error;
      skip = window.received;
      recoverable = GUNZIP_CHUNK;
      dropDecoder();
      releaseRaw();
      raw = reread!();
      owned = true;
      rawEnded = false;
      startGunzip(RECOVERY_CHUNK);
      attachRaw();
    };

    const startDecoding = (): void => {
      const head = Buffer.concat(sniffed);
      sniffed = [];
      if (isGzipMagic(head, 0, head.length)) {
        mode = 'gzip';
        info.compression = 'gzip';
        if (!startGunzip(GUNZIP_CHUNK).write(head)) raw.pause();
      } else {
        mode = 'plain';
        deliver(head);
      }
    };

    function onRawData(data: Buffer | string): void {
      if (settled) return;
      const chunk = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
      if (!recovering) info.sourceBytesRead += chunk.length;
      if (mode === 'plain') {
        deliver(chunk);
      } else if (mode === 'gzip') {
        if (!gunzip!.write(chunk)) raw.pause();
      } else {
        sniffed.push(chunk);
        sniffedLength += chunk.length;
        if (sniffedLength >= 2) startDecoding();
      }
    }

    function onRawEnd(): void {
      rawEnded = true;
      if (settled) return;
      if (mode === 'sniff') startDecoding();
      if (settled) return;
      if (mode === 'gzip') gunzip!.end();
      else endOfInput();
    }

    function onRawError(error: Error): void {
      deliverPending();
      if (settled) return;
      // The file could not be read again: the problem is still the damage the first reading met.
      if (recovering) {
        onGzipError(firstError!);
        return;
      }
      const code = errorCode(error);
      state.fail(ProblemKind.ReadError, `read failed: ${code !== 'UNKNOWN' ? code + ' ' : ''}${error.message}`,
        window.received, info.packets + 1);
      settle();
    }

    /** A stream destroyed without 'end' or 'error' would otherwise leave us waiting forever. */
    function onRawClose(): void {
      if (settled || rawEnded) return;
      deliverPending();
      if (settled) return;
      if (recovering) {
        onGzipError(firstError!);
        return;
      }
      state.fail(ProblemKind.ReadError, 'the input stream closed before its end', window.received, info.packets + 1);
      settle();
    }

    function onAbort(): void {
      if (settled) return;
      noteAborted(io);
      settle();
    }

    if (signal?.aborted) {
      noteAborted(io);
      resolve();
      return;
    }
    function attachRaw(): void {
      raw.on('data', onRawData);
      raw.on('end', onRawEnd);
      raw.on('error', onRawError);
      raw.on('close', onRawClose);
      raw.resume();
    }

    signal?.addEventListener('abort', onAbort);
    attachRaw();
    // Bytes already read by the caller (file-source's sniffing) go first.
    if (sniffedLength >= 2) startDecoding();
  });
}
