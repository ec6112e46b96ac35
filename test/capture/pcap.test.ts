// Classic pcap framing: every magic in both byte orders, libpcap's quirks, and the damage cases
// (cut last record, caplen past the limit) with their exact offsets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PCAP_HEADER_LENGTH, pcapRecordOffsets, pseudoRandomBytes, writePcap, type PcapFileSpec,
} from '../helpers/pcap-writer.js';
import { collect, tempFile } from './collect.js';

function packets(count: number, seed = 1): PcapFileSpec['packets'] {
  return Array.from({ length: count }, (_, i) => ({
    tsSec: 1_700_000_000 + i,
    tsFrac: 1000 * i + 7,
    data: pseudoRandomBytes(40 + 13 * i, seed + i),
  }));
}

describe('classic pcap', () => {
  for (const byteOrder of ['little', 'big'] as const) {
    for (const precision of ['us', 'ns'] as const) {
      it(`reads ${precision} files in ${byteOrder}-endian order`, async () => {
        const spec: PcapFileSpec = { byteOrder, precision, linkType: 113, snaplen: 1500, packets: packets(5) };
        const { info, records } = await collect(tempFile(`p-${byteOrder}-${precision}.pcap`, writePcap(spec)));
        assert.equal(info.error, null);
        assert.deepEqual(info.warnings, []);
        assert.equal(info.format, 'pcap');
        assert.equal(info.byteOrder, byteOrder);
        assert.equal(info.timestampPrecision, precision);
        assert.equal(info.packets, 5);
        assert.deepEqual(info.linkTypes, [113]);
        assert.equal(info.interfaces[0].snaplen, 1500);
        assert.equal(info.interfaces[0].tsUnitsPerSecond, precision === 'us' ? 1e6 : 1e9);
        const offsets = pcapRecordOffsets(spec);
        assert.equal(info.bytesRead, writePcap(spec).length);
        records.forEach((r, i) => {
          const p = spec.packets[i];
          assert.equal(r.packetNumber, i + 1);
          assert.equal(r.fileOffset, offsets[i]);
          assert.equal(r.linkType, 113);
          assert.equal(r.tsSec, p.tsSec);
          assert.equal(r.tsNsec, precision === 'us' ? p.tsFrac * 1000 : p.tsFrac);
          assert.equal(r.capturedLength, p.data.length);
          assert.equal(r.data, Buffer.from(p.data).toString('hex'));
        });
      });
    }
  }

  it("reads the 'modified' magic with its 24-byte record headers", async () => {
    for (const byteOrder of ['little', 'big'] as const) {
      const spec: PcapFileSpec = { byteOrder, modified: true, packets: packets(3) };
      const { info, records } = await collect(tempFile(`mod-${byteOrder}.pcap`, writePcap(spec)));
      assert.equal(info.error, null);
      assert.equal(records.length, 3);
      assert.deepEqual(records.map((r) => r.fileOffset), pcapRecordOffsets(spec));
      assert.equal(records[2].data, Buffer.from(spec.packets[2].data).toString('hex'));
    }
  });

  it('masks the FCS bits out of the LinkType field and reports the FCS length', async () => {
    // F bit (0x04000000) set with FCS length 2 words = 4 bytes, on Ethernet.
    const { info, records } = await collect(tempFile('fcs.pcap', writePcap({ linkType: 0x24000001, packets: packets(1) })));
    assert.deepEqual(info.linkTypes, [1]);
    assert.equal(records[0].linkType, 1);
    assert.equal(info.interfaces[0].fcsLength, 4);
    // Upper bits without the F bit (seen in tcpdump's test files): FCS length unknown.
    const other = await collect(tempFile('fcs2.pcap', writePcap({ linkType: 0x30000001, packets: packets(1) })));
    assert.equal(other.info.interfaces[0].fcsLength, null);
    assert.deepEqual(other.info.linkTypes, [1]);
  });

  it('swaps caplen and len in version 2.2 files as libpcap does', async () => {
    const data = pseudoRandomBytes(60, 3);
    // Written the old way: the caplen field holds the wire length and vice versa.
    const file = writePcap({ versionMinor: 2, packets: [{ tsSec: 1, tsFrac: 0, data, capturedLength: 1500, originalLength: 60 }] });
    const { info, records } = await collect(tempFile('v22.pcap', file));
    assert.equal(info.error, null);
    assert.equal(records[0].capturedLength, 60);
    assert.equal(records[0].originalLength, 1500);
  });

  it('rejects versions libpcap rejects', async () => {
    const { info } = await collect(tempFile('v3.pcap', writePcap({ versionMajor: 3, packets: packets(1) })));
    assert.equal(info.error?.kind, 'unsupported-version');
    assert.equal(info.error?.offset, 4);
  });

  it('accepts caplen > len and caplen above a small snaplen (up to the record limit)', async () => {
    const data = pseudoRandomBytes(300, 9);
    const file = writePcap({ snaplen: 0, packets: [{ tsSec: 1, tsFrac: 0, data, originalLength: 100 }] });
    const { info, records } = await collect(tempFile('odd.pcap', file));
    assert.equal(info.error, null);
    assert.equal(records[0].capturedLength, 300);
    assert.equal(records[0].originalLength, 100);
  });

  it('carries out-of-range fractions into whole seconds', async () => {
    const file = writePcap({ packets: [{ tsSec: 10, tsFrac: 2_500_000, data: Buffer.alloc(4) }] });
    const { records } = await collect(tempFile('frac.pcap', file));
    assert.equal(records[0].tsSec, 12);
    assert.equal(records[0].tsNsec, 500_000_000);
  });

  it('stops at a caplen above the limit, with the exact offset of that record', async () => {
    const spec: PcapFileSpec = { snaplen: 65535, packets: packets(4) };
    spec.packets[2] = { ...spec.packets[2], capturedLength: 262_145 };
    const file = writePcap(spec);
    const offsets = pcapRecordOffsets(spec);
    const { info, records } = await collect(tempFile('caplen.pcap', file), { file: 'caplen.pcap' });
    assert.equal(records.length, 2);
    assert.equal(info.packets, 2);
    assert.equal(info.error?.kind, 'caplen-too-large');
    assert.equal(info.error?.offset, offsets[2]);
    assert.equal(info.error?.packetNumber, 3);
    assert.equal(info.error?.file, 'caplen.pcap');
    assert.equal(info.bytesRead, offsets[2]);
  });

  it('lets a large snaplen raise the limit, and maxRecordLength lower it', async () => {
    const big = pseudoRandomBytes(300_000, 5);
    const file = writePcap({ snaplen: 400_000, packets: [{ tsSec: 1, tsFrac: 0, data: big }] });
    const ok = await collect(tempFile('big.pcap', file));
    assert.equal(ok.info.error, null);
    assert.equal(ok.records[0].capturedLength, 300_000);
    const small = writePcap({ snaplen: 10, packets: packets(3) });
    const limited = await collect(tempFile('small.pcap', small), { maxRecordLength: 50 });
    assert.equal(limited.info.error?.kind, 'caplen-too-large');
    assert.equal(limited.info.packets, 1); // packet 1 is 40 bytes, packet 2 is 53
  });

  it('keeps every packet and warns when the last record is cut inside its data', async () => {
    const spec: PcapFileSpec = { packets: packets(5) };
    const file = writePcap(spec);
    const cut = file.subarray(0, file.length - 10);
    const { info, records } = await collect(tempFile('cut-data.pcap', cut));
    assert.equal(info.error, null);
    assert.equal(records.length, 4);
    assert.equal(info.warnings.length, 1);
    assert.equal(info.warnings[0].kind, 'truncated-record');
    assert.equal(info.warnings[0].offset, pcapRecordOffsets(spec)[4]);
    assert.equal(info.warnings[0].packetNumber, 5);
    assert.equal(info.bytesRead, pcapRecordOffsets(spec)[4]);
  });

  it('warns when the file ends inside the last record header', async () => {
    const spec: PcapFileSpec = { packets: packets(3) };
    const file = writePcap(spec);
    const cut = file.subarray(0, pcapRecordOffsets(spec)[2] + 7);
    const { info, records } = await collect(tempFile('cut-header.pcap', cut));
    assert.equal(info.error, null);
    assert.equal(records.length, 2);
    assert.equal(info.warnings[0].kind, 'truncated-record');
    assert.equal(info.warnings[0].offset, pcapRecordOffsets(spec)[2]);
  });

  it('reports a file cut inside the file header as an error', async () => {
    const file = writePcap({ packets: [] }).subarray(0, 20);
    const { info } = await collect(tempFile('short-header.pcap', file));
    assert.equal(info.error?.kind, 'truncated-header');
    assert.equal(info.error?.offset, 0);
  });

  it('reads a header-only file as zero packets without problems', async () => {
    const { info } = await collect(tempFile('no-packets.pcap', writePcap({ packets: [] })));
    assert.equal(info.error, null);
    assert.equal(info.packets, 0);
    assert.equal(info.bytesRead, PCAP_HEADER_LENGTH);
  });
});
