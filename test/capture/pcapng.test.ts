// pcapng framing: sections and byte order, interface options, the three packet block types, and
// every way a block can be damaged, each with the offset it must be reported at.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  comment, ifDescription, ifFcslen, ifName, ifTsoffset, ifTsresol, pseudoRandomBytes, writePcapng,
  type PcapngBlockSpec,
} from '../helpers/pcap-writer.js';
import { collect, tempFile } from './collect.js';

const T0 = 1_700_000_000n;

type EpbSpec = Extract<PcapngBlockSpec, { type: 'epb' }>;

function epb(interfaceId: number, timestamp: bigint, length: number, seed: number): EpbSpec {
  return { type: 'epb', interfaceId, timestamp, data: pseudoRandomBytes(length, seed) };
}

describe('pcapng', () => {
  it('reads several sections whose byte order changes, with interfaces reset per section', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb', byteOrder: 'little', options: [comment('first section')] },
      { type: 'idb', linkType: 1, snaplen: 65535, options: [ifName('eth0')] },
      { type: 'idb', linkType: 113 },
      epb(0, T0 * 1_000_000n + 1n, 60, 1),
      epb(1, T0 * 1_000_000n + 2n, 61, 2),
      { type: 'shb', byteOrder: 'big', options: [comment('second section')] },
      { type: 'idb', linkType: 276, options: [ifName('any')] },
      epb(0, T0 * 1_000_000n + 3n, 62, 3),
    ]);
    const { info, records } = await collect(tempFile('sections.pcapng', bytes));
    assert.equal(info.error, null);
    assert.deepEqual(info.warnings, []);
    assert.equal(info.format, 'pcapng');
    assert.equal(info.byteOrder, 'little');
    assert.equal(info.sections, 2);
    assert.equal(info.timestampPrecision, 'us');
    assert.deepEqual(info.linkTypes, [1, 113, 276]);
    assert.deepEqual(info.comments, ['first section', 'second section']);
    assert.deepEqual(info.interfaces.map((i) => [i.name, i.linkType, i.section]), [['eth0', 1, 0], [null, 113, 0], ['any', 276, 1]]);
    assert.deepEqual(records.map((r) => [r.interfaceId, r.interfaceIndex, r.linkType]), [[0, 0, 1], [1, 1, 113], [0, 2, 276]]);
    assert.deepEqual(records.map((r) => r.fileOffset), [offsets[3], offsets[4], offsets[7]]);
    assert.deepEqual(records.map((r) => r.tsNsec), [1000, 2000, 3000]);
    assert.equal(records[2].data, pseudoRandomBytes(62, 3).toString('hex'));
    assert.equal(info.bytesRead, bytes.length);
  });

  it('forgets the previous section\'s interfaces', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, { type: 'idb', linkType: 1 }, epb(1, 0n, 10, 1),
      { type: 'shb', byteOrder: 'big' }, { type: 'idb', linkType: 1 }, epb(1, 0n, 10, 2),
    ]);
    const { info, records } = await collect(tempFile('reset.pcapng', bytes));
    assert.equal(records.length, 1);
    assert.equal(info.error?.kind, 'bad-interface-id');
    assert.equal(info.error?.offset, offsets[6]);
    assert.equal(info.error?.packetNumber, 2);
  });

  it('applies if_tsresol 10^-9 exactly, even above 2^53 units', async () => {
    const ts = 1_700_000_000_123_456_789n;
    const { bytes } = writePcapng([
      { type: 'shb', byteOrder: 'big' },
      { type: 'idb', linkType: 1, options: [ifTsresol(9)] },
      epb(0, ts, 20, 1),
      epb(0, 0xffff_ffff_ffff_ffffn, 20, 2),
    ]);
    const { info, records } = await collect(tempFile('ns.pcapng', bytes));
    assert.equal(info.timestampPrecision, 'ns');
    assert.equal(info.interfaces[0].tsUnitsPerSecond, 1e9);
    assert.deepEqual([records[0].tsSec, records[0].tsNsec], [1_700_000_000, 123_456_789]);
    assert.deepEqual([records[1].tsSec, records[1].tsNsec], [18_446_744_073, 709_551_615]);
  });

  it('applies if_tsresol 2^-20 and a negative if_tsoffset', async () => {
    const units = 1n << 20n;
    const { bytes } = writePcapng([
      { type: 'shb' },
      { type: 'idb', linkType: 1, options: [ifTsresol(0x80 | 20), ifTsoffset(-3600n)] },
      epb(0, T0 * units + units / 2n, 20, 1),
      epb(0, T0 * units + 1n, 20, 2),
    ]);
    const { info, records } = await collect(tempFile('pow2.pcapng', bytes));
    assert.equal(info.timestampPrecision, 'other');
    assert.equal(info.interfaces[0].tsUnitsPerSecond, 1_048_576);
    assert.equal(info.interfaces[0].tsOffsetSeconds, -3600);
    assert.deepEqual([records[0].tsSec, records[0].tsNsec], [1_700_000_000 - 3600, 500_000_000]);
    // One unit is 953.674... ns: floor.
    assert.deepEqual([records[1].tsSec, records[1].tsNsec], [1_700_000_000 - 3600, 953]);
  });

  it('reads Simple Packet Blocks: interface 0, previous timestamp, caplen cut by snaplen', async () => {
    const { bytes } = writePcapng([
      { type: 'shb' },
      { type: 'idb', linkType: 1, snaplen: 50 },
      { type: 'spb', data: pseudoRandomBytes(40, 1) },
      epb(0, T0 * 1_000_000n + 5n, 30, 2),
      // Original length 1500, but only 50 bytes kept (snaplen) and written.
      { type: 'spb', data: pseudoRandomBytes(50, 3), originalLength: 1500 },
      // Original length smaller than the block's room: the rest is padding.
      { type: 'spb', data: pseudoRandomBytes(48, 4), originalLength: 45 },
    ]);
    const { info, records } = await collect(tempFile('spb.pcapng', bytes));
    assert.equal(info.error, null);
    assert.equal(records.length, 4);
    assert.deepEqual([records[0].tsSec, records[0].tsNsec], [0, 0]);
    assert.deepEqual([records[2].tsSec, records[2].tsNsec], [1_700_000_000, 5000]);
    assert.deepEqual([records[2].capturedLength, records[2].originalLength], [50, 1500]);
    assert.equal(records[2].data, pseudoRandomBytes(50, 3).toString('hex'));
    assert.deepEqual([records[3].capturedLength, records[3].originalLength], [45, 45]);
    assert.equal(records[3].data, pseudoRandomBytes(48, 4).subarray(0, 45).toString('hex'));
  });

  it('rejects a Simple Packet Block before any interface', async () => {
    const { bytes, offsets } = writePcapng([{ type: 'shb' }, { type: 'spb', data: Buffer.alloc(8) }]);
    const { info } = await collect(tempFile('spb-noif.pcapng', bytes));
    assert.equal(info.error?.kind, 'bad-interface-id');
    assert.equal(info.error?.offset, offsets[1]);
  });

  it('reads the obsolete Packet Block', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb', byteOrder: 'big' },
      { type: 'idb', linkType: 1 },
      { type: 'idb', linkType: 9, options: [ifTsresol(3)] },
      { type: 'pb', interfaceId: 1, timestamp: T0 * 1000n + 250n, data: pseudoRandomBytes(33, 1), originalLength: 99, drops: 4 },
    ]);
    const { info, records } = await collect(tempFile('pb.pcapng', bytes));
    assert.equal(info.error, null);
    assert.deepEqual(records[0], {
      packetNumber: 1, fileOffset: offsets[3], linkType: 9, interfaceId: 1, interfaceIndex: 1,
      tsSec: 1_700_000_000, tsNsec: 250_000_000, capturedLength: 33, originalLength: 99,
      data: pseudoRandomBytes(33, 1).toString('hex'),
    });
  });

  it('skips unknown, statistics, name resolution and custom blocks by their length', async () => {
    const { bytes } = writePcapng([
      { type: 'shb' },
      { type: 'raw', blockType: 0x0bad, body: Buffer.alloc(20, 0xee) },
      { type: 'idb', linkType: 1 },
      { type: 'raw', blockType: 4, body: Buffer.alloc(4) }, // NRB with only nrb_record_end
      epb(0, 1n, 16, 1),
      { type: 'raw', blockType: 5, body: Buffer.alloc(12) }, // ISB
      { type: 'raw', blockType: 0x80000001, body: Buffer.alloc(8, 1) }, // local use
      { type: 'raw', blockType: 0x00000bad, body: Buffer.alloc(0) }, // empty body: 12 bytes
      epb(0, 2n, 16, 2),
    ]);
    const { info, records } = await collect(tempFile('unknown.pcapng', bytes));
    assert.equal(info.error, null);
    assert.equal(records.length, 2);
    assert.equal(info.bytesRead, bytes.length);
  });

  it('sanitises comments, if_name and if_description', async () => {
    const { bytes } = writePcapng([
      { type: 'shb', options: [comment('evil\u001b[2J\u001b]0;title\u0007 comment\r\nline two\u0000')] },
      { type: 'idb', linkType: 1, options: [
        ifName('eth\u202e0\u0007'), ifDescription('desc\u009b31m\u007f!'), comment('if \u2066comment\u2069'), ifFcslen(4),
      ] },
    ]);
    const { info } = await collect(tempFile('text.pcapng', bytes));
    assert.deepEqual(info.comments, ['evil comment line two', 'if comment']);
    assert.equal(info.interfaces[0].name, 'eth0');
    assert.equal(info.interfaces[0].description, 'desc!');
    assert.equal(info.interfaces[0].fcsLength, 4);
  });

  it('stops at a block length that is not a multiple of 4', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 20, 1), { ...epb(0, 2n, 20, 2), totalLength: 54 }, epb(0, 3n, 20, 3),
    ]);
    const { info, records } = await collect(tempFile('len4.pcapng', bytes));
    assert.equal(records.length, 1);
    assert.equal(info.error?.kind, 'bad-block-length');
    assert.equal(info.error?.offset, offsets[3]);
    assert.equal(info.bytesRead, offsets[3]);
  });

  it('stops at a block length below the minimum for its type', async () => {
    const { bytes, offsets } = writePcapng([{ type: 'shb' }, { type: 'idb', linkType: 1, totalLength: 16 }]);
    const { info } = await collect(tempFile('len-min.pcapng', bytes));
    assert.equal(info.error?.kind, 'bad-block-length');
    assert.equal(info.error?.offset, offsets[1]);
  });

  it('stops at a non-packet block running past the end of the file', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 20, 1), { type: 'raw', blockType: 5, body: Buffer.alloc(8), totalLength: 4096 },
    ]);
    const { info, records } = await collect(tempFile('past-eof.pcapng', bytes));
    assert.equal(records.length, 1);
    assert.equal(info.error?.kind, 'bad-block-length');
    assert.equal(info.error?.offset, offsets[3]);
  });

  it('stops at an absurd block length before buffering it', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, { ...epb(0, 1n, 20, 1), totalLength: 0x7ffffff0 },
    ]);
    const { info } = await collect(tempFile('huge.pcapng', bytes));
    assert.equal(info.error?.kind, 'bad-block-length');
    assert.equal(info.error?.offset, offsets[2]);
  });

  it('stops at a trailer that disagrees with the header', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 20, 1), { ...epb(0, 2n, 20, 2), trailerLength: 48 },
    ]);
    const { info, records } = await collect(tempFile('trailer.pcapng', bytes));
    assert.equal(records.length, 1);
    assert.equal(info.error?.kind, 'bad-block-trailer');
    assert.equal(info.error?.offset, offsets[3]);
  });

  it('warns and keeps earlier packets when the last packet block is cut', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 100, 1), epb(0, 2n, 100, 2),
    ]);
    for (const cutAt of [offsets[3] + 3, offsets[3] + 10, offsets[3] + 40, bytes.length - 1]) {
      const { info, records } = await collect(tempFile('cut.pcapng', bytes.subarray(0, cutAt)));
      assert.equal(info.error, null, `cut at ${cutAt}`);
      assert.equal(records.length, 1);
      assert.equal(info.warnings[0].kind, 'truncated-record');
      assert.equal(info.warnings[0].offset, offsets[3]);
      assert.equal(info.warnings[0].packetNumber, 2);
    }
  });

  it('reports a file cut inside the first section header as truncated-header', async () => {
    const { bytes } = writePcapng([{ type: 'shb', options: [comment('x')] }]);
    const { info } = await collect(tempFile('cut-shb.pcapng', bytes.subarray(0, 20)));
    assert.equal(info.error?.kind, 'truncated-header');
  });

  it('stops at an EPB whose caplen is larger than its block', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 }, { ...epb(0, 1n, 20, 1), capturedLength: 200 },
    ]);
    const { info } = await collect(tempFile('epb-room.pcapng', bytes));
    assert.equal(info.error?.kind, 'caplen-exceeds-block');
    assert.equal(info.error?.offset, offsets[2]);
    assert.equal(info.error?.packetNumber, 1);
  });

  it('stops at an interface id out of range', async () => {
    const { bytes, offsets } = writePcapng([{ type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 8, 1), epb(7, 1n, 8, 2)]);
    const { info, records } = await collect(tempFile('ifid.pcapng', bytes));
    assert.equal(records.length, 1);
    assert.equal(info.error?.kind, 'bad-interface-id');
    assert.equal(info.error?.offset, offsets[3]);
  });

  it('stops at a bad byte-order magic and at an unknown major version', async () => {
    const good = writePcapng([{ type: 'shb' }, { type: 'idb', linkType: 1 }, epb(0, 1n, 8, 1)]);
    const badMagic = Buffer.from(good.bytes);
    badMagic.writeUInt32LE(0x12345678, 8);
    assert.equal((await collect(tempFile('bom.pcapng', badMagic))).info.error?.kind, 'bad-section-header');
    const v2 = writePcapng([{ type: 'shb', versionMajor: 2 }, { type: 'idb', linkType: 1 }]);
    assert.equal((await collect(tempFile('v2.pcapng', v2.bytes))).info.error?.kind, 'unsupported-version');
  });

  it('warns about a malformed option list and keeps the options before it', async () => {
    const idbBody = Buffer.alloc(8 + 8 + 4);
    idbBody.writeUInt16LE(1, 0); // linktype
    idbBody.writeUInt16LE(2, 8); // if_name
    idbBody.writeUInt16LE(3, 10);
    idbBody.write('eth', 12);
    idbBody.writeUInt16LE(3, 16); // if_description claiming 200 bytes
    idbBody.writeUInt16LE(200, 18);
    const { bytes } = writePcapng([{ type: 'shb' }, { type: 'raw', blockType: 1, body: idbBody }, epb(0, 1n, 8, 1)]);
    const { info, records } = await collect(tempFile('opts.pcapng', bytes));
    assert.equal(info.error, null);
    assert.equal(records.length, 1);
    assert.equal(info.interfaces[0].name, 'eth');
    assert.equal(info.warnings[0].kind, 'bad-options');
  });
});
