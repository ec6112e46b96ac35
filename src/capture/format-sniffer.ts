// Picks the framer from the first four bytes, by magic and never by file name: captures arrive as
// "-" and as files called .cap, .dmp or nothing at all.

import type { Framer } from './framer.js';
import { PcapFramer, couldBePcapMagic, pcapVariant } from './pcap-framer.js';
import { BT_SHB, PcapngFramer } from './pcapng-framer.js';
import { ProblemKind } from './problem-kinds.js';
import type { ReaderState } from './reader-state.js';

const PCAPNG_MAGIC = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]);

export class FormatSniffer implements Framer {
  private inner: Framer | null = null;

  constructor(private readonly state: ReaderState) {}

  frame(buf: Buffer, start: number, end: number, base: number): number {
    if (this.inner === null) {
      if (end - start < 4) return start;
      this.inner = this.pick(buf, start);
      if (this.inner === null) return start;
    }
    return this.inner.frame(buf, start, end, base);
  }

  finish(buf: Buffer, start: number, end: number, base: number): void {
    if (this.inner !== null) {
      this.inner.finish(buf, start, end, base);
      return;
    }
    const left = end - start;
    if (left === 0) {
      this.state.fail(ProblemKind.EmptyFile, 'the input is empty', 0, null);
    } else if (couldBePcapMagic(buf, start, end) || PCAPNG_MAGIC.subarray(0, left).equals(buf.subarray(start, end))) {
      this.state.fail(ProblemKind.TruncatedHeader, `file ends after ${left} byte(s), inside the file header`, 0, null);
    } else {
      this.state.fail(ProblemKind.NotACapture, `only ${left} byte(s), not a pcap or pcapng file`, 0, null);
    }
  }

  private pick(buf: Buffer, start: number): Framer | null {
    if (buf.readUInt32BE(start) === BT_SHB) return new PcapngFramer(this.state);
    const variant = pcapVariant(buf, start);
    if (variant !== null) return new PcapFramer(this.state, variant);
    this.state.fail(ProblemKind.NotACapture,
      `unknown magic 0x${buf.toString('hex', start, start + 4)}${describeMagic(buf, start)}; ` +
      'not a pcap or pcapng file', 0, null);
    return null;
  }
}

/** Names a few formats people mistake for pcap, so the message says what the file is instead. */
function describeMagic(buf: Buffer, start: number): string {
  const head = buf.toString('latin1', start, start + 4);
  if (head === 'snoo') return ' (looks like a Solaris snoop file)';
  if (head === 'GMBU') return ' (looks like a Microsoft Network Monitor file)';
  if (head === 'XCP\0') return ' (looks like a NetXray / Sniffer file)';
  if (buf[start] === 0x1f && buf[start + 1] === 0x8b) return ' (gzip inside gzip?)';
  if (head === 'PK\u0003\u0004') return ' (looks like a zip archive)';
  if (head === 'BZh9' || head.startsWith('BZh')) return ' (looks like bzip2; decompress it first)';
  if (buf[start] === 0xfd && head.slice(1) === '7zX') return ' (looks like xz; decompress it first)';
  if (buf.readUInt32LE(start) === 0xfd2fb528) return ' (looks like zstd; decompress it first)';
  return '';
}
