// Where bytes come from: paths, stdin, streams, gzip (single, multi-member, damaged), and the ways
// opening fails. Every failure is a value in info.error; only the record handler's own exceptions
// escape readCapture.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCapture, type CaptureInfo } from '../../src/capture/index.js';
import { describeIoError } from '../../src/capture/source-io.js';
import { pcapRecordOffsets, pseudoRandomBytes, writePcap, writePcapng, type PcapFileSpec } from '../helpers/pcap-writer.js';
import { collect, tempDirectory, tempFile } from './collect.js';

function spec(count: number, size = 200): PcapFileSpec {
  return {
    packets: Array.from({ length: count }, (_, i) => ({ tsSec: i, tsFrac: i, data: pseudoRandomBytes(size, i + 1) })),
  };
}

describe('capture sources', () => {
  it('reads gzip files, detected by magic whatever the name', async () => {
    const plain = writePcap(spec(50));
    const expected = await collect(tempFile('plain.pcap', plain));
    const gz = gzipSync(plain);
    const { info, records } = await collect(tempFile('compressed.pcap', gz));
    assert.equal(info.error, null);
    assert.equal(info.compression, 'gzip');
    assert.deepEqual(records, expected.records);
    assert.equal(info.bytesRead, plain.length);
    assert.equal(info.sourceBytesRead, gz.length);
  });

  it('reads multi-member gzip files (concatenated members)', async () => {
    const plain = writePcap(spec(40));
    const cuts = [10, 3000, 5000];
    const members = [plain.subarray(0, cuts[0]), plain.subarray(cuts[0], cuts[1]), plain.subarray(cuts[1], cuts[2]), plain.subarray(cuts[2])];
    const gz = Buffer.concat(members.map((m) => gzipSync(m)));
    const expected = await collect(tempFile('multi-plain.pcap', plain));
    const { info, records } = await collect(tempFile('multi.pcap.gz', gz));
    assert.equal(info.error, null);
    assert.deepEqual(records, expected.records);
  });

  it('reports damaged gzip as gzip-error and keeps the packets decoded before the damage', async () => {
    const fileSpec = spec(4000, 300); // ~1.2 MB of incompressible packets
    const plain = writePcap(fileSpec);
    const gz = gzipSync(plain);
    const badCrc = Buffer.from(gz);
    badCrc[gz.length - 8] ^= 0xff; // CRC32 in the member trailer (RFC 1952 section 2.3)
    const { info, records } = await collect(tempFile('bad-crc.pcap.gz', badCrc), { file: 'bad-crc.pcap.gz' });
    assert.equal(info.error?.kind, 'gzip-error');
    assert.equal(info.error?.file, 'bad-crc.pcap.gz');
    // zlib drops the output chunk it was filling; a file is decoded again in 16 KiB chunks past
    // what was framed, so at most 16 KiB is lost: 52 packets of 316 bytes.
    assert.ok(records.length >= 4000 - Math.ceil(16384 / 316), `kept ${records.length} packets`);
    assert.equal(info.packets, records.length);
    assert.equal(info.error?.packetNumber, records.length + 1);
    // The offset is in the decompressed stream, at or after the last good record.
    assert.ok(info.error!.offset >= pcapRecordOffsets(fileSpec)[records.length - 1]);
    // A stream cannot be read again: it loses at most one 64 KiB decoding chunk.
    const streamed = await collect(Readable.from([badCrc]), { file: '-' });
    assert.equal(streamed.info.error?.kind, 'gzip-error');
    assert.ok(streamed.records.length >= 4000 - Math.ceil(65536 / 316), `kept ${streamed.records.length} packets`);
    assert.ok(streamed.records.length <= records.length);
    assert.deepEqual(streamed.records, records.slice(0, streamed.records.length));
  });

  it('reads damaged gzip again from a reread stream, framing past the first reading at most one chunk more', async () => {
    const plain = writePcap(spec(4000, 300));
    const badCrc = Buffer.from(gzipSync(plain));
    badCrc[badCrc.length - 8] ^= 0xff;
    const longer = await collect(tempFile('longer.pcap', writePcap(spec(8000, 300))));
    const first = await collect(Readable.from([badCrc]), { file: '-' });
    assert.equal(first.info.error?.kind, 'gzip-error');
    // Read again, the same bytes: what the first reading dropped comes back, up to 16 KiB short.
    const again = await collect(Readable.from([badCrc]), { file: '-', reread: () => Readable.from([badCrc]) });
    assert.equal(again.info.error?.kind, 'gzip-error');
    assert.ok(again.records.length > first.records.length, `${again.records.length} packets against ${first.records.length}`);
    assert.ok(again.records.length >= 4000 - Math.ceil(16384 / 316), `kept ${again.records.length} packets`);
    assert.deepEqual(again.records, longer.records.slice(0, again.records.length));
    assert.equal(again.info.sourceBytesRead, badCrc.length);
    // Read again, the file has since grown (the same first 4000 packets, then 4000 more): at most
    // one 64 KiB chunk past the first reading, then the first reading's problem.
    const grown = await collect(Readable.from([badCrc]), { file: '-', reread: () => Readable.from([gzipSync(writePcap(spec(8000, 300)))]) });
    assert.equal(grown.info.error?.kind, 'gzip-error');
    assert.ok(grown.info.bytesRead - first.info.bytesRead <= 65536, `${grown.info.bytesRead - first.info.bytesRead} more bytes`);
    assert.ok(grown.records.length > first.records.length);
    assert.deepEqual(grown.records, longer.records.slice(0, grown.records.length));
    // And when it cannot be read again, the problem is still the damage.
    const gone = await collect(Readable.from([badCrc]), { file: '-', reread: () => createReadStream('/nonexistent/finscope-test') });
    assert.equal(gone.info.error?.kind, 'gzip-error');
    assert.deepEqual(gone.records, first.records);
  });

  it('frames every decoded chunk, in order, when the analysis lags the decompression (damaged or not)', async () => {
    // A slow record handler: zlib decodes ahead and its chunks wait their turn (stream-source.ts,
    // PENDING_CHUNKS); a problem must not throw the waiting ones away.
    const plain = writePcap(spec(4000, 300));
    const slowly = async (path: string): Promise<{ info: CaptureInfo; sizes: string[] }> => {
      const sizes: string[] = [];
      const info = await readCapture(path, (r) => {
        sizes.push(`${r.capturedLength} ${r.data.toString('hex', r.offset, r.offset + 8)}`);
        const until = process.hrtime.bigint() + 50_000n;
        while (process.hrtime.bigint() < until);
      }, { file: path });
      return { info, sizes };
    };
    const expected = (await collect(tempFile('lag-plain.pcap', plain))).records.map((r) => `${r.capturedLength} ${r.data.slice(0, 16)}`);
    const whole = await slowly(tempFile('lag.pcap.gz', gzipSync(plain)));
    assert.equal(whole.info.error, null);
    assert.deepEqual(whole.sizes, expected);
    const gz = gzipSync(plain);
    const damagedGz = Buffer.from(gz);
    for (let i = 0; i < 64; i++) damagedGz[Math.floor(gz.length * 0.8) + i] ^= 0x5a;
    const damaged = await slowly(tempFile('lag-damaged.pcap.gz', damagedGz));
    // As with a fast handler (next test): zlib may decode some garbage before it notices.
    assert.ok(['gzip-error', 'caplen-too-large'].includes(damaged.info.error?.kind ?? ''), damaged.info.error?.kind);
    assert.ok(damaged.sizes.length > 3000, `kept ${damaged.sizes.length} packets`);
    assert.deepEqual(damaged.sizes.slice(0, -2), expected.slice(0, damaged.sizes.length - 2));
  });

  it('stops inside damaged deflate data with the packets before the damage', async () => {
    const plain = writePcap(spec(4000, 300));
    const gz = gzipSync(plain);
    const damaged = Buffer.from(gz);
    for (let i = 0; i < 64; i++) damaged[Math.floor(gz.length * 0.8) + i] ^= 0x5a;
    const expected = await collect(tempFile('undamaged.pcap', plain));
    const { info, records } = await collect(tempFile('damaged.pcap.gz', damaged));
    // zlib may decode some garbage before it notices; the framer can trip over that first.
    assert.ok(['gzip-error', 'caplen-too-large'].includes(info.error?.kind ?? ''), info.error?.kind);
    assert.ok(records.length > 3000, `kept ${records.length} packets`);
    const good = records.filter((r, i) => r.data === expected.records[i]?.data).length;
    assert.ok(good >= records.length - 2, 'only the packets next to the damage may differ');
  });

  it('reports a truncated gzip file as gzip-error', async () => {
    const gz = gzipSync(writePcap(spec(100)));
    const { info } = await collect(tempFile('truncated.pcap.gz', gz.subarray(0, gz.length - 100)));
    assert.equal(info.error?.kind, 'gzip-error');
    assert.match(info.error!.message, /truncated/);
  });

  it('reads a stream, plain and gzip, in arbitrary chunks', async () => {
    const plain = writePcap(spec(30));
    const expected = await collect(tempFile('stream-plain.pcap', plain));
    for (const bytes of [plain, gzipSync(plain)]) {
      const chunks: Buffer[] = [];
      for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 3) % 997 + 1) chunks.push(bytes.subarray(at, at + n));
      const { info, records } = await collect(Readable.from(chunks), { file: '-' });
      assert.equal(info.error, null);
      assert.equal(info.file, '-');
      assert.deepEqual(records, expected.records);
      assert.equal(info.sourceBytesRead, bytes.length);
    }
  });

  it("reads stdin when the source is '-'", () => {
    const plain = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 },
      { type: 'epb', interfaceId: 0, timestamp: 5n, data: pseudoRandomBytes(64, 1) },
    ]).bytes;
    const index = new URL('../../src/capture/index.js', import.meta.url).href;
    const script = `import(${JSON.stringify(index)}).then(async (m) => {` +
      `const info = await m.readCapture('-', () => {}, { file: '-' });` +
      `process.stdout.write(JSON.stringify(info)); });`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { input: gzipSync(plain) });
    assert.equal(run.status, 0, run.stderr.toString());
    const info = JSON.parse(run.stdout.toString()) as CaptureInfo;
    assert.equal(info.error, null);
    assert.equal(info.packets, 1);
    assert.equal(info.compression, 'gzip');
  });

  it('reads stdin that is a regular file like a path, from where its descriptor stands', async () => {
    // `finscope report - < capture`: read through descriptor 0 in large reads, not as a stream.
    const plain = writePcap(spec(3000));
    const collectCopy = new URL('./collect.js', import.meta.url).href;
    const script = `import(${JSON.stringify(collectCopy)}).then(async (m) => {` +
      `const r = await m.collect('-', { file: '-', chunkSize: 4096 });` +
      `process.stdout.write(JSON.stringify(r)); });`;
    const viaStdin = (file: string, skip = 0): { info: CaptureInfo; records: unknown[] } => {
      const fd = openSync(file, 'r');
      try {
        // What a caller read before finscope started (`{ head -c N; finscope -; } < file`).
        if (skip > 0) readSync(fd, Buffer.alloc(skip), 0, skip, null);
        const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: [fd, 'pipe', 'pipe'], maxBuffer: 1 << 28 });
        assert.equal(run.status, 0, run.stderr.toString());
        return JSON.parse(run.stdout.toString()) as { info: CaptureInfo; records: unknown[] };
      } finally {
        closeSync(fd);
      }
    };
    const cut = plain.subarray(0, plain.length - 150);
    const junk = Buffer.concat([Buffer.from('not a capture, skipped by the caller'), plain]);
    for (const [name, bytes, skip, compression] of [
      ['plain', plain, 0, null], ['gzip', gzipSync(plain), 0, 'gzip'], ['cut mid-record', cut, 0, null], ['after a prefix the caller read', junk, 36, null],
    ] as const) {
      const file = tempFile(`stdin-${name.replace(/ /g, '-')}.pcap`, bytes);
      const got = viaStdin(file, skip);
      const expected = await collect(tempFile(`path-${name.replace(/ /g, '-')}.pcap`, skip > 0 ? plain : bytes), { file: '-' });
      assert.deepEqual(got.records, expected.records, name);
      assert.equal(got.info.packets, expected.info.packets, name);
      assert.deepEqual(got.info.error, expected.info.error, name);
      assert.equal(got.info.compression, compression, name);
    }
  });

  it('reports a stream error as read-error with the packets before it', async () => {
    const plain = writePcap(spec(10));
    const stream = new PassThrough();
    const reading = collect(stream, { file: 'broken' });
    stream.write(plain.subarray(0, 1000));
    setImmediate(() => stream.destroy(Object.assign(new Error('device went away'), { code: 'EIO' })));
    const { info, records } = await reading;
    assert.equal(info.error?.kind, 'read-error');
    assert.equal(info.error?.offset, 1000);
    assert.equal(records.length, info.packets);
    assert.ok(records.length >= 4);
  });

  it('does not hang on a stream destroyed without an error', async () => {
    const stream = new PassThrough();
    const reading = collect(stream);
    stream.write(writePcap(spec(1)).subarray(0, 30));
    setImmediate(() => stream.destroy());
    const { info } = await reading;
    assert.equal(info.error?.kind, 'read-error');
  });

  it('reports inputs that are not captures', async () => {
    const cases: Array<[string, Uint8Array, string]> = [
      ['empty', new Uint8Array(0), 'empty-file'],
      ['text', Buffer.from('hello, this is not a capture\n'), 'not-a-capture'],
      ['three-bytes', Buffer.from([1, 2, 3]), 'not-a-capture'],
      ['pcap-prefix', Buffer.from([0xd4, 0xc3]), 'truncated-header'],
      ['snoop', Buffer.from('snoop\0\0\0\0\0\0\x02\0\0\0\x04'), 'not-a-capture'],
      ['empty-gzip', gzipSync(Buffer.alloc(0)), 'empty-file'],
    ];
    for (const [name, bytes, kind] of cases) {
      const { info } = await collect(tempFile(name, bytes), { file: name });
      assert.equal(info.error?.kind, kind, name);
      assert.equal(info.error?.offset, 0, name);
      assert.equal(info.error?.file, name, name);
      assert.equal(info.packets, 0);
    }
  });

  it('reports a missing file, a directory and an unreadable file', async () => {
    const missing = await collect('/nonexistent/dir/capture.pcap', { file: 'capture.pcap' });
    assert.equal(missing.info.error?.kind, 'not-found');
    assert.equal(missing.info.error?.file, 'capture.pcap');
    const directory = await collect(tempDirectory());
    assert.equal(directory.info.error?.kind, 'is-directory');
    if (process.getuid?.() !== 0) {
      const locked = tempFile('locked.pcap', writePcap(spec(1)));
      chmodSync(locked, 0o000);
      assert.equal((await collect(locked)).info.error?.kind, 'permission-denied');
    }
  });

  it('maps operating-system errors to problem kinds', () => {
    const kinds = ['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'EISDIR', 'EIO'].map((code) => describeIoError(Object.assign(new Error(code), { code })).kind);
    assert.deepEqual(kinds, ['not-found', 'not-found', 'permission-denied', 'permission-denied', 'is-directory', 'read-error']);
  });

  it('lets exceptions from the record handler propagate, from files and from streams', async () => {
    const plain = writePcap(spec(10));
    const path = tempFile('throws.pcap', plain);
    const boom = (): void => { throw new RangeError('consumer bug'); };
    await assert.rejects(readCapture(path, boom, { file: path }), RangeError);
    await assert.rejects(readCapture(Readable.from([plain]), boom, { file: '-' }), RangeError);
    await assert.rejects(readCapture(tempFile('throws.gz', gzipSync(plain)), boom, { file: 'gz' }), RangeError);
  });

  it('stops at an abort signal and returns what was read', async () => {
    const plain = writePcap(spec(2000));
    const controller = new AbortController();
    let seen = 0;
    const info = await readCapture(tempFile('abort.pcap', plain), () => {
      if (++seen === 10) controller.abort();
    }, { file: 'abort.pcap', chunkSize: 4096, signal: controller.signal });
    assert.ok(info.packets < 2000);
    assert.equal(info.error, null);
    assert.equal(info.warnings.at(-1)?.kind, 'aborted');
    const already = await readCapture(Readable.from([plain]), () => {}, { file: '-', signal: AbortSignal.abort() });
    assert.equal(already.packets, 0);
  });

  it('reports progress after each chunk, with source bytes', async () => {
    const plain = writePcap(spec(100));
    const seen: number[] = [];
    const info = await readCapture(tempFile('progress.pcap', plain), () => {}, {
      file: 'p', chunkSize: 4096, onProgress: (i) => seen.push(i.sourceBytesRead),
    });
    assert.ok(seen.length >= Math.floor(plain.length / 4096));
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
    assert.equal(info.sourceBytesRead, plain.length);
  });

  it('never reads a whole large file into memory', async () => {
    // 64 MiB of 1 KiB packets through 1 MiB chunks: heap growth must stay far below the file size.
    const packet = pseudoRandomBytes(1024, 7);
    const count = 64 * 1024;
    const body = Buffer.alloc(count * (16 + packet.length));
    for (let i = 0; i < count; i++) {
      const at = i * (16 + packet.length);
      body.writeUInt32LE(packet.length, at + 8);
      body.writeUInt32LE(packet.length, at + 12);
      packet.copy(body, at + 16);
    }
    const path = tempFile('large.pcap', Buffer.concat([writePcap({ packets: [] }), body]));
    const before = process.memoryUsage();
    let peak = 0;
    const info = await readCapture(path, () => {}, {
      file: 'large', onProgress: () => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); },
    });
    assert.equal(info.packets, count);
    assert.ok(peak - before.arrayBuffers < 16 * 1024 * 1024, `external memory grew by ${peak - before.arrayBuffers}`);
  });
});
