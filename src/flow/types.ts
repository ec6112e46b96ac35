// The flow stage turns packets into connections. A Connection carries the raw facts the close
// stage needs: per-direction counters, the SYN/FIN/RST facts with their times, and a segment log
// that keeps every control segment (and the few around them) while folding bulk data.

import type { SegmentLog } from './segment-log.js';

/** Direction of a segment: 0 = client -> server, 1 = server -> client. */
export type Dir = 0 | 1;

/** Why the client/server roles were assigned as they were. */
export type RoleReason =
  /** The client sent a SYN without ACK. */
  | 'syn'
  /** No SYN seen, but a SYN+ACK was: its sender is the server. */
  | 'syn-ack'
  /** Mid-stream: the first packet's sender was taken as the client. */
  | 'first-sender'
  /** Mid-stream: the first sender used a well-known/service port toward an ephemeral one, so it is the server. */
  | 'well-known-port';

/** Why a connection was handed on before the end of its input. */
export type EndReason =
  /** The input ended while the connection was live. */
  | 'capture-end'
  /** Closed, then quiet for longer than the TIME_WAIT span (or for 5 s after a RST). */
  | 'closed-quiet'
  /** Not closed, but idle past the idle limit. */
  | 'idle'
  /** A new connection took over the same 4-tuple. */
  | 'reused'
  /** The live-connection cap evicted it (oldest idle first). */
  | 'evicted'
  /** zeekBoundaries: Zeek's 5 s attempt or close timer ended it. */
  | 'zeek-timeout';

// Marks on a logged segment, besides its TCP flags.
export const SEG_RETRANSMISSION = 0x01;
/** It acknowledged sequence space of the peer that the capture never showed. */
export const SEG_ACKS_UNSEEN = 0x02;
/** A run of folded plain segments (count > 1), not one packet. */
export const SEG_FOLDED = 0x04;
/** A keep-alive probe (one byte below the peer's expected sequence, or empty at snd_nxt - 1). */
export const SEG_KEEPALIVE = 0x08;
/** The first segment from this direction whose ACK covers the peer's FIN. */
export const SEG_ACKS_PEER_FIN = 0x10;
/** Payload beyond this direction's own FIN (RFC 9293 forbids it). */
export const SEG_DATA_AFTER_FIN = 0x20;
/** Advertised a zero receive window. */
export const SEG_ZERO_WINDOW = 0x40;

/**
 * One segment as the close stage and the ladder diagram see it. Sequence and acknowledgement
 * numbers are relative to the sender's / peer's base (ISN when the SYN was seen, else the first
 * sequence number known) and unwrapped past 2^32.
 */
export interface Segment {
  dir: Dir;
  /** Packet number in its input (the first one, for a folded run). */
  packet: number;
  /** Epoch microseconds (the first one, for a folded run). */
  timeUs: number;
  /** TCP flags of the segment (for a folded run: OR of the flags). */
  flags: number;
  /** SEG_* marks. */
  marks: number;
  /** Relative sequence number (of the first segment, for a folded run). */
  seq: number;
  /** Relative acknowledgement number, or -1 when the ACK flag was not set (the last one, for a run). */
  ack: number;
  /** Payload length from the IP header (sum, for a folded run). */
  len: number;
  /** Raw advertised window (not scaled). */
  window: number;
  /** Packets in this entry: 1, or the size of a folded run. */
  count: number;
  /** For a folded run: time of its last packet; else equal to timeUs. */
  lastTimeUs: number;
}

