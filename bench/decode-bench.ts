// Decodes/s over a synthetic buffer of Ethernet/IPv4/TCP frames laid out back to back, as a pcap
// reader would hand them over. Also counts garbage collections during the timed loop: the decoder
// is meant to allocate nothing per packet, so there should be (almost) none.
//
//   npx tsc -p . && node dist/bench/decode-bench.js [seconds]

import { PerformanceObserver } from 'node:perf_hooks';

import { decodePacket, DecodeKind, PacketView, TCP_ACK, TCP_PSH, TCP_SYN } from '../src/decode/index.js';
import { ethernet, ipv4, tcp } from '../test/helpers/frames.js';

const FRAMES = 4096;

function buildCapture(): { data: Buffer; offsets: Uint32Array; lengths: Uint32Array; wireLengths: Uint32Array } {
  const frames: Buffer[] = [];
  const wireLengths = new Uint32Array(FRAMES);
  for (let i = 0; i < FRAMES; i++) {
    const shape = i % 4;
    const segment = shape === 0
      ? tcp({ flags: TCP_SYN, seq: i, options: [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsVal: i, tsEcr: 0 }, { kind: 'nop' }, { kind: 'window-scale', shift: 7 }] })
      : shape === 1
        ? tcp({ flags: TCP_ACK, seq: i, ack: i * 3, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsVal: i, tsEcr: i }] })
        : tcp({ flags: TCP_ACK | TCP_PSH, seq: i, payload: shape === 2 ? 1448 : 100 });
    const frame = ethernet(ipv4({ src: `10.0.${i & 0xff}.1`, dst: '10.1.0.2', payload: segment }), { vlans: i % 8 === 0 ? [{ id: 10 }] : [] });
    // A 96-byte snaplen, as in a headers-only capture, for half of the data frames.
    frames.push(shape === 2 && i % 8 === 2 ? frame.subarray(0, 96) : frame);
    wireLengths[i] = frame.length;
  }
  const offsets = new Uint32Array(FRAMES);
  const lengths = new Uint32Array(FRAMES);
  let at = 0;
  frames.forEach((frame, i) => {
    offsets[i] = at + 16; // leave room for a pcap record header, as in a real file buffer
    lengths[i] = frame.length;
    at += 16 + frame.length;
  });
  const data = Buffer.alloc(at);
  frames.forEach((frame, i) => frame.copy(data, offsets[i]));
  return { data, offsets, lengths, wireLengths };
}

function run(seconds: number): void {
  const { data, offsets, lengths, wireLengths } = buildCapture();
  const view = new PacketView();
  let checksum = 0;
  // Warm up so the JIT has optimised decodePacket before timing.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < FRAMES; i++) checksum += decodePacket(view, 1, data, offsets[i], lengths[i], wireLengths[i]);
  }
  let collections = 0;
  const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
  observer.observe({ entryTypes: ['gc'] });

  let decoded = 0;
  let tcpPayload = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < FRAMES; i++) {
        if (decodePacket(view, 1, data, offsets[i], lengths[i], wireLengths[i]) === DecodeKind.Tcp) tcpPayload += view.payloadLength;
      }
    }
    decoded += 100 * FRAMES;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  // Let the observer deliver entries from the loop before reporting.
  setImmediate(() => {
    observer.disconnect();
    const rate = decoded / elapsed;
    console.log(`decoded ${decoded} frames in ${elapsed.toFixed(2)} s: ${(rate / 1e6).toFixed(1)} M decodes/s ` +
      `(${(1e9 / rate).toFixed(1)} ns each); garbage collections during the loop: ${collections}` +
      ` [checksum ${checksum + tcpPayload}]`);
  });
}

run(Number(process.argv[2] ?? 3));
