// Test glue for the differential test against tshark (test/flow/tshark-diff.test.ts): runs tshark
// over one capture, groups its TCP frames by tcp.stream, and compares them with the connections
// rebuild() made, at two levels:
//
//   frames:  the frames we decode as TCP are the frames tshark shows a TCP layer for, with the
//            same 4-tuple, except for the frame classes below that we leave out on purpose;
//   streams: per 4-tuple, our connections and tshark's streams start at the same frames (reused
//            tuples line up by order), and every connection has exactly tshark's packets from
//            each endpoint between its first frame and the next connection's. A split only one
//            side makes must belong to one of the split classes below, checked on the packets.

import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readCapture } from '../../src/capture/index.js';
import type { CaptureRecord } from '../../src/capture/types.js';
import {
  DECODE_KIND_NAMES, DecodeKind, decodePacket, formatAddress, PacketView, TCP_ACK, TCP_SYN,
} from '../../src/decode/index.js';
import type { Connection, EndReason } from '../../src/flow/index.js';

/** Where tshark found the TCP layer of a frame, from frame.protocols. */
export type TcpPlacement =
  /** Right after the outermost IP header (and its IPv6 extension headers / AH): what we decode. */
  | 'direct'
  /** Inside an ICMP / ICMPv6 error: a quoted header, not a segment. */
  | 'icmp-quoted'
  /** Behind a second network layer: IP-in-IP, 6in4, GRE, VXLAN, ... (compared when we decode it too) */
  | 'tunnelled'
  /** No IP layer before it at all. */
  | 'no-ip';

export interface TsharkTcpRow {
  frame: number;
  /** tcp.stream of the outermost TCP layer, or -1 when tshark gave none. */
  stream: number;
  placement: TcpPlacement;
  /**
   * Sender and receiver as canonical "addr:port" text (see endpointText): the outermost TCP layer
   * and the IP layer right before it (the inner one of a tunnel).
   */
  src: string;
  dst: string;
  /** frame.protocols, for messages. */
  protocols: string;
}

export interface TsharkRun {
  rows: TsharkTcpRow[];
  exitCode: number;
  stderr: string;
}

/** One tcp.stream: its endpoints as first seen (A sent the first frame) and packets per sender. */
export interface TsharkStream {
  id: number;
  /** Frame numbers in capture order. */
  frames: number[];
  endpoints: [string, string];
  /** Packets sent by endpoints[0], endpoints[1]. */
  packets: [number, number];
}

/** Absolute path of tshark as `which` finds it, or null when it is not installed. */
export function findTshark(): string | null {
  const which = spawnSync('which', ['tshark'], { encoding: 'utf8' });
  if (which.status !== 0) return null;
  const path = which.stdout.trim();
  return path === '' ? null : path;
}

const FIELDS = [
  'frame.number', 'tcp.stream', 'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport',
  'frame.protocols',
] as const;

/**
 * The tshark invocation. IP reassembly is turned off: with it, tshark puts a fragmented segment on
 * the frame of the datagram's last fragment and drops it when a fragment is missing, while we
 * (like tshark without reassembly) take the TCP header from the first fragment. Each side still
 * counts the segment once either way; this only makes the frames line up.
 */
export function tsharkArgs(file: string): string[] {
  return [
    '-n', '-r', file,
    '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE',
    '-Y', 'tcp',
    '-T', 'fields', '-E', 'separator=/t',
    ...FIELDS.flatMap((f) => ['-e', f]),
  ];
}

/**
 * Runs tshark over `file` (pcap, pcapng, gzipped) and parses one row per frame that has a TCP
 * layer. A non-zero exit with rows is returned as is (a capture cut short still yields the frames
 * before the cut); the caller decides.
 */