/** Facts about one direction of a connection (what one endpoint sent). */
export interface DirectionFacts {
  packets: number;
  /** Payload bytes (IP-length based, including retransmissions). */
  bytes: number;
  /** Payload bytes of new data (highest sequence reached), excluding retransmissions. */
  uniqueBytes: number;
  firstUs: number;
  lastUs: number;
  /** Raw 32-bit base the relative numbers count from. */
  baseSeq: number;
  /** True when baseSeq is the ISN from a SYN. */
  baseFromSyn: boolean;
  /** Highest relative sequence end seen (seq + len + SYN + FIN). */
  maxSeqEnd: number;
  /** Highest relative ACK this side sent for the peer's data (-1: none). */
  maxAck: number;
  synUs: number;
  synCount: number;
  /** The SYN carried ACK (a SYN-ACK). */
  synAck: boolean;
  /** Time of the first FIN from this side, -1 when none. */
  finUs: number;
  /** Time of the last FIN transmission. */
  finLastUs: number;
  /** Relative sequence number of the FIN. */
  finSeq: number;
  /** FIN transmissions seen (> 1: retransmitted). */
  finCount: number;
  /** Time the peer first acknowledged this side's FIN, -1 when not (yet). */
  finAckedUs: number;
  rstUs: number;
  rstCount: number;
  /** Relative sequence number of the first RST. */
  rstSeq: number;
  /** The first RST carried the ACK flag. */
  rstWithAck: boolean;
  retransmissions: number;
  retransmittedBytes: number;
  /** Exact copies of the packet just before (SPAN ports, bridges): counted, not analysed again. */
  duplicates: number;
  /** ACKs from the peer that covered sequence space of this side the capture never showed. */
  ackedUnseenEvents: number;
  ackedUnseenBytes: number;
  zeroWindows: number;
  keepAlives: number;
  dataAfterFin: number;
  // Handshake options (from this side's SYN or SYN-ACK), -1 / false when not seen.
  mss: number;
  windowScale: number;
  sackPermitted: boolean;
  timestamps: boolean;
}

/** One TCP connection as rebuilt from the capture. */
export interface Connection {
  /** 1-based, unique within one analysis run, in order of first packet. */
  id: number;
  /** Index of the input (file) it came from; with merged inputs, of the first packet. */
  input: number;
  family: 4 | 6;
  /** Address words of [client, server], as in PacketView.src/dst. */
  readonly addrs: [Uint32Array, Uint32Array];
  /** Ports of [client, server]. */
  readonly ports: [number, number];
  roleReason: RoleReason;
  firstUs: number;
  lastUs: number;
  firstPacket: number;
  lastPacket: number;
  /** Per-direction facts, [client->server, server->client]. */
  readonly dirs: [DirectionFacts, DirectionFacts];
  /** Control segments and those around them, in capture order; bulk data folded. */
  readonly log: Segment[];
  /** The same log as a packed copy that outlives the connection (what a verdict keeps). */
  segmentLog(): SegmentLog;
  /** Packets that went into folded runs. */
  foldedPackets: number;
  /** Zeek-style history letters (see zeek-history.ts). */
  history: string;
  /** Id of the connection that used this 4-tuple before, when this one reused it. */
  previousId: number | null;
  /** When a new SYN took over this connection's 4-tuple: its time (epoch us). */
  reusedAtUs: number;
  /** Id of the connection that took over the 4-tuple. */
  reusedById: number | null;
  endReason: EndReason;
  /** Until when the capture watched it: the input's end, the reusing SYN, or the expiry moment. */
  observedUntilUs: number;
  /** Packets whose TCP header lied or was cut inside this connection are not here: they are counted per input. */
}

export interface FlowOptions {
  /** TIME_WAIT span in microseconds (2 x MSL): a closed connection quiet this long is finished. */
  timeWaitUs: number;
  /** A connection with no packet for this long is finished as idle. */
  idleUs: number;
  /** Hard cap on live connections; beyond it the least recently active one is evicted. */
  maxLive: number;
  /** Segments kept individually after the first FIN/RST before folding resumes. */
  closeLogLimit: number;
  /**
   * Also end connections where Zeek does, so rows line up with conn.log: 5 s after the first SYN
   * when the responder has sent nothing but empty ACKs, and 5 s after a close completed in Zeek's
   * sense (a RST, or a FIN when the peer had closed or never spoken). Off by default: a capture
   * that sees one direction only would be cut into pieces.
   */
  zeekBoundaries: boolean;
  /**
   * Reuse a finished connection's objects (and its segment log's) for the next new connection.
   * Only for handlers that keep nothing of a Connection once they return (the pipeline judges it
   * and keeps the verdict); off by default.
   */
  recycle: boolean;
}

export const DEFAULT_FLOW_OPTIONS: FlowOptions = {
  timeWaitUs: 60_000_000,
  // Zeek's tcp_inactivity_timeout is 5 min; a socket idle that long without keep-alives is worth
  // reporting as idle rather than holding forever.
  idleUs: 300_000_000,
  maxLive: 500_000,
  closeLogLimit: 64,
  zeekBoundaries: false,
  recycle: false,
};

export interface FlowStats {
  connections: number;
  /** Connections finished because a new SYN reused their 4-tuple. */
  reused: number;
  evicted: number;
  idleFinished: number;
  /** Peak number of live connections. */
  peakLive: number;
  /** TCP packets whose timestamp went backwards relative to the previous one. */
  timeWentBackwards: number;
}
