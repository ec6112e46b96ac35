// The capture stage turns bytes into records. It knows framing (pcap, pcapng, gzip) and nothing
// about protocols. One CaptureRecord object is allocated per reader and overwritten for every
// record: consumers must copy what they keep before returning from the callback.

/** One framed packet. Overwritten in place for every record; never keep a reference to it. */
export interface CaptureRecord {
  /** 1-based packet number within the file, counting every packet record (EPB, SPB, PB, pcap). */
  packetNumber: number;
  /** Byte offset of the record (pcap record header or pcapng block) in the uncompressed stream. */
  fileOffset: number;
  /** Link-layer header type (LINKTYPE_* value) of the interface the packet was captured on. */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /** Whole seconds since the Unix epoch (if_tsoffset applied). */
  tsSec: number;
  /** Fraction of the second in nanoseconds, 0..999_999_999 (exact for us and ns files). */
  tsNsec: number;
  /** Bytes of packet data present in the file (caplen). */
  capturedLength: number;
  /** Length of the packet on the wire (len); >= capturedLength for sane files. */
  originalLength: number;
  /** Buffer holding the packet data; valid only during the callback. */
  data: Buffer;
  /** Offset of the first packet byte in `data`. */
  offset: number;
  /**
   * Index into CaptureInfo.interfaces of the interface this packet came from. pcapng interface ids
   * restart in every section, so `interfaceId` alone is ambiguous in multi-section files; this is not.
   */
  interfaceIndex?: number;
  /**
   * Interfaces the file has described so far (1 for classic pcap). Above 1, the same packet may
   * be in the file once per interface, and the file may not be in time order.
   */
  interfaceCount?: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/** A problem found while reading, with where it happened. */
export interface CaptureProblem {
  /** Stable machine-readable kind, e.g. 'truncated-record', 'bad-block-length', 'caplen-too-large'. */
  kind: string;
  /** Human readable, one line, no file name (the file is in `file`). */
  message: string;
  file: string;
  /** Byte offset in the uncompressed stream where the problem starts. */
  offset: number;
  /** Number of the packet concerned, or of the last good packet + 1; null when not about a packet. */
  packetNumber: number | null;
}

/** Thrown (or returned) for damage that stops a file. Carries its place. */
export class CaptureError extends Error {
  readonly kind: string;
  readonly file: string;
  readonly offset: number;
  readonly packetNumber: number | null;
  constructor(problem: CaptureProblem) {
    super(`${problem.file}: ${problem.message} (byte offset ${problem.offset}` +
      (problem.packetNumber !== null ? `, packet ${problem.packetNumber})` : ')'));
    this.name = 'CaptureError';
    this.kind = problem.kind;
    this.file = problem.file;
    this.offset = problem.offset;
    this.packetNumber = problem.packetNumber;
  }
  toProblem(): CaptureProblem {
    return { kind: this.kind, message: this.message, file: this.file, offset: this.offset, packetNumber: this.packetNumber };
  }
}

export interface InterfaceInfo {
  linkType: number;
  snaplen: number;
  /** Sanitised (control characters removed) if_name, or null. */
  name: string | null;
  /** Sanitised if_description, or null. */
  description: string | null;
  /** Timestamp units per second (1e6 default; 1e9 for nanosecond files). */
  tsUnitsPerSecond: number;
  /** if_tsoffset in seconds. */
  tsOffsetSeconds: number;
  /**
   * Bytes of frame check sequence at the end of every packet, when the file says so (pcap: the 'F'
   * bit and FCS length in the upper bits of the LinkType field; pcapng: if_fcslen); null = unknown.
   */
  fcsLength?: number | null;
  /** pcapng section (0-based) the interface belongs to; 0 for classic pcap. */
  section?: number;
}

/** What the reader learned about one input, filled in as it reads. */
export interface CaptureInfo {
  /** The name the user gave ('-' for stdin). */
  file: string;
  format: CaptureFormat | null;
  compression: 'gzip' | null;
  /** Classic pcap: 'us' or 'ns'; pcapng: resolution of the first interface. */
  timestampPrecision: 'us' | 'ns' | 'other' | null;
  /** Classic pcap: file byte order; pcapng: of the first section. */
  byteOrder: 'little' | 'big' | null;
  /** pcapng section count (1 for classic pcap). */
  sections: number;
  interfaces: InterfaceInfo[];
  /** Distinct link types seen, in order of first appearance. */
  linkTypes: number[];
  /** Packet records read. */
  packets: number;
  /** Uncompressed bytes consumed by complete records/blocks. */
  bytesRead: number;
  /** Compressed bytes read from the source (for progress); equals bytesRead for plain files. */
  sourceBytesRead: number;
  /** Sanitised comments from the file (SHB/IDB opt_comment, EPB comments are not kept). */
  comments: string[];
  /** Non-fatal problems: truncated last record, skipped unknown blocks worth noting, ... */
  warnings: CaptureProblem[];
  /** The problem that stopped the file, or null when it was read to the end. */
  error: CaptureProblem | null;
}

export type RecordHandler = (record: CaptureRecord) => void;

export interface ReadOptions {
  /** Name used in errors; '-' means stdin. */
  file: string;
  /** Called after each chunk with the info so far (progress). */
  onProgress?: (info: CaptureInfo) => void;
  /** Chunk size for file reads, default 1 MiB. */
  chunkSize?: number;
  /** Largest captured length accepted for a record, default 256 KiB. */
  maxRecordLength?: number;
  /**
   * For a stream source: the same bytes again from their start, as a new stream, when that is
   * possible (a regular file fed through a stream). A gzip decoder that meets damage reads them
   * again to keep what it would otherwise drop (stream-source.ts, RECOVERY_CHUNK).
   */
  reread?: () => NodeJS.ReadableStream;
}
