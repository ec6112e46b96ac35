// What every part of one readCapture call shares: the info being filled in, the one record object
// that is overwritten per packet, the consumer's callback and the limits. Framers and byte sources
// report problems through it so that every problem carries the same file name.

import type { CaptureInfo, CaptureProblem, CaptureRecord, RecordHandler } from './types.js';
import type { ProblemKindName } from './problem-kinds.js';

/** libpcap's MAXIMUM_SNAPLEN: the largest caplen it accepts for ordinary link types. */
export const DEFAULT_MAX_RECORD_LENGTH = 262_144;

/**
 * A header's snaplen may raise the caplen limit above maxRecordLength (libpcap accepts caplen up to
 * the larger of the two), but only this far: libpcap's largest per-link-type maximum is 128 MiB
 * (MAXIMUM_SNAPLEN_DBUS), and fuzzed headers with snaplen 0xffffffff must not make us buffer
 * gigabytes waiting for a record that is really garbage.
 */
export const SNAPLEN_CEILING = 128 * 1024 * 1024;

export function emptyCaptureInfo(file: string): CaptureInfo {
  return {
    file,
    format: null,
    compression: null,
    timestampPrecision: null,
    byteOrder: null,
    sections: 0,
    interfaces: [],
    linkTypes: [],
    packets: 0,
    bytesRead: 0,
    sourceBytesRead: 0,
    comments: [],
    warnings: [],
    error: null,
  };
}

/** The record object, created once with every field so its hidden class never changes. */
export function emptyCaptureRecord(): CaptureRecord {
  return {
    packetNumber: 0,
    fileOffset: 0,
    linkType: 0,
    interfaceId: 0,
    tsSec: 0,
    tsNsec: 0,
    capturedLength: 0,
    originalLength: 0,
    data: Buffer.alloc(0),
    offset: 0,
    interfaceIndex: 0,
    interfaceCount: 1,
  };
}

export class ReaderState {
  readonly info: CaptureInfo;
  readonly record: CaptureRecord = emptyCaptureRecord();

  constructor(
    file: string,
    readonly onRecord: RecordHandler,
    readonly maxRecordLength: number,
  ) {
    this.info = emptyCaptureInfo(file);
  }

  /** True once a problem stopped the file: framers and sources check it after every chunk. */
  get stopped(): boolean {
    return this.info.error !== null;
  }

  /** Records the problem that stops the file. The first one wins: later ones are consequences. */
  fail(kind: ProblemKindName, message: string, offset: number, packetNumber: number | null): void {
    if (this.info.error === null) this.info.error = this.problem(kind, message, offset, packetNumber);
  }

  warn(kind: ProblemKindName, message: string, offset: number, packetNumber: number | null): void {
    this.info.warnings.push(this.problem(kind, message, offset, packetNumber));
  }

  /** Largest caplen accepted for an interface with this snaplen (see SNAPLEN_CEILING). */
  caplenLimit(snaplen: number): number {
    return Math.max(this.maxRecordLength, Math.min(snaplen, SNAPLEN_CEILING));
  }

  addLinkType(linkType: number): void {
    if (!this.info.linkTypes.includes(linkType)) this.info.linkTypes.push(linkType);
  }

  private problem(kind: ProblemKindName, message: string, offset: number, packetNumber: number | null): CaptureProblem {
    return { kind, message, file: this.info.file, offset, packetNumber };
  }
}
