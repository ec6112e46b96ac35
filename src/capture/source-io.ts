// What the byte sources (file-source.ts, stream-source.ts) share: where the bytes go, the reader's
// options, and how operating-system errors become problem kinds.

import type { FrameWindow } from './frame-window.js';
import { ProblemKind, type ProblemKindName } from './problem-kinds.js';
import type { ReaderState } from './reader-state.js';
import type { CaptureInfo } from './types.js';

export interface SourceIo {
  state: ReaderState;
  window: FrameWindow;
  chunkSize: number;
  signal: AbortSignal | undefined;
  onProgress: ((info: CaptureInfo) => void) | undefined;
}

/** gzip's first two bytes (RFC 1952 section 2.3.1). */
export function isGzipMagic(buf: Buffer, at: number, end: number): boolean {
  return end - at >= 2 && buf[at] === 0x1f && buf[at + 1] === 0x8b;
}

/** Stops the file because the caller aborted; a warning, since what was read is still valid. */
export function noteAborted(io: SourceIo): void {
  const info = io.state.info;
  io.state.warn(ProblemKind.Aborted, 'reading was stopped before the end of the input', info.bytesRead, null);
}

const OPEN_ERROR_KINDS: Record<string, ProblemKindName> = {
  ENOENT: ProblemKind.NotFound,
  ENOTDIR: ProblemKind.NotFound,
  EACCES: ProblemKind.PermissionDenied,
  EPERM: ProblemKind.PermissionDenied,
  EISDIR: ProblemKind.IsDirectory,
};

const OPEN_ERROR_MESSAGES: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'no such file (a parent is not a directory)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a capture file',
};

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** Kind and message for a failed open/read, without the path (CaptureProblem.file has it). */
export function describeIoError(error: unknown): { kind: ProblemKindName; message: string } {
  const code = errorCode(error);
  const kind = OPEN_ERROR_KINDS[code] ?? ProblemKind.ReadError;
  const known = OPEN_ERROR_MESSAGES[code];
  if (known !== undefined) return { kind, message: known };
  const text = error instanceof Error ? error.message : String(error);
  return { kind, message: `read failed: ${text}` };
}