export async function tsharkTcpRows(tshark: string, file: string): Promise<TsharkRun> {
  const child = spawn(tshark, tsharkArgs(file), { stdio: ['ignore', 'pipe', 'pipe'] });
  const rows: TsharkTcpRow[] = [];
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => { resolve(code ?? -1); });
  });
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    rows.push(parseRow(line));
  }
  const exitCode = await exited;
  // tshark warns on stderr when running as root; that line is not a problem.
  stderr = stderr.split('\n').filter((l) => l !== '' && !l.startsWith('Running as user')).join('\n');
  return { rows, exitCode, stderr };
}

function parseRow(line: string): TsharkTcpRow {
  const f = line.split('\t');
  if (f.length !== FIELDS.length) throw new Error(`tshark row with ${f.length} fields, want ${FIELDS.length}: ${JSON.stringify(line)}`);
  const [frame, stream, ipSrc, ipv6Src, srcPort, ipDst, ipv6Dst, dstPort, protocols] = f;
  const placement = tcpPlacement(protocols);
  // Multi-valued fields list layers outermost first: the addresses are those of the IP layer right
  // before TCP, the n-th of its kind (the only one for a 'direct' row, the inner one in a tunnel).
  const ip = ipBeforeTcp(protocols);
  const v6 = ip.layer === 'ipv6';
  return {
    frame: Number(frame),
    stream: stream === '' ? -1 : Number(first(stream)),
    placement,
    src: endpointText(nth(v6 ? ipv6Src : ipSrc, ip.index), Number(first(srcPort))),
    dst: endpointText(nth(v6 ? ipv6Dst : ipDst, ip.index), Number(first(dstPort))),
    protocols,
  };
}

function first(value: string): string {
  const comma = value.indexOf(',');
  return comma < 0 ? value : value.slice(0, comma);
}

function nth(value: string, index: number): string {
  return value.split(',')[index] ?? '';
}

/** The IP layer closest before the first TCP layer, and how many layers of its kind precede it. */
function ipBeforeTcp(protocols: string): { layer: 'ip' | 'ipv6' | null; index: number } {
  const layers = protocols.split(':');
  const tcp = layers.indexOf('tcp');
  for (let i = (tcp < 0 ? layers.length : tcp) - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer === 'ip' || layer === 'ipv6') return { layer, index: layers.slice(0, i).filter((p) => p === layer).length };
  }
  return { layer: null, index: 0 };
}

/**
 * Classifies frame.protocols (e.g. "eth:ethertype:vlan:ethertype:ip:tcp:data"). Between the
 * outermost IP layer and TCP only IPv6 extension headers ("ipv6.hopopts", "ipv6.fraghdr", ...) and
 * AH may sit for the TCP to be the one we decode.
 */
export function tcpPlacement(protocols: string): TcpPlacement {
  const layers = protocols.split(':');
  const ip = layers.findIndex((p) => p === 'ip' || p === 'ipv6');
  const tcp = layers.indexOf('tcp');
  if (ip < 0 || tcp < ip) return 'no-ip';
  const between = layers.slice(ip + 1, tcp);
  if (between.every((p) => p.startsWith('ipv6.') || p === 'ah')) return 'direct';
  if (between.some((p) => p === 'icmp' || p === 'icmpv6')) return 'icmp-quoted';
  return 'tunnelled';
}

/**
 * "10.0.0.1:80" / "[fd00::1]:80", with IPv6 text in the WHATWG URL serializer's canonical form
 * (RFC 5952 compression), so that tshark's text and ours compare equal whatever their spelling.
 */
export function endpointText(address: string, port: number): string {
  if (!address.includes(':')) return `${address}:${port}`;
  return `${new URL(`http://[${address}]/`).hostname}:${port}`;
}

