// Writes a deterministic synthetic capture for the benchmark: a busy site seen from its servers'
// side, with a realistic mix of connections and every finding finscope knows present somewhere.
//
//   node dist/bench/generate.js [--packets 3000000] [--link ethernet] [--rate 500] [--seed 1] [--out file]
//   node dist/bench/generate.js --flood [--packets 3000000] [--seed 1] [--out file]   (generateFlood)
//   node dist/bench/generate.js --bulk [--packets 3000000] [--seed 1] [--out file]    (generateBulk)
//
// --packets  how many packets to write (the last connections are cut off at that count, as a
//            capture stopped by tcpdump -c would be)
// --link     ethernet | vlan | sll | sll2 | raw | null | loop: one classic pcap of that link type;
//            mix: a pcapng with three interfaces (Ethernet, SLL2, raw IP), each connection on one
// --rate     new connections per second: with the TIME_WAIT span (60 s) it sets how many connections
//            are live at once, whatever the size (a 10x capture lasts 10x longer at the same rate)
// --snaplen  bytes kept per packet (default 160, as tcpdump -s 160)
//
// The mix (weights in SCENARIOS): HTTP-like exchanges closed by the server (nginx with
// Connection: close) or by the client, three-way closes, one load-generating client that cycles
// through a narrow port range (so its 4-tuples come back while still in TIME_WAIT, and its TIME_WAIT
// sockets pile up toward one server: time-wait-reuse and ephemeral-port-pressure), resets,
// refused and unanswered SYNs, lost final ACKs, FIN retransmissions, unacknowledged FINs, long
// CLOSE_WAIT / FIN_WAIT_2, half-closes, simultaneous closes, data after FIN, TIME_WAIT
// assassination, packets the capture missed, long-lived keep-alive connections that never close,
// connections picked up mid-stream, and 5% IPv6. Same arguments, same bytes.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// --- deterministic randomness (mulberry32)

class Random {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  /** Exponentially distributed with the given mean. */
  exp(mean: number): number { return -Math.log(1 - this.next()) * mean; }
  chance(p: number): boolean { return this.next() < p; }
}

// --- TCP flags

const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

// --- one packet to write

interface Packet {
  t: number; // epoch microseconds
  order: number; // tie-break: generation order
  conn: Endpoints;
  dir: 0 | 1; // 0 client -> server
  flags: number;
  seq: number;
  ack: number;
  len: number;
  window: number;
  syn: boolean; // SYN options (MSS, SACK permitted, timestamps, window scale)
}

interface Endpoints {
  family: 4 | 6;
  client: number[]; // 4 words (IPv4: word 0)
  server: number[];
  clientPort: number;
  serverPort: number;
  iface: number;
}

// --- a connection being scripted: sequence bookkeeping per side, packets with absolute times

class Script {
  readonly packets: Packet[] = [];
  t: number;
  /** Next sequence number each side sends, and the highest each side has received from the peer. */
  readonly sndNxt: [number, number];
  readonly rcvNxt: [number, number] = [0, 0];
  constructor(readonly conn: Endpoints, start: number, private readonly rnd: Random, private readonly counter: { order: number }) {
    this.t = start;
    this.sndNxt = [rnd.int(0, 0xffffffff), rnd.int(0, 0xffffffff)];
  }

  /** Sends one segment `dt` µs after the previous one. `seen: false` = the capture missed it. */
  send(dir: 0 | 1, flags: number, len = 0, dt = 0, opts: { seq?: number; seen?: boolean; ackOnly?: number; window?: number } = {}): void {
    this.t += Math.max(0, Math.round(dt));
    const seq = opts.seq ?? this.sndNxt[dir];
    const ack = (flags & ACK) !== 0 ? (opts.ackOnly ?? this.rcvNxt[dir]) : 0;
    const end = (seq + len + ((flags & (SYN | FIN)) !== 0 ? 1 : 0)) >>> 0;
    if (opts.seq === undefined && (flags & RST) === 0) this.sndNxt[dir] = end;
    // The peer receives in order; a retransmission (seq given) does not move it.
    const peer = dir === 0 ? 1 : 0;
    if ((flags & RST) === 0 && (opts.seq === undefined || this.rcvNxt[peer] === seq)) this.rcvNxt[peer] = end;
    if (opts.seen === false) return;
    this.packets.push({
      t: this.t, order: this.counter.order++, conn: this.conn, dir, flags, seq: seq >>> 0, ack: ack >>> 0, len,
      window: opts.window ?? (dir === 0 ? 502 : 509), syn: (flags & SYN) !== 0,
    });
  }

