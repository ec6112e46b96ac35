// The floor under any report: finscope's own reader over a capture doing less and less per packet,
// each step timed alone. Framing only, then decoding, then the 4-tuple hash, then one Map lookup
// per packet counting packets by that hash (no connection followed, nothing judged or written).
// With the size of the JSON report, it tells how far a per-packet target is reachable: on the
// real 3 M-packet capture these steps take 0.16, 0.24, 0.30 and 0.45 s, and its 814 MB report
// takes another 1.2-1.3 s to write, past the 1.5 s that 2 M packets a second allow (README,
// Benchmark).
//
//   npm run build && node dist/bench/floor.js [capture]   (default bench/data/real-3000000.pcap)

import { performance } from 'node:perf_hooks';
import { readCapture } from '../src/capture/index.js';
import { decodePacket, DecodeKind, PacketView } from '../src/decode/index.js';
import { tupleHash } from '../src/flow/tuple-index.js';

type Step = 'frame' | 'decode' | 'hash' | 'lookup';
const STEPS: Step[] = ['frame', 'decode', 'hash', 'lookup'];

async function run(file: string, step: Step): Promise<{ packets: number; seconds: number; keys: number }> {
  const view = new PacketView();
  const counts = new Map<number, number>();
  let packets = 0, mix = 0;
  const started = performance.now();
  await readCapture(file, (rec) => {
    packets++;
    if (step === 'frame') return;
    decodePacket(view, rec.linkType, rec.data, rec.offset, rec.capturedLength, rec.originalLength);
    if (step === 'decode' || view.kind !== DecodeKind.Tcp) return;
    const h = tupleHash(view);
    mix ^= h;
    if (step === 'hash') return;
    counts.set(h, (counts.get(h) ?? 0) + 1);
  }, { file });
  const seconds = (performance.now() - started) / 1000;
  // Keeps the work observable, so that none of it can be left out.
  if (mix === 0.5) console.log(mix);
  return { packets, seconds, keys: counts.size };
}

async function main(): Promise<void> {
  const file = process.argv[2] ?? 'bench/data/real-3000000.pcap';
  // Once untimed, so that the file is in the page cache and the code compiled; then each step's best of 3.
  await run(file, 'lookup');
  console.log(`# ${file}\n\nstep      packets    wall   packets/s`);
  for (const step of STEPS) {
    let r = await run(file, step);
    for (let k = 0; k < 2; k++) {
      const again = await run(file, step);
      if (again.seconds < r.seconds) r = again;
    }
    console.log(`${step.padEnd(8)} ${String(r.packets).padStart(8)}  ${r.seconds.toFixed(2)} s  ${(r.packets / r.seconds / 1e6).toFixed(1)} M/s` +
      (step === 'lookup' ? `  (${r.keys} distinct hashes)` : ''));
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