/** Groups rows into streams by tcp.stream (rows without a stream are left out), in id order. */
export function groupStreams(rows: readonly TsharkTcpRow[]): TsharkStream[] {
  const byId = new Map<number, TsharkStream>();
  for (const row of rows) {
    if (row.stream < 0) continue;
    let s = byId.get(row.stream);
    if (s === undefined) {
      s = { id: row.stream, frames: [], endpoints: [row.src, row.dst], packets: [0, 0] };
      byId.set(row.stream, s);
    }
    s.frames.push(row.frame);
    s.packets[row.src === s.endpoints[0] ? 0 : 1]++;
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

// ------------------------------------------------------------------ difference classes

/** Frames tshark shows TCP in that we deliberately do not count as segments. */
export const FRAME_CLASS = {
  /**
   * TCP behind a tunnel the decode stage does not step through (MPLS in GRE, L2TP, ...): tshark
   * follows it, we count the outer packet (other-ip / udp). Tunnels we do decode (IP-in-IP, 6in4,
   * GRE, VXLAN, Geneve, GTP-U, ...) are compared like any other frame, on the inner 4-tuple.
   */
  tunnelled: 'tunnelled-tcp',
  /**
   * A TCP header quoted inside an ICMP error. Not a segment of the connection; tshark 4.0 still
   * gives it the quoted connection's tcp.stream when the quote holds the whole 20-byte header
   * (with the usual 8-byte quote it has no tcp.stream). We count it as icmp / icmp6.
   */
  icmpQuoted: 'icmp-quoted-tcp',
  /**
   * A header we call malformed or truncated (data offset < 5 or past the IP payload, snaplen cut
   * inside the TCP header...): tshark shows what it can and tracks it; the flow stage never sees
   * such packets, they are counted per input instead (see Connection in src/flow/types.ts).
   */
  damagedHeader: 'damaged-header-dropped',
} as const;

/** Connection boundaries that only one side draws. */
export const SPLIT_CLASS = {
  /**
   * We finish a connection that stayed idle past FlowOptions.idleUs, or closed and quiet past
   * TIME_WAIT (closed-quiet), or evicted by the live cap; a later packet on the tuple starts a new
   * one. Wireshark has no timers: one stream.
   */
  expiry: 'expiry-split',
  /**
   * A SYN after a FIN or RST on the tuple starts a new connection for us even with the ISN of
   * that side's earlier SYN (a retry after a refusal; Zeek splits there too). Wireshark opens a
   * new stream only when the SYN's sequence number differs from the side's base sequence.
   */
  sameIsnAfterClose: 'same-isn-syn-after-close',
  /**
   * A SYN from a side that sent none yet in a connection we picked up mid-stream, with no FIN/RST
   * seen, inside (within 1 GiB of) that side's sequence space: we keep it in the connection
   * (FlowTable.startsNewConnection); Wireshark starts a new stream on any new sequence number.
   */
  synInsideMidstream: 'syn-inside-midstream',
} as const;

const EXPIRY_REASONS: ReadonlySet<EndReason> = new Set<EndReason>(['idle', 'closed-quiet', 'evicted']);

// ------------------------------------------------------------------ our view of each frame

export interface OurFrame {
  kind: DecodeKind;
  problem: string;
  /** Sender and receiver ("addr:port") when kind is Tcp, else ''. */
  src: string;
  dst: string;
  flags: number;
  seq: number;
  timeUs: number;
}

/**
 * Decodes every record with the same call rebuild() makes (test/helpers/analyze-file.ts) and keeps,
 * per frame number, what the comparison needs to name a difference. rebuild() gives the
 * connections; this only explains them (compareWithTshark checks that both count the same frames).
 */
export async function decodeFrames(file: string): Promise<OurFrame[]> {
  const frames: OurFrame[] = [];
  const view = new PacketView();
  await readCapture(file, (rec: CaptureRecord) => {
    const kind = decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength);
    const tcp = kind === DecodeKind.Tcp;
    const family = view.ipVersion === 6 ? 6 : 4;
    frames[rec.packetNumber] = {
      kind,
      problem: view.problem,
      src: tcp ? endpointText(formatAddress(family, view.src), view.srcPort) : '',
      dst: tcp ? endpointText(formatAddress(family, view.dst), view.dstPort) : '',
      flags: tcp ? view.flags : 0,
      seq: tcp ? view.seq : 0,
      timeUs: rec.tsSec * 1e6 + Math.floor(rec.tsNsec / 1000),
    };
  }, { file });
  return frames;
}

// ------------------------------------------------------------------ comparison

export interface Outcome {
  /** Unexplained differences: any of them fails the capture. */
  errors: string[];
  /** Difference class -> one line per instance. */
  classes: Map<string, string[]>;
  tsharkStreams: number;
  ourConnections: number;
}

function endpointsOf(c: Connection): [string, string] {
  return [
    endpointText(formatAddress(c.family, c.addrs[0]), c.ports[0]),
    endpointText(formatAddress(c.family, c.addrs[1]), c.ports[1]),
  ];
}

function tupleKey(a: string, b: string): string {
  return a < b ? `${a} <-> ${b}` : `${b} <-> ${a}`;
}

function isSynOnly(flags: number): boolean {
  return (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
}

function kindName(kind: DecodeKind): string {
  return DECODE_KIND_NAMES[kind] ?? `kind ${kind}`;
}

function describeOurs(c: Connection, ends: [string, string]): string {
  return `our connection ${c.id} ${ends[0]} -> ${ends[1]} frames ${c.firstPacket}-${c.lastPacket} ` +
    `c->s ${c.dirs[0].packets} s->c ${c.dirs[1].packets} (${c.roleReason}, ended ${c.endReason})`;
}

function describeStream(s: TsharkStream): string {
  return `tshark stream ${s.id} ${s.endpoints[0]} -> ${s.endpoints[1]} frames ${s.frames[0]}-${s.frames[s.frames.length - 1]} ` +
    `${s.packets[0]} / ${s.packets[1]}`;
}

/** Streams and connections listed with a failing 4-tuple. */
const LISTING_LINES = 16;

export function compareWithTshark(rows: readonly TsharkTcpRow[], frames: readonly OurFrame[], connections: readonly Connection[]): Outcome {
  const errors: string[] = [];
  const classes = new Map<string, string[]>();
  const note = (cls: string, detail: string): void => {
    const list = classes.get(cls);
    if (list === undefined) classes.set(cls, [detail]);
    else list.push(detail);
  };

  // --- frames
  const kept: TsharkTcpRow[] = [];
  const tsharkFrames = new Set<number>();
  for (const row of rows) {
    tsharkFrames.add(row.frame);
    const ours = frames[row.frame];
    const where = `frame ${row.frame} (${row.protocols})`;
    if (ours === undefined) {
      errors.push(`${where}: tshark shows TCP, our reader returned no such frame`);
      continue;
    }
    if (row.placement === 'icmp-quoted') {
      if (ours.kind === DecodeKind.Icmp || ours.kind === DecodeKind.Icmp6) {
        note(FRAME_CLASS.icmpQuoted, `frame ${row.frame}, tcp.stream ${row.stream < 0 ? 'none' : row.stream}`);
      } else {
        errors.push(`${where}: ICMP-quoted TCP for tshark, ${kindName(ours.kind)} for us`);
      }
      continue;
    }
    if (row.placement === 'tunnelled' && ours.kind !== DecodeKind.Tcp && ours.kind !== DecodeKind.Malformed &&
        ours.kind !== DecodeKind.Truncated) {
      note(FRAME_CLASS.tunnelled, `${where}: ${kindName(ours.kind)} for us`);
      continue;
    }
    if (row.placement === 'no-ip') {
      errors.push(`${where}: TCP without an IP layer for tshark, ${kindName(ours.kind)} for us`);
      continue;
    }
    if (ours.kind === DecodeKind.Malformed || ours.kind === DecodeKind.Truncated) {
      note(`${FRAME_CLASS.damagedHeader} (${kindName(ours.kind)}: ${ours.problem})`, `frame ${row.frame}, tcp.stream ${row.stream}`);
      continue;
    }
    if (ours.kind !== DecodeKind.Tcp) {
      errors.push(`${where}: tshark decodes TCP ${row.src} -> ${row.dst}, we decode ${kindName(ours.kind)}`);
      continue;
    }
    if (row.stream < 0) {
      errors.push(`${where}: TCP without a tcp.stream in tshark`);
      continue;
    }
    if (row.src !== ours.src || row.dst !== ours.dst) {
      errors.push(`${where}: tshark ${row.src} -> ${row.dst}, ours ${ours.src} -> ${ours.dst}`);
      continue;
    }
    kept.push(row);
  }
  let ourTcpFrames = 0;
  frames.forEach((f, frame) => {
    if (f.kind !== DecodeKind.Tcp) return;
    ourTcpFrames++;
    if (!tsharkFrames.has(frame)) errors.push(`frame ${frame}: we decode TCP ${f.src} -> ${f.dst}, tshark shows no TCP`);
  });
  const counted = connections.reduce((n, c) => n + c.dirs[0].packets + c.dirs[1].packets, 0);
  if (counted !== ourTcpFrames) {
    errors.push(`our connections hold ${counted} packets, but ${ourTcpFrames} frames decode as TCP`);
  }

  // --- streams, per 4-tuple in frame order (both sides keep one live connection per tuple, so
  // each connection is the run of the tuple's frames from its first frame to the next one's)
  const streams = groupStreams(kept);
  interface Tuple { streams: TsharkStream[]; ours: { c: Connection; ends: [string, string] }[]; rows: TsharkTcpRow[] }
  const tuples = new Map<string, Tuple>();
  const tupleOf = (a: string, b: string): Tuple => {
    const key = tupleKey(a, b);
    let t = tuples.get(key);
    if (t === undefined) tuples.set(key, t = { streams: [], ours: [], rows: [] });
    return t;
  };
  for (const s of streams) tupleOf(s.endpoints[0], s.endpoints[1]).streams.push(s);
  for (const row of kept) tupleOf(row.src, row.dst).rows.push(row);
  for (const c of connections) {
    const ends = endpointsOf(c);
    tupleOf(ends[0], ends[1]).ours.push({ c, ends });
  }

  for (const [key, t] of tuples) {
    t.streams.sort((a, b) => a.frames[0] - b.frames[0]);
    t.ours.sort((a, b) => a.c.firstPacket - b.c.firstPacket);
    const listing = (): string => {
      const lines = [...t.streams.map(describeStream), ...t.ours.map((o) => describeOurs(o.c, o.ends))];
      const shown = lines.slice(0, LISTING_LINES);
      if (lines.length > shown.length) shown.push(`... ${lines.length - shown.length} more on this 4-tuple`);
      return shown.map((l) => `\n    ${l}`).join('');
    };
    if (t.streams.length === 0 || t.ours.length === 0) {
      errors.push(`${key}: ${t.streams.length} tshark streams, ${t.ours.length} of ours${listing()}`);
      continue;
    }
    const tsharkStarts = new Set(t.streams.map((s) => s.frames[0]));
    const ourStarts = new Set(t.ours.map((o) => o.c.firstPacket));
    if (t.streams[0].frames[0] !== t.ours[0].c.firstPacket) {
      errors.push(`${key}: tshark's first stream starts at frame ${t.streams[0].frames[0]}, ours at ${t.ours[0].c.firstPacket}${listing()}`);
      continue;
    }

    // Boundaries only we draw.
    for (let k = 1; k < t.ours.length; k++) {
      const start = t.ours[k].c.firstPacket;
      if (tsharkStarts.has(start)) continue;
      const prev = t.ours[k - 1];
      const cls = explainOurSplit(prev.c, prev.ends, frames[start]);
      const detail = `${key}: frame ${start} starts our connection ${t.ours[k].c.id} after connection ${prev.c.id} (ended ${prev.c.endReason})`;
      if (cls === null) errors.push(`${detail}; tshark keeps one stream, no known reason${listing()}`);
      else note(cls, detail);
    }
    // Boundaries only tshark draws.
    for (let k = 1; k < t.streams.length; k++) {
      const start = t.streams[k].frames[0];
      if (ourStarts.has(start)) continue;
      const holder = [...t.ours].reverse().find((o) => o.c.firstPacket < start);
      const cls = holder === undefined ? null : explainTsharkSplit(holder.c, holder.ends, frames[start]);
      const detail = `${key}: frame ${start} starts tshark stream ${t.streams[k].id}` +
        (holder === undefined ? '' : ` inside our connection ${holder.c.id}`);
      if (cls === null) errors.push(`${detail}; we keep one connection, no known reason${listing()}`);
      else note(cls, detail);
    }

    // Packets per direction: each of our connections against tshark's frames in its range.
    let row = 0;
    for (let k = 0; k < t.ours.length; k++) {
      const { c, ends } = t.ours[k];
      const end = k + 1 < t.ours.length ? t.ours[k + 1].c.firstPacket : Infinity;
      const want: [number, number] = [0, 0];
      const ids = new Set<number>();
      // Rows are in frame order, as are our connections: one walk over the tuple's rows.
      while (row < t.rows.length && t.rows[row].frame < c.firstPacket) row++;
      for (; row < t.rows.length && t.rows[row].frame < end; row++) {
        want[t.rows[row].src === ends[0] ? 0 : 1]++;
        ids.add(t.rows[row].stream);
      }
      if (want[0] !== c.dirs[0].packets || want[1] !== c.dirs[1].packets) {
        errors.push(`${key}: ${describeOurs(c, ends)}, but tshark has ${want[0]} from ${ends[0]} and ${want[1]} from ${ends[1]} ` +
          `in those frames (streams ${[...ids].join(', ')})${listing()}`);
      }
    }
  }

  const explained = (cls: string): number => classes.get(cls)?.length ?? 0;
  const ourOnly = explained(SPLIT_CLASS.expiry) + explained(SPLIT_CLASS.sameIsnAfterClose);
  const tsharkOnly = explained(SPLIT_CLASS.synInsideMidstream);
  if (errors.length === 0 && connections.length - ourOnly !== streams.length - tsharkOnly) {
    errors.push(`${connections.length} connections of ours (${ourOnly} extra splits explained) vs ` +
      `${streams.length} tshark streams (${tsharkOnly} extra splits explained)`);
  }
  return { errors, classes, tsharkStreams: streams.length, ourConnections: connections.length };
}

/** The split class of a connection we started at `frame` when tshark did not, or null. */
function explainOurSplit(prev: Connection, prevEnds: [string, string], frame: OurFrame | undefined): string | null {
  if (EXPIRY_REASONS.has(prev.endReason)) return SPLIT_CLASS.expiry;
  if (frame === undefined || prev.endReason !== 'reused' || !isSynOnly(frame.flags)) return null;
  const side = prev.dirs[frame.src === prevEnds[0] ? 0 : 1];
  const closed = prev.dirs.some((d) => d.finUs >= 0 || d.rstUs >= 0);
  return closed && side.synCount > 0 && side.baseFromSyn && side.baseSeq === frame.seq ? SPLIT_CLASS.sameIsnAfterClose : null;
}

/** The split class of a stream tshark started at `frame` inside our connection `holder`, or null. */
function explainTsharkSplit(holder: Connection, ends: [string, string], frame: OurFrame | undefined): string | null {
  if (frame === undefined || !isSynOnly(frame.flags)) return null;
  const side = holder.dirs[frame.src === ends[0] ? 0 : 1];
  const closedBefore = holder.dirs.some((d) => (d.finUs >= 0 && d.finUs < frame.timeUs) || (d.rstUs >= 0 && d.rstUs < frame.timeUs));
  // This SYN is the side's first one in our connection, which began before it.
  return side.synUs === frame.timeUs && !closedBefore ? SPLIT_CLASS.synInsideMidstream : null;
}