  handshake(rtt: number): void {
    this.send(0, SYN);
    this.send(1, SYN | ACK, 0, 20);
    this.send(0, ACK, 0, rtt);
  }

  /** `bytes` of data from `dir` in MSS-sized segments, acknowledged by the peer every two segments. */
  data(dir: 0 | 1, bytes: number, rtt: number): void {
    const peer = dir === 0 ? 1 : 0;
    let n = 0;
    while (bytes > 0) {
      const len = Math.min(1448, bytes);
      bytes -= len;
      this.send(dir, ACK | (bytes === 0 ? PSH : 0), len, 5 + this.rnd.int(0, 30));
      if (++n % 2 === 0 || bytes === 0) this.send(peer, ACK, 0, rtt);
    }
  }
}

// --- scenarios: each scripts one connection (rtt is the round trip seen from the capture point)

type Scenario = (s: Script, rnd: Random, rtt: number) => void;

const request = (s: Script, rnd: Random, rtt: number): void => {
  s.send(0, PSH | ACK, rnd.int(80, 420), rnd.int(10, 200));
  // A quick response carries the ACK of the request; a slower one is preceded by a bare ACK.
  if (rnd.chance(0.4)) s.send(1, ACK, 0, 20);
  const r = rnd.next();
  s.data(1, r < 0.88 ? rnd.int(120, 1400) : r < 0.98 ? rnd.int(1500, 4000) : rnd.int(5000, 30000), rtt);
};

