// Hostile inputs generated on the fly (never committed): floods of distinct 4-tuples, gzip bombs,
// header chains that never end. Written straight to disk in pieces, so a test can make a file far
// larger than what it could hold in memory.

import { closeSync, openSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/decode/packet-view.js';
import { tcpPacket } from './frames.js';
import { writePcap } from './pcap-writer.js';

/** A classic pcap file header (little-endian, microseconds, Ethernet unless told). */
export function pcapHeader(linkType = 1, snaplen = 65535): Buffer {
  return writePcap({ linkType, snaplen, packets: [] });
}

/**
 * `count` SYNs, each from its own address and port to one server: as many 4-tuples as packets,
 * none ever answered. One second of capture per million packets.
 */
export function writeSynFlood(path: string, count: number): void {
  const frame = tcpPacket({ src: '10.0.0.1', dst: '192.0.2.1', tcp: { flags: TCP_SYN, srcPort: 1024, dstPort: 80 } });
  const record = 16 + frame.length;
  const perWrite = 16_384;
  const buf = Buffer.alloc(record * perWrite);
  for (let k = 0; k < perWrite; k++) {
    buf.writeUInt32LE(frame.length, k * record + 8);
    buf.writeUInt32LE(frame.length, k * record + 12);
    frame.copy(buf, k * record + 16);
  }
  const ipSrc = 14 + 12, tcpSrcPort = 14 + 20;
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, pcapHeader());
    for (let i = 0; i < count; i += perWrite) {
      const n = Math.min(perWrite, count - i);
      for (let k = 0; k < n; k++) {
        const j = i + k, at = k * record;
        buf.writeUInt32LE(1_700_000_000 + Math.floor(j / 1e6), at);
        buf.writeUInt32LE(j % 1e6, at + 4);
        buf.writeUInt32BE((0x0a000000 + Math.floor(j / 50_000)) >>> 0, at + 16 + ipSrc);
        buf.writeUInt16BE(1024 + (j % 50_000), at + 16 + tcpSrcPort);
      }
      writeSync(fd, buf, 0, n * record);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A gzip file whose content is `prefix` and then `zeroMiB` MiB of zero bytes, as many gzip members
 * of 16 MiB of zeros each (zlib reads members one after another as one stream). 10 GiB of zeros
 * is about 10 MB on disk.
 */
export function writeGzipBomb(path: string, prefix: Buffer, zeroMiB: number): void {
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
  const fd = openSync(path, 'w');
  try {
    if (prefix.length > 0) writeSync(fd, gzipSync(prefix));
    for (let i = 0; i < zeroMiB / 16; i++) writeSync(fd, member);
  } finally {
    closeSync(fd);
  }
}

/** An Ethernet frame of `length` bytes that is 802.1Q tags from byte 12 to its end. */
export function endlessVlanFrame(length: number): Buffer {
  const frame = Buffer.alloc(length);
  for (let at = 12; at + 4 <= length; at += 4) {
    frame.writeUInt16BE(at % 8 === 0 ? 0x88a8 : 0x8100, at);
    frame.writeUInt16BE(1, at + 2);
  }
  return frame;
}

/** An Ethernet frame holding IPv6 whose extension headers (8 bytes each) go on to its end. */
export function endlessIpv6ChainFrame(length: number): Buffer {
  const frame = Buffer.alloc(length);
  frame.writeUInt16BE(0x86dd, 12);
  frame[14] = 0x60;
  frame.writeUInt16BE(Math.min(0xffff, length - 54), 18);
  frame[20] = 0; // hop-by-hop first, then destination options and routing headers, never TCP
  frame[21] = 64;
  const kinds = [60, 43, 60, 60];
  for (let at = 54, k = 0; at + 8 <= length; at += 8, k++) frame[at] = kinds[k % kinds.length];
  return frame;
}

/** `count` copies of `frame` in a pcap (snaplen large enough for it). */
export function writeFrames(path: string, frame: Buffer, count: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, pcapHeader(1, Math.max(65535, frame.length)));
    const head = Buffer.alloc(16);
    for (let i = 0; i < count; i++) {
      head.writeUInt32LE(1_700_000_000 + i, 0);
      head.writeUInt32LE(0, 4);
      head.writeUInt32LE(frame.length, 8);
      head.writeUInt32LE(frame.length, 12);
      writeSync(fd, head);
      writeSync(fd, frame);
    }
  } finally {
    closeSync(fd);
  }
}

/** What fills one connection after its handshake in writeConnectionStorm. */
export type StormKind = 'moving-resets' | 'data-after-fin' | 'unseen-acks';

/**
 * One connection, 10.0.0.1:40000 -> 192.0.2.1:80: a handshake, then `count` packets of one kind,
 * a millisecond apart. 'moving-resets': client RSTs, each with its own sequence number (a blind
 * reset attack); 'data-after-fin': the client's FIN, then 10-byte segments past it that the server
 * never acknowledges; 'unseen-acks': client ACKs of server data the capture never shows (a capture
 * of one direction of a download). Checksums are left as the first packet of the kind had them.
 */
export function writeConnectionStorm(path: string, kind: StormKind, count: number): void {
  const client = { src: '10.0.0.1', dst: '192.0.2.1' }, server = { src: '192.0.2.1', dst: '10.0.0.1' };
  const head = [
    tcpPacket({ ...client, tcp: { flags: TCP_SYN, seq: 1000 } }),
    tcpPacket({ ...server, tcp: { flags: TCP_SYN | TCP_ACK, srcPort: 80, dstPort: 40000, seq: 5000, ack: 1001 } }),
    tcpPacket({ ...client, tcp: { flags: TCP_ACK, seq: 1001, ack: 5001 } }),
  ];
  if (kind === 'data-after-fin') head.push(tcpPacket({ ...client, tcp: { flags: TCP_FIN | TCP_ACK, seq: 1001, ack: 5001 } }));
  const frame = kind === 'moving-resets' ? tcpPacket({ ...client, tcp: { flags: TCP_RST, seq: 1001 } })
    : kind === 'data-after-fin' ? tcpPacket({ ...client, tcp: { flags: TCP_ACK | TCP_PSH, seq: 1002, ack: 5001, payload: 10 } })
      : tcpPacket({ ...client, tcp: { flags: TCP_ACK, seq: 1001, ack: 5001 } });
  const seqAt = 14 + 20 + 4, ackAt = seqAt + 4;
  const fd = openSync(path, 'w');
  let t = 0;
  const record = (data: Buffer): Buffer => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + Math.floor(t / 1000), 0);
    h.writeUInt32LE((t % 1000) * 1000, 4);
    h.writeUInt32LE(data.length, 8);
    h.writeUInt32LE(data.length, 12);
    t++;
    return Buffer.concat([h, data]);
  };
  try {
    writeSync(fd, pcapHeader());
    for (const f of head) writeSync(fd, record(f));
    const perWrite = 16_384;
    for (let i = 0; i < count; i += perWrite) {
      const parts: Buffer[] = [];
      for (let k = i; k < Math.min(count, i + perWrite); k++) {
        const f = Buffer.from(frame);
        if (kind === 'moving-resets') f.writeUInt32BE((1001 + k * 7919) >>> 0, seqAt);
        else if (kind === 'data-after-fin') f.writeUInt32BE(1002 + k * 10, seqAt);
        else f.writeUInt32BE(5001 + (k + 1) * 1448, ackAt);
        parts.push(record(f));
      }
      writeSync(fd, Buffer.concat(parts));
    }
  } finally {
    closeSync(fd);
  }
}
