// A deterministic synthetic capture for the benchmark: many short connections over a small client
// port range (so 4-tuples are reused), IPv4 and IPv6, and a mix of closes that produces findings:
// client-first and server-first closes, lost final ACKs (FIN retransmitted from LAST_ACK),
// abortive closes (RST, no FIN) and missing peer FINs. Written as classic pcap, Ethernet, in
// 4 MiB batches: a 3 M-packet file never sits in memory.

import { createWriteStream } from 'node:fs';

const ETH = 14, IP4 = 20, IP6 = 40, TCP = 20;
const F = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };

/** One packet: everything the frame builder needs. */
interface Pkt { t: number; v6: boolean; fromClient: boolean; cport: number; seq: number; ack: number; flags: number; len: number; cli: number }

// Like a real stack, every IPv4 packet gets its own ID: a retransmission is not a duplicate frame.
let ipId = 0;
function nextIpId(): number {
  ipId = (ipId + 1) & 0xffff;
  return ipId;
}

function frame(p: Pkt): Buffer {
  const ipLen = (p.v6 ? IP6 : IP4) + TCP + p.len;
  const b = Buffer.alloc(ETH + ipLen);
  b.writeUInt16BE(p.v6 ? 0x86dd : 0x0800, 12);
  let o = ETH;
  const client = p.cli, server = 0x0a000001;
  const [src, dst] = p.fromClient ? [client, server] : [server, client];
  if (p.v6) {
    b[o] = 0x60; b.writeUInt16BE(TCP + p.len, o + 4); b[o + 6] = 6; b[o + 7] = 64;
    b.writeUInt32BE(0xfd000000, o + 8); b.writeUInt32BE(src, o + 20);
    b.writeUInt32BE(0xfd000000, o + 24); b.writeUInt32BE(dst, o + 36);
    o += IP6;
  } else {
    b[o] = 0x45; b.writeUInt16BE(ipLen, o + 2); b.writeUInt16BE(nextIpId(), o + 4);
    b[o + 6] = 0x40; b[o + 8] = 64; b[o + 9] = 6; b.writeUInt32BE(src, o + 12); b.writeUInt32BE(dst, o + 16);
    o += IP4;
  }
  b.writeUInt16BE(p.fromClient ? p.cport : 80, o);
  b.writeUInt16BE(p.fromClient ? 80 : p.cport, o + 2);
  b.writeUInt32BE(p.seq >>> 0, o + 4);
  b.writeUInt32BE(p.ack >>> 0, o + 8);
  b[o + 12] = 0x50;
  b[o + 13] = p.flags;
  b.writeUInt16BE(64240, o + 14);
  return b;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The packets of one connection, starting at time t (µs). */
function connection(t: number, cport: number, cli: number, v6: boolean, kind: number, isn: number): Pkt[] {
  const c = isn, s = (isn * 7 + 12345) >>> 0;
  const P = (dt: number, fromClient: boolean, seq: number, ack: number, flags: number, len = 0): Pkt =>
    ({ t: t + dt, v6, fromClient, cport, seq, ack, flags, len, cli });
  const out = [
    P(0, true, c, 0, F.SYN),
    P(40, false, s, c + 1, F.SYN | F.ACK),
    P(80, true, c + 1, s + 1, F.ACK),
    P(100, true, c + 1, s + 1, F.PSH | F.ACK, 100),
    P(300, false, s + 1, c + 101, F.PSH | F.ACK, 400),
    P(340, true, c + 101, s + 401, F.ACK),
  ];
  if (kind < 50) {            // client closes first, 3-segment close
    out.push(P(500, true, c + 101, s + 401, F.FIN | F.ACK), P(540, false, s + 401, c + 102, F.FIN | F.ACK), P(580, true, c + 102, s + 402, F.ACK));
  } else if (kind < 85) {     // server closes first
    out.push(P(500, false, s + 401, c + 101, F.FIN | F.ACK), P(540, true, c + 101, s + 402, F.FIN | F.ACK), P(580, false, s + 402, c + 102, F.ACK));
  } else if (kind < 92) {     // lost final ACK: the server's FIN again 200 ms later, re-acknowledged
    out.push(P(500, true, c + 101, s + 401, F.FIN | F.ACK), P(540, false, s + 401, c + 102, F.FIN | F.ACK), P(580, true, c + 102, s + 402, F.ACK),
      P(200_540, false, s + 401, c + 102, F.FIN | F.ACK), P(200_580, true, c + 102, s + 402, F.ACK));
  } else if (kind < 97) {     // abortive close
    out.push(P(500, true, c + 101, s + 401, F.RST | F.ACK));
  } else {                    // the server never sends its FIN
    out.push(P(500, true, c + 101, s + 401, F.FIN | F.ACK), P(540, false, s + 401, c + 102, F.ACK));
  }
  return out;
}

/** Writes about `packets` packets to `path`; returns the packet and connection counts. */
export async function generate(path: string, packets: number, seed = 1): Promise<{ packets: number; connections: number }> {
  const random = rng(seed);
  const out = createWriteStream(path);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0); header.writeUInt16LE(2, 4); header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16); header.writeUInt32LE(1, 20);
  out.write(header);
  const t0 = 1_700_000_000_000_000;
  // Connections overlap: a new one every 50 µs, each lasting under a millisecond (the lost-ACK ones
  // 200 ms), over 4 096 client ports x 16 clients, so each 4-tuple comes back every ~3 s.
  let written = 0, conns = 0, batch: Buffer[] = [], batchBytes = 0;
  const pending: Pkt[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    if (!out.write(Buffer.concat(batch))) await new Promise<void>((r) => out.once('drain', () => r()));
    batch = []; batchBytes = 0;
  };
  const emit = (p: Pkt): void => {
    const f = frame(p);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.t / 1e6), 0); rec.writeUInt32LE(p.t % 1e6, 4);
    rec.writeUInt32LE(f.length, 8); rec.writeUInt32LE(f.length, 12);
    batch.push(rec, f); batchBytes += 16 + f.length; written++;
  };
  // Near packets (within a millisecond of their connection's start) are few at a time; the late
  // FIN retransmissions come 200 ms later in connection order, so a FIFO keeps them sorted.
  const far: Pkt[] = [];
  let farHead = 0;
  const release = (before: number): void => {
    pending.sort((a, b) => a.t - b.t);
    let i = 0;
    while (i < pending.length && pending[i].t < before) {
      while (farHead < far.length && far[farHead].t <= pending[i].t) emit(far[farHead++]);
      emit(pending[i++]);
    }
    pending.splice(0, i);
    while (farHead < far.length && far[farHead].t < before) emit(far[farHead++]);
    if (farHead > 65536) { far.splice(0, farHead); farHead = 0; }
  };
  while (written < packets) {
    const t = t0 + conns * 50;
    const kind = Math.floor(random() * 100);
    const cport = 32768 + (conns % 4096);
    const cli = 0x0a010000 + ((conns >> 12) % 16);
    for (const p of connection(t, cport, cli, conns % 10 === 0, kind, Math.floor(random() * 0xffffffff))) {
      (p.t - t > 10_000 ? far : pending).push(p);
    }
    conns++;
    release(t);
    if (batchBytes > 4 << 20) await flush();
  }
  release(Infinity);
  await flush();
  await new Promise<void>((r) => out.end(() => r()));
  return { packets: written, connections: conns };
}