const SCENARIOS: { name: string; weight: number; run: Scenario }[] = [
  { name: 'server-closes', weight: 30, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt); s.send(0, FIN | ACK, 0, rnd.int(20, 400)); s.send(1, ACK, 0, 15);
  } },
  { name: 'client-closes', weight: 24, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, rtt + rnd.int(50, 2000)); s.send(1, ACK, 0, 20); s.send(1, FIN | ACK, 0, rnd.int(20, 300)); s.send(0, ACK, 0, rtt);
  } },
  { name: 'three-way-close', weight: 8, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, rtt + 100); s.send(1, FIN | ACK, 0, 25); s.send(0, ACK, 0, rtt);
  } },
  { name: 'abortive-close', weight: 3, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(rnd.chance(0.5) ? 0 : 1, RST | ACK, 0, rnd.int(100, 5000));
  } },
  { name: 'connection-refused', weight: 2, run: (s) => { s.send(0, SYN); s.send(1, RST | ACK, 0, 30); } },
  { name: 'syn-unanswered', weight: 1, run: (s) => { s.send(0, SYN); s.send(0, SYN, 0, 1_000_000, { seq: s.sndNxt[0] - 1 }); s.send(0, SYN, 0, 2_000_000, { seq: s.sndNxt[0] - 1 }); } },
  { name: 'lost-final-ack', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt); s.send(0, FIN | ACK, 0, 200);
    const fin = s.sndNxt[0] - 1;
    // The final ACK passes the capture point (next to the server) and is lost after it.
    s.send(1, ACK, 0, 15);
    s.send(0, FIN | ACK, 0, 200_000 + rtt, { seq: fin }); s.send(1, ACK, 0, 15);
  } },
  { name: 'missing-peer-fin', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt);
  } },
  { name: 'long-close-wait', weight: 0.5, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt); s.send(0, FIN | ACK, 0, rnd.int(61, 150) * 1_000_000); s.send(1, ACK, 0, 15);
  } },
  { name: 'fin-retransmitted', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, 500); const fin = s.sndNxt[0] - 1;
    s.send(0, FIN | ACK, 0, 200_000, { seq: fin }); s.send(1, ACK, 0, 20); s.send(1, FIN | ACK, 0, 40); s.send(0, ACK, 0, rtt);
  } },
  { name: 'fin-unacked', weight: 0.5, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(1, FIN | ACK, 0, 30); const fin = s.sndNxt[1] - 1;
    for (let i = 0, d = 200_000; i < 4; i++, d *= 2) s.send(1, FIN | ACK, 0, d, { seq: fin });
  } },
  { name: 'reset-after-fin', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, 300); s.send(1, ACK, 0, 20); s.send(1, RST | ACK, 0, rnd.int(100, 3000));
  } },
  { name: 'simultaneous-close', weight: 0.5, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    const ackC = s.rcvNxt[0], ackS = s.rcvNxt[1];
    s.send(0, FIN | ACK, 0, 400, { ackOnly: ackC }); s.send(1, FIN | ACK, 0, 2, { ackOnly: ackS });
    s.send(0, ACK, 0, rtt); s.send(1, ACK, 0, 3);
  } },
  { name: 'half-close', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt);
    s.send(0, PSH | ACK, rnd.int(200, 900), 100); s.send(0, FIN | ACK, 0, 5); s.send(1, ACK, 0, 20);
    s.data(1, rnd.int(2000, 20000), rtt);
    s.send(1, FIN | ACK, 0, 50); s.send(0, ACK, 0, rtt);
  } },
  { name: 'data-after-fin', weight: 0.1, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, 300); s.send(0, PSH | ACK, 100, 50, { seq: s.sndNxt[0] }); s.send(1, ACK, 0, 20);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt);
  } },
  { name: 'time-wait-assassination', weight: 0.2, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    s.send(0, FIN | ACK, 0, 300); s.send(1, ACK, 0, 20); s.send(1, FIN | ACK, 0, 40); s.send(0, ACK, 0, rtt);
    s.send(1, RST, 0, rnd.int(1, 20) * 1_000_000);
  } },
  { name: 'capture-missed-packets', weight: 0.5, run: (s, rnd, rtt) => {
    s.handshake(rtt);
    s.send(0, PSH | ACK, 300, 100); s.send(1, ACK, 0, 20);
    s.send(1, ACK, 1448, 40); s.send(1, PSH | ACK, 900, 5, { seen: false }); s.send(0, ACK, 0, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt); s.send(0, FIN | ACK, 0, 100); s.send(1, ACK, 0, 15);
  } },
  { name: 'retransmissions-and-zero-window', weight: 1, run: (s, rnd, rtt) => {
    s.handshake(rtt);
    s.send(0, PSH | ACK, 300, 100); s.send(1, ACK, 0, 20);
    const seq = s.sndNxt[1];
    s.send(1, ACK, 1448, 40); s.send(1, ACK, 1448, 200_000, { seq }); s.send(0, ACK, 0, rtt, { window: 0 });
    s.send(0, ACK, 0, 50_000); s.data(1, 3000, rtt);
    s.send(1, FIN | ACK, 0, 30); s.send(0, ACK, 0, rtt); s.send(0, FIN | ACK, 0, 100); s.send(1, ACK, 0, 15);
  } },
  { name: 'keep-alive-never-closed', weight: 0.3, run: (s, rnd, rtt) => {
    s.handshake(rtt); request(s, rnd, rtt);
    for (let i = 0; i < 6; i++) {
      s.send(0, ACK, 0, 45_000_000, { seq: s.sndNxt[0] - 1 }); s.send(1, ACK, 0, rtt);
      s.send(0, PSH | ACK, rnd.int(50, 300), rnd.int(1, 5) * 1_000_000); s.send(1, PSH | ACK, rnd.int(50, 900), 200); s.send(0, ACK, 0, rtt);
    }
  } },
];

// --- link layers and file formats

const LINKTYPE = { ethernet: 1, vlan: 1, sll: 113, sll2: 276, raw: 101, null: 0, loop: 108 } as const;
type Link = keyof typeof LINKTYPE;
const MIX_LINKS: Link[] = ['ethernet', 'sll2', 'raw'];

function linkHeaderLength(link: Link): number {
  switch (link) {
    case 'ethernet': return 14;
    case 'vlan': return 18;
    case 'sll': return 16;
    case 'sll2': return 20;
    case 'raw': return 0;
    case 'null': case 'loop': return 4;
  }
}

