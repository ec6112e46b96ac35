// The capture stage: bytes -> records. Reads classic pcap (us, ns and 'modified' magic, both byte
// orders) and pcapng (any number of sections, EPB / SPB / obsolete PB), plain or gzip, from a path,
// stdin ('-') or a stream, in bounded memory whatever the input size.
//
// readCapture never rejects because of the input. Whatever stops a file is returned as info.error,
// with everything read before it still counted in info; non-fatal findings go to info.warnings.
// Only exceptions thrown by the record handler (or onProgress) propagate: those are bugs.
//
// Problem kinds (CaptureProblem.kind). Offsets are in the uncompressed stream.
//
//   kind                  stops?   meaning
//   --------------------  -------  -----------------------------------------------------------------
//   not-found             error    no such file (ENOENT, ENOTDIR)
//   permission-denied     error    EACCES / EPERM on open
//   is-directory          error    the path (or standard input) is a directory
//   empty-file            error    zero bytes of input (after decompression)
//   not-a-capture         error    unknown magic at offset 0 (message names snoop/netmon/zip/...)
//   truncated-header      error    input ends inside the pcap file header or the first pcapng SHB
//   unsupported-version   error    pcap other than 2.0-2.4 / 543.0, or pcapng major version != 1
//   truncated-record      warning  input ends inside the last record / packet block (capture cut while
//                                  being written); every earlier packet is kept, info.error stays null
//   caplen-too-large      error    caplen above max(maxRecordLength, snaplen) (libpcap's check);
//                                  offset = the record header / block
//   caplen-exceeds-block  error    EPB/PB caplen larger than the room in its block
//   bad-block-length      error    pcapng block length not a multiple of 4, below the type's minimum,
//                                  above the 16 MiB cap, or (for non-packet blocks) past end of input
//   bad-block-trailer     error    pcapng trailing length differs from the leading one
//   bad-section-header    error    pcapng SHB byte-order magic is not 0x1A2B3C4D in either order
//   bad-interface-id      error    EPB/PB/SPB refers to an interface the section did not describe
//   bad-options           warning  malformed SHB/IDB option list; the options before it are used
//   gzip-error            error    damaged or truncated gzip data (up to 16 KiB decoded just before
//                                  the damage may be lost)
//   read-error            error    any other I/O error, or the input stream closed early
//   aborted               warning  options.signal was aborted; info holds what was read until then
//
// Timestamps without a time: pcapng Simple Packet Blocks carry no timestamp, so such a packet keeps
// the timestamp of the packet before it (0 for a first packet).

import { fstatSync } from 'node:fs';
import { FormatSniffer } from './format-sniffer.js';
import { FrameWindow } from './frame-window.js';
import { readFile, readStdinFile } from './file-source.js';
import { ProblemKind } from './problem-kinds.js';
import { DEFAULT_MAX_RECORD_LENGTH, ReaderState } from './reader-state.js';
import type { SourceIo } from './source-io.js';
import { readStream } from './stream-source.js';
import type { CaptureInfo, ReadOptions, RecordHandler } from './types.js';

export { sanitizeText } from './sanitize.js';
export { ProblemKind, type ProblemKindName } from './problem-kinds.js';
export {
  CaptureError,
  type CaptureFormat,
  type CaptureInfo,
  type CaptureProblem,
  type CaptureRecord,
  type InterfaceInfo,
  type ReadOptions,
  type RecordHandler,
} from './types.js';

/** 1 MiB: large enough that per-read overhead vanishes, small enough to stay in cache. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/**
 * Reads one capture and calls `onRecord` for every packet record, in file order. The record object
 * is reused: copy what you keep. `source` is a path, '-' for stdin, or a readable stream (which is
 * paused, not destroyed, if reading stops before its end).
 */
export async function readCapture(
  source: string | NodeJS.ReadableStream,
  onRecord: RecordHandler,
  options: ReadOptions & { signal?: AbortSignal },
): Promise<CaptureInfo> {
  const chunkSize = positiveInteger(options.chunkSize, DEFAULT_CHUNK_SIZE);
  const maxRecordLength = positiveInteger(options.maxRecordLength, DEFAULT_MAX_RECORD_LENGTH);
  const file = options.file ?? (typeof source === 'string' ? source : '-');
  const state = new ReaderState(file, onRecord, maxRecordLength);
  const io: SourceIo = {
    state,
    window: new FrameWindow(new FormatSniffer(state), state),
    chunkSize,
    signal: options.signal,
    onProgress: options.onProgress,
  };
  const stdin = source === '-' ? stdinKind() : null;
  if (typeof source === 'string' && source !== '-') await readFile(source, io);
  else if (stdin === 'directory') state.fail(ProblemKind.IsDirectory, 'standard input is a directory, not a capture file', 0, null);
  else if (stdin === 'file') await readStdinFile(io);
  else await readStream(source === '-' ? process.stdin : source, io, false, null, options.reread ?? null);
  return state.info;
}

/**
 * What standard input is: a directory (`finscope report - < dir`, whose reads end at once, which
 * would look like an empty input), a regular file (read like a path), or anything else (a pipe,
 * a terminal, a socket: a stream).
 */
function stdinKind(): 'directory' | 'file' | 'other' {
  try {
    const stats = fstatSync(0);
    return stats.isDirectory() ? 'directory' : stats.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

function positiveInteger(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}
