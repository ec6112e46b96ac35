// Mutated and truncated captures (real corpus files when present, hand-built ones otherwise) through
// the guarded corpus runner: never a crash or a hang, never more packets than the bytes allow, and
// every problem placed (kind, offset inside the file, file name).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CORPUS_DIR, formatResult, runCorpus } from '../../scripts/corpus-run.js';
import { comment, ifTsresol, pseudoRandomBytes, writePcap, writePcapng } from '../helpers/pcap-writer.js';

/** Smallest unit that can carry a packet: a pcap record header or an SPB (16 bytes). */
const SMALLEST_PACKET_UNIT = 16;

function seeds(): Array<[string, Buffer]> {
  if (existsSync(DEFAULT_CORPUS_DIR)) {
    const names = readdirSync(DEFAULT_CORPUS_DIR).sort();
    // Every pcapng file (fewer, more structure) and every 12th classic file.
    return names.filter((n, i) => n.endsWith('.pcapng') || i % 12 === 0)
      .map((n) => [n, readFileSync(join(DEFAULT_CORPUS_DIR, n))]);
  }
  return [
    ['hand.pcap', writePcap({ packets: Array.from({ length: 20 }, (_, i) => ({ tsSec: i, tsFrac: i, data: pseudoRandomBytes(60 + i, i) })) })],
    ['hand.pcapng', writePcapng([
      { type: 'shb', options: [comment('c')] }, { type: 'idb', linkType: 1, options: [ifTsresol(9)] },
      ...Array.from({ length: 20 }, (_, i) => ({ type: 'epb' as const, interfaceId: 0, timestamp: BigInt(i), data: pseudoRandomBytes(60 + i, i) })),
      { type: 'spb', data: pseudoRandomBytes(30, 99) },
    ]).bytes],
  ];
}

function mutations(bytes: Buffer, seed: number): Buffer[] {
  let x = seed >>> 0 || 1;
  const random = (n: number): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % Math.max(1, n);
  };
  const out: Buffer[] = [];
  for (let i = 0; i < 3; i++) out.push(bytes.subarray(0, random(bytes.length)));
  for (let i = 0; i < 3; i++) {
    const m = Buffer.from(bytes);
    for (let k = 0; k < 1 + random(4); k++) m[random(Math.min(m.length, 200))] ^= 1 << random(8);
    out.push(m);
  }
  for (let i = 0; i < 3; i++) {
    const m = Buffer.from(bytes);
    const values = [0, 0xffffffff, 0x7fffffff, 0x80000000, 11, 12, 13, 0x0a0d0d0a];
    const at = random(Math.max(1, m.length - 4)) & ~3;
    if (at + 4 <= m.length) m.writeUInt32LE(values[random(values.length)], at);
    out.push(m);
  }
  return out;
}

describe('fuzzed captures', () => {
  it('never crash, hang or over-count, and always place their problems', { timeout: 600_000 }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'finscope-fuzz-'));
    try {
      const sizes = new Map<string, number>();
      seeds().forEach(([name, bytes], i) => {
        mutations(bytes, i + 1).forEach((m, j) => {
          const file = `${name}.${j}`;
          writeFileSync(join(dir, file), m);
          sizes.set(file, m.length);
        });
      });
      const summary = await runCorpus(dir, { timeoutMs: 5000 });
      assert.ok(summary !== null);
      const broken = summary.results.filter((r) => r.status === 'crash' || r.status === 'timeout');
      assert.deepEqual(broken.map(formatResult), []);
      for (const r of summary.results) {
        const size = sizes.get(r.file)!;
        assert.ok(r.packets * SMALLEST_PACKET_UNIT <= size, `${r.file}: ${r.packets} packets in ${size} bytes`);
        assert.ok(r.bytes <= size, `${r.file}: consumed ${r.bytes} of ${size} bytes`);
        if (r.problem !== null) {
          assert.ok(r.problem.kind.length > 0);
          assert.equal(r.problem.file, r.file);
          assert.ok(r.problem.offset >= 0 && r.problem.offset <= size, `${r.file}: offset ${r.problem.offset} of ${size}`);
        }
      }
      t.diagnostic(`${summary.results.length} mutated files: ok ${summary.fullyRead}, warning ${summary.withWarning}, ` +
        `error ${summary.withError}, crashed ${summary.crashed}, timed out ${summary.timedOut}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