/** Writes one packet's bytes (at most `snaplen`) at `at`; returns [captured, wire] lengths. */
function encode(buf: Buffer, at: number, p: Packet, link: Link, snaplen: number): [number, number] {
  const c = p.conn;
  const src = p.dir === 0 ? c.client : c.server, dst = p.dir === 0 ? c.server : c.client;
  const sport = p.dir === 0 ? c.clientPort : c.serverPort, dport = p.dir === 0 ? c.serverPort : c.clientPort;
  const optLen = p.syn ? 20 : 12;
  const tcpLen = 20 + optLen;
  const ipLen = c.family === 4 ? 20 : 40;
  const l2 = linkHeaderLength(link);
  const wire = l2 + ipLen + tcpLen + p.len;
  const full = Math.min(wire, snaplen);
  const hdr = l2 + ipLen + tcpLen;
  // Headers are built in a scratch area, then the part within the snaplen is copied.
  const h = SCRATCH;
  h.fill(0, 0, hdr);
  const ethertype = c.family === 4 ? 0x0800 : 0x86dd;
  let o = 0;
  if (link === 'ethernet' || link === 'vlan') {
    h.writeUInt32BE(0x02000000 | (p.dir === 0 ? 1 : 2), 0); h.writeUInt16BE(0x0a0a, 4);
    h.writeUInt32BE(0x02000000 | (p.dir === 0 ? 2 : 1), 6); h.writeUInt16BE(0x0a0a, 10);
    if (link === 'vlan') { h.writeUInt16BE(0x8100, 12); h.writeUInt16BE(100, 14); h.writeUInt16BE(ethertype, 16); } else h.writeUInt16BE(ethertype, 12);
    o = l2;
  } else if (link === 'sll') {
    h.writeUInt16BE(p.dir === 0 ? 0 : 4, 0); h.writeUInt16BE(1, 2); h.writeUInt16BE(6, 4); h.writeUInt16BE(ethertype, 14);
    o = 16;
  } else if (link === 'sll2') {
    h.writeUInt16BE(ethertype, 0); h.writeUInt32BE(2, 4); h.writeUInt16BE(1, 8); h[10] = p.dir === 0 ? 0 : 4; h[11] = 6;
    o = 20;
  } else if (link === 'null' || link === 'loop') {
    const family = c.family === 4 ? 2 : 10;
    if (link === 'null') h.writeUInt32LE(family, 0); else h.writeUInt32BE(family, 0);
    o = 4;
  }
  if (c.family === 4) {
    h[o] = 0x45; h.writeUInt16BE(ipLen + tcpLen + p.len, o + 2); h.writeUInt16BE(p.order & 0xffff, o + 4); h[o + 6] = 0x40;
    h[o + 8] = 64; h[o + 9] = 6; h.writeUInt32BE(src[0] >>> 0, o + 12); h.writeUInt32BE(dst[0] >>> 0, o + 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(o + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    h.writeUInt16BE(~sum & 0xffff, o + 10);
  } else {
    h.writeUInt32BE(0x60000000, o); h.writeUInt16BE(tcpLen + p.len, o + 4); h[o + 6] = 6; h[o + 7] = 64;
    for (let i = 0; i < 4; i++) { h.writeUInt32BE(src[i] >>> 0, o + 8 + 4 * i); h.writeUInt32BE(dst[i] >>> 0, o + 24 + 4 * i); }
  }
  o += ipLen;
  h.writeUInt16BE(sport, o); h.writeUInt16BE(dport, o + 2); h.writeUInt32BE(p.seq, o + 4); h.writeUInt32BE(p.ack, o + 8);
  h[o + 12] = (tcpLen / 4) << 4; h[o + 13] = p.flags; h.writeUInt16BE(p.window, o + 14);
  const ts = Math.floor(p.t / 1000) >>> 0;
  const q = o + 20;
  if (p.syn) {
    h[q] = 2; h[q + 1] = 4; h.writeUInt16BE(1460, q + 2); h[q + 4] = 4; h[q + 5] = 2;
    h[q + 6] = 8; h[q + 7] = 10; h.writeUInt32BE(ts, q + 8); h.writeUInt32BE(0, q + 12);
    h[q + 16] = 1; h[q + 17] = 3; h[q + 18] = 3; h[q + 19] = 7;
  } else {
    h[q] = 1; h[q + 1] = 1; h[q + 2] = 8; h[q + 3] = 10; h.writeUInt32BE(ts, q + 4); h.writeUInt32BE((ts - 1) >>> 0, q + 8);
  }
  const fromHeader = Math.min(hdr, full);
  h.copy(buf, at, 0, fromHeader);
  if (full > hdr) buf.fill(0x61, at + hdr, at + full);
  return [full, wire];
}

const SCRATCH = Buffer.alloc(256);

class CaptureWriter {
  private buf = Buffer.alloc(4 << 20);
  private used = 0;
  private readonly fd: number;
  written = 0;
  constructor(path: string, private readonly link: Link | 'mix', private readonly snaplen: number) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    if (link === 'mix') this.pcapngHeader(); else this.pcapHeader(LINKTYPE[link]);
  }

  private pcapHeader(linkType: number): void {
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0); b.writeUInt16LE(2, 4); b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8); b.writeUInt32LE(0, 12); b.writeUInt32LE(this.snaplen, 16); b.writeUInt32LE(linkType, 20);
    this.used = 24;
  }

  private pcapngHeader(): void {
    const b = this.buf;
    b.writeUInt32LE(0x0a0d0d0a, 0); b.writeUInt32LE(28, 4); b.writeUInt32LE(0x1a2b3c4d, 8);
    b.writeUInt16LE(1, 12); b.writeUInt16LE(0, 14); b.writeInt32LE(-1, 16); b.writeInt32LE(-1, 20); b.writeUInt32LE(28, 24);
    let o = 28;
    for (const link of MIX_LINKS) {
      b.writeUInt32LE(1, o); b.writeUInt32LE(20, o + 4); b.writeUInt16LE(LINKTYPE[link], o + 8); b.writeUInt16LE(0, o + 10);
      b.writeUInt32LE(this.snaplen, o + 12); b.writeUInt32LE(20, o + 16);
      o += 20;
    }
    this.used = o;
  }

  write(p: Packet): void {
    if (this.used + 512 > this.buf.length) this.flush();
    const b = this.buf;
    const sec = Math.floor(p.t / 1e6), usec = p.t - sec * 1e6;
    if (this.link === 'mix') {
      const link = MIX_LINKS[p.conn.iface];
      const at = this.used;
      const [cap, wire] = encode(b, at + 28, p, link, this.snaplen);
      const padded = (cap + 3) & ~3;
      const total = 32 + padded;
      b.writeUInt32LE(6, at); b.writeUInt32LE(total, at + 4); b.writeUInt32LE(p.conn.iface, at + 8);
      b.writeUInt32LE(Math.floor(p.t / 4294967296), at + 12); b.writeUInt32LE(p.t % 4294967296, at + 16);
      b.writeUInt32LE(cap, at + 20); b.writeUInt32LE(wire, at + 24);
      b.fill(0, at + 28 + cap, at + 28 + padded);
      b.writeUInt32LE(total, at + 28 + padded);
      this.used += total;
    } else {
      const at = this.used;
      const [cap, wire] = encode(b, at + 16, p, this.link, this.snaplen);
      b.writeUInt32LE(sec, at); b.writeUInt32LE(usec, at + 4); b.writeUInt32LE(cap, at + 8); b.writeUInt32LE(wire, at + 12);
      this.used += 16 + cap;
    }
    this.written++;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

// --- packets in time order: a binary heap over the scripted connections' packets

class PacketHeap {
  private readonly a: Packet[] = [];
  get size(): number { return this.a.length; }
  peek(): Packet { return this.a[0]; }
  private static before(x: Packet, y: Packet): boolean { return x.t < y.t || (x.t === y.t && x.order < y.order); }
  push(p: Packet): void {
    const a = this.a;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const up = (i - 1) >> 1;
      if (!PacketHeap.before(a[i], a[up])) break;
      [a[i], a[up]] = [a[up], a[i]];
      i = up;
    }
  }
  pop(): Packet {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && PacketHeap.before(a[l], a[m])) m = l;
        if (r < a.length && PacketHeap.before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

export interface GenerateOptions {
  packets: number;
  link: Link | 'mix';
  rate: number;
  seed: number;
  snaplen: number;
  out: string;
}

export const DEFAULT_GENERATE: Omit<GenerateOptions, 'out'> = { packets: 3_000_000, link: 'ethernet', rate: 500, seed: 1, snaplen: 160 };

/** Epoch start of every synthetic capture (2025-01-01T00:00:00Z): fixed, so the bytes are too. */
const START_US = 1_735_689_600_000_000;

export function generate(options: GenerateOptions): { packets: number; connections: number; seconds: number } {
  const rnd = new Random(options.seed);
  const writer = new CaptureWriter(options.out, options.link, options.snaplen);
  const heap = new PacketHeap();
  const counter = { order: 0 };
  const total = SCENARIOS.reduce((s, x) => s + x.weight, 0);
  const pick = (): Scenario => {
    let r = rnd.next() * total;
    for (const s of SCENARIOS) if ((r -= s.weight) < 0) return s.run;
    return SCENARIOS[0].run;
  };
  const ifaces = options.link === 'mix' ? MIX_LINKS.length : 1;
  // The load generator: one client toward one server, cycling through 14 500 ports. At half the
  // default rate (250 a second) a port comes back after 58 s, inside its TIME_WAIT (60 s), as in a
  // load test from one box: time-wait-reuse, and more than half the ephemeral range in TIME_WAIT
  // toward one server at once (ephemeral-port-pressure).
  const loadClient = [0x0a090001, 0, 0, 0];
  let loadPort = 32768;
  const nextPort = new Map<number, number>();
  let t = START_US;
  let connections = 0;

  // Connections already open when the capture started: picked up mid-stream.
  for (let i = 0; i < 20; i++) {
    const conn: Endpoints = { family: 4, client: [0x0a020000 + i, 0, 0, 0], server: [0x0a000001, 0, 0, 0], clientPort: 40000 + i, serverPort: 443, iface: i % ifaces };
    const s = new Script(conn, t + i * 1000, rnd, counter);
    s.data(1, rnd.int(3000, 9000), 300);
    s.send(1, FIN | ACK, 0, 100); s.send(0, ACK, 0, 300); s.send(0, FIN | ACK, 0, 100); s.send(1, ACK, 0, 10);
    for (const p of s.packets) heap.push(p);
    connections++;
  }

  while (writer.written < options.packets) {
    t += Math.max(1, Math.round(rnd.exp(1e6 / options.rate)));
    while (heap.size > 0 && heap.peek().t <= t && writer.written < options.packets) writer.write(heap.pop());
    if (writer.written >= options.packets) break;
    const six = rnd.chance(0.05);
    const load = !six && rnd.chance(0.53);
    let conn: Endpoints;
    if (load) {
      loadPort = loadPort >= 32768 + 14499 ? 32768 : loadPort + 1;
      conn = { family: 4, client: loadClient, server: [0x0a000001, 0, 0, 0], clientPort: loadPort, serverPort: 80, iface: 0 };
    } else if (six) {
      const host = rnd.int(1, 500);
      const port = nextPort.get(-host) ?? 32768 + rnd.int(0, 20000);
      nextPort.set(-host, port >= 60999 ? 32768 : port + 1);
      conn = {
        family: 6, client: [0xfd000000, 0, 0x100, host], server: [0xfd000000, 0, 0, 1], clientPort: port, serverPort: 443,
        iface: host % ifaces,
      };
    } else {
      const host = rnd.int(1, 20000);
      const port = nextPort.get(host) ?? 32768 + rnd.int(0, 20000);
      nextPort.set(host, port >= 60999 ? 32768 : port + 1 + rnd.int(0, 3));
      const server = rnd.chance(0.6) ? [0x0a000001, 443] : rnd.chance(0.5) ? [0x0a000002, 8080] : [0x0a000003, 5432];
      conn = {
        family: 4, client: [0x0a010000 + host, 0, 0, 0], server: [server[0], 0, 0, 0], clientPort: port, serverPort: server[1],
        iface: host % ifaces,
      };
    }
    const rtt = load ? rnd.int(20, 80) : Math.round(rnd.exp(20_000)) + 200;
    const s = new Script(conn, t, rnd, counter);
    // The load generator closes first (client TIME_WAIT piles up toward one server).
    if (load) SCENARIOS[1].run(s, rnd, rtt);
    else pick()(s, rnd, rtt);
    for (const p of s.packets) heap.push(p);
    connections++;
  }
  writer.close();
  return { packets: writer.written, connections, seconds: (t - START_US) / 1e6 };
}

/**
 * A SYN flood as the flooded server's capture shows it (the shape of captures/syn-flood.pcap, which
 * the Linux kernel made): 50 000 SYNs a second, each from its own address in 100.64.0.0/10 with
 * its own port and ISN, toward 10.0.0.1:443. The first 513 requests are kept half-open, their
 * SYN/ACKs sent again 1 and 3 s later; every other SYN gets one SYN cookie. Nothing answers. Every
 * connection stays live (no FIN, no RST) until the live-connection cap evicts it: the worst case
 * for the flow table. `packets` in all, the last SYNs cut off at that count.
 */
export function generateFlood(options: { packets: number; seed: number; out: string }): { packets: number; connections: number; seconds: number } {
  const rnd = new Random(options.seed);
  const writer = new CaptureWriter(options.out, 'ethernet', 160);
  const heap = new PacketHeap();
  const counter = { order: 0 };
  const HALF_OPEN = 513, GAP_US = 20, ANSWER_US = 30;
  let connections = 0, t = START_US;
  const packet = (conn: Endpoints, at: number, dir: 0 | 1, flags: number, seq: number, ack: number): Packet =>
    ({ t: at, order: counter.order++, conn, dir, flags, seq, ack, len: 0, window: 64240, syn: true });
  while (writer.written < options.packets) {
    // Everything before the next SYN is final: written in time order.
    while (heap.size > 0 && heap.peek().t <= t && writer.written < options.packets) writer.write(heap.pop());
    if (writer.written >= options.packets) break;
    const conn: Endpoints = {
      family: 4, client: [0x64400000 + connections, 0, 0, 0], server: [0x0a000001, 0, 0, 0],
      clientPort: rnd.int(1024, 65535), serverPort: 443, iface: 0,
    };
    const isn = Math.floor(rnd.next() * 4294967296), cookie = Math.floor(rnd.next() * 4294967296);
    heap.push(packet(conn, t, 0, SYN, isn, 0));
    for (const later of connections < HALF_OPEN ? [0, 1_000_000, 3_000_000] : [0]) {
      heap.push(packet(conn, t + ANSWER_US + later, 1, SYN | ACK, cookie, (isn + 1) % 4294967296));
    }
    connections++;
    t += GAP_US;
  }
  writer.close();
  return { packets: writer.written, connections, seconds: (t - START_US) / 1e6 };
}

/**
 * Bulk transfers: BULK_STREAMS connections at once, each sending 20 000-80 000 full segments (or
 * options.segments)
 * (one every 80-120 us) that the receiver acknowledges every second segment (delayed ACKs), one
 * in a thousand lost and sent again after 300 us; a transfer that ends closes (FIN both ways) and
 * another begins on a new port. The shape of a backup job or a replication link: millions of
 * packets in a few dozen connections, where a capture tool's cost is per packet. Captured at the
 * sender.
 */
export function generateBulk(options: { packets: number; seed: number; out: string; segments?: [number, number] }): { packets: number; connections: number; seconds: number } {
  const [fewest, most] = options.segments ?? [20_000, 80_000];
  const rnd = new Random(options.seed);
  const writer = new CaptureWriter(options.out, 'ethernet', 160);
  const heap = new PacketHeap();
  const counter = { order: 0 };
  const BULK_STREAMS = 16, MSS = 1448, HALF_RTT = 100, LOSS = 0.001, RTO = 300;
  const packet = (conn: Endpoints, at: number, dir: 0 | 1, flags: number, seq: number, ack: number, len: number, syn = false): Packet =>
    ({ t: at, order: counter.order++, conn, dir, flags, seq: seq % 4294967296, ack: ack % 4294967296, len, window: 64240, syn });
  interface Stream { conn: Endpoints; next: number; isn: number; peerIsn: number; sent: number; left: number; unacked: number }
  let connections = 0, end = START_US;
  const open = (at: number, slot: number): Stream => {
    const conn: Endpoints = {
      family: 4, client: [0x0a000002 + slot, 0, 0, 0], server: [0x0a000101, 0, 0, 0],
      clientPort: 32768 + ((connections * 7919) % 28000), serverPort: 5432, iface: 0,
    };
    connections++;
    const isn = Math.floor(rnd.next() * 4294967296), peerIsn = Math.floor(rnd.next() * 4294967296);
    heap.push(packet(conn, at, 0, SYN, isn, 0, 0, true));
    heap.push(packet(conn, at + 2 * HALF_RTT, 1, SYN | ACK, peerIsn, isn + 1, 0, true));
    heap.push(packet(conn, at + 2 * HALF_RTT + 5, 0, ACK, isn + 1, peerIsn + 1, 0));
    return { conn, next: at + 2 * HALF_RTT + 10, isn, peerIsn, sent: 0, left: rnd.int(fewest, most), unacked: 0 };
  };
  const streams = Array.from({ length: BULK_STREAMS }, (_, k) => open(START_US + k * 997, k));
  while (writer.written < options.packets) {
    let k = 0;
    for (let i = 1; i < streams.length; i++) if (streams[i].next < streams[k].next) k = i;
    const s = streams[k], t = s.next;
    while (heap.size > 0 && heap.peek().t <= t && writer.written < options.packets) writer.write(heap.pop());
    if (writer.written >= options.packets) break;
    const c = s.conn, seq = s.isn + 1 + s.sent * MSS, peerSeq = s.peerIsn + 1;
    if (s.left === 0) {
      // Everything acknowledged: the sender closes, the receiver closes at once, the last ACK.
      heap.push(packet(c, t, 0, FIN | ACK, seq, peerSeq, 0));
      heap.push(packet(c, t + 2 * HALF_RTT, 1, FIN | ACK, peerSeq, seq + 1, 0));
      heap.push(packet(c, t + 2 * HALF_RTT + 5, 0, ACK, seq + 1, peerSeq + 1, 0));
      end = Math.max(end, t + 2 * HALF_RTT + 5);
      streams[k] = open(t + 1_000 + rnd.int(0, 5_000), k);
      continue;
    }
    heap.push(packet(c, t, 0, PSH | ACK, seq, peerSeq, MSS));
    s.sent++;
    s.left--;
    s.unacked++;
    let next = t + rnd.int(80, 120);
    if (rnd.chance(LOSS)) {
      // Lost past the capture point: no ACK for it until it is sent again.
      heap.push(packet(c, t + RTO, 0, PSH | ACK, seq, peerSeq, MSS));
      heap.push(packet(c, t + RTO + 2 * HALF_RTT, 1, ACK, peerSeq, seq + MSS, 0));
      s.unacked = 0;
      next = t + RTO + 10;
    } else if (s.unacked === 2 || s.left === 0) {
      heap.push(packet(c, t + 2 * HALF_RTT, 1, ACK, peerSeq, seq + MSS, 0));
      s.unacked = 0;
    }
    s.next = next;
    end = Math.max(end, next);
  }
  writer.close();
  return { packets: writer.written, connections, seconds: (end - START_US) / 1e6 };
}

function parseArgs(argv: string[]): GenerateOptions & { flood: boolean; bulk: boolean } {
  const o: Record<string, string> = {};
  const flood = argv.includes('--flood'), bulk = argv.includes('--bulk');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    if (a === '--flood' || a === '--bulk') continue;
    o[a.slice(2)] = argv[++i];
  }
  const packets = Number(o.packets ?? DEFAULT_GENERATE.packets);
  const link = (o.link ?? DEFAULT_GENERATE.link) as Link | 'mix';
  if (link !== 'mix' && !(link in LINKTYPE)) throw new Error(`--link: one of ${Object.keys(LINKTYPE).join(', ')}, mix`);
  return {
    packets, link,
    rate: Number(o.rate ?? DEFAULT_GENERATE.rate),
    seed: Number(o.seed ?? DEFAULT_GENERATE.seed),
    snaplen: Number(o.snaplen ?? DEFAULT_GENERATE.snaplen),
    out: o.out ?? (flood ? `bench/data/flood-${packets}.pcap` : bulk ? `bench/data/bulk-${packets}.pcap`
      : `bench/data/synthetic-${packets}-${link}.${link === 'mix' ? 'pcapng' : 'pcap'}`),
    flood, bulk,
  };
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const r = options.flood ? generateFlood(options) : options.bulk ? generateBulk(options) : generate(options);
  process.stderr.write(`generate: ${r.packets} packets, ${r.connections} connections over ${r.seconds.toFixed(0)} s -> ${options.out} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
