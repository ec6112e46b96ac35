// Records that straddle chunk boundaries: whatever the chunk size, and whether bytes come from a
// file or a stream, the reader must produce exactly the same records, warnings and errors.

import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  comment, ifName, ifTsresol, pseudoRandomBytes, writePcap, writePcapng, type PcapngBlockSpec,
} from '../helpers/pcap-writer.js';
import { collect, tempFile, type Collected } from './collect.js';

function pcapngSample(): Buffer {
  const blocks: PcapngBlockSpec[] = [
    { type: 'shb', options: [comment('chunking')] },
    { type: 'idb', linkType: 1, options: [ifName('eth0'), ifTsresol(9)] },
  ];
  for (let i = 0; i < 40; i++) {
    if (i === 20) blocks.push({ type: 'shb', byteOrder: 'big' }, { type: 'idb', linkType: 113 });
    if (i % 7 === 3) blocks.push({ type: 'spb', data: pseudoRandomBytes(i * 3 + 1, i) });
    else if (i % 11 === 5) blocks.push({ type: 'raw', blockType: 5, body: Buffer.alloc(i % 4 * 4) });
    else blocks.push({ type: 'epb', interfaceId: 0, timestamp: 1_700_000_000_000_000_000n + BigInt(i) * 999_999_937n, data: pseudoRandomBytes(i * 5 + 1, i) });
  }
  return writePcapng(blocks).bytes;
}

function pcapSample(): Buffer {
  return writePcap({
    byteOrder: 'big',
    packets: Array.from({ length: 60 }, (_, i) => ({ tsSec: i, tsFrac: i * 17, data: pseudoRandomBytes((i * 37) % 300, i) })),
  });
}

/** Splits bytes into pieces whose sizes cycle through `sizes`. */
function pieces(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; at += sizes[i % sizes.length], i++) {
    out.push(Buffer.from(bytes.subarray(at, at + sizes[i % sizes.length])));
  }
  return out;
}

function comparable(c: Collected): unknown {
  // sourceBytesRead differs between sources by design; everything else must match.
  const { sourceBytesRead: _s, ...rest } = c.info;
  return { info: rest, records: c.records };
}

describe('chunk boundaries', () => {
  const samples: Array<[string, Buffer]> = [
    ['pcap', pcapSample()],
    ['pcapng', pcapngSample()],
    ['pcap cut short', pcapSample().subarray(0, pcapSample().length - 50)],
    ['pcapng cut short', pcapngSample().subarray(0, pcapngSample().length - 9)],
  ];
  for (const [name, bytes] of samples) {
    it(`gives identical results for every chunk size (${name})`, async () => {
      const path = tempFile(`chunks-${name.replace(/ /g, '-')}`, bytes);
      const reference = comparable(await collect(path, { chunkSize: 1 << 20, file: 'x' }));
      for (const chunkSize of [1, 2, 3, 4, 5, 7, 8, 11, 12, 13, 16, 24, 31, 64, 100, 255, 1000, 4096]) {
        assert.deepEqual(comparable(await collect(path, { chunkSize, file: 'x' })), reference, `chunkSize ${chunkSize}`);
      }
    });

    it(`gives identical results for streams split anywhere (${name})`, async () => {
      const reference = comparable(await collect(tempFile('ref', bytes), { file: 'x' }));
      for (const sizes of [[1], [7], [3, 1, 4, 1, 5, 9, 2, 6], [100, 1], [4096]]) {
        const streamed = await collect(Readable.from(pieces(bytes, sizes)), { file: 'x' });
        assert.deepEqual(comparable(streamed), reference, `pieces ${sizes.join(',')}`);
      }
    });
  }

  it('handles records larger than the read headroom (256 KiB) and the chunk size', async () => {
    const sizes = [100, 300_000, 10, 600_000, 70_000, 5];
    const pcap = writePcap({ snaplen: 1_000_000, packets: sizes.map((n, i) => ({ tsSec: i, tsFrac: 0, data: pseudoRandomBytes(n, i) })) });
    const pcapng = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 },
      ...sizes.map((n, i) => ({ type: 'epb' as const, interfaceId: 0, timestamp: BigInt(i), data: pseudoRandomBytes(n, i) })),
    ]).bytes;
    for (const [name, bytes] of [['big.pcap', pcap], ['big.pcapng', pcapng]] as const) {
      const path = tempFile(name, bytes);
      const reference = comparable(await collect(path, { file: 'x' }));
      assert.deepEqual((reference as Collected).records.map((r) => r.capturedLength), sizes);
      for (const chunkSize of [4096, 65_536, 250_000, 1 << 20]) {
        assert.deepEqual(comparable(await collect(path, { chunkSize, file: 'x' })), reference, `${name} chunkSize ${chunkSize}`);
      }
      const streamed = await collect(Readable.from(pieces(bytes, [65_536, 1000])), { file: 'x' });
      assert.deepEqual(comparable(streamed), reference, `${name} streamed`);
    }
  });

  it('reports the same error offset whatever the chunk size', async () => {
    const spec = { packets: Array.from({ length: 20 }, (_, i) => ({ tsSec: i, tsFrac: 0, data: pseudoRandomBytes(50, i) })) };
    spec.packets[13] = { ...spec.packets[13], capturedLength: 0x7fffffff } as typeof spec.packets[number];
    const path = tempFile('chunk-error.pcap', writePcap(spec));
    const offsets = new Set<number>();
    for (const chunkSize of [1, 7, 66, 1 << 20]) offsets.add((await collect(path, { chunkSize })).info.error!.offset);
    assert.deepEqual([...offsets], [24 + 13 * 66]);
  });
});
