// --merge: pieces of one capture (rotated by packet count, or interleaved as from several capture
// points) analysed as one capture give the report of the whole; and the pull reader under it reads
// every file exactly as readCapture does, whatever the chunk size.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCapture } from '../../src/capture/index.js';
import { PullReader } from '../../src/capture/pull.js';
import { writePcap, type PcapPacketSpec } from '../helpers/pcap-writer.js';
import { buildTree, capture, run, tempDir } from './fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function packetsOf(file: string): Promise<PcapPacketSpec[]> {
  const out: PcapPacketSpec[] = [];
  await readCapture(file, (r) => {
    out.push({ tsSec: r.tsSec, tsFrac: Math.floor(r.tsNsec / 1000), data: Buffer.from(r.data.subarray(r.offset, r.offset + r.capturedLength)), originalLength: r.originalLength });
  }, { file });
  return out;
}

/** Writes pieces (each a list of packets) as pcap files; `gzipped` pieces get .gz. */
function writePieces(dir: string, pieces: PcapPacketSpec[][], gzipped: Set<number> = new Set()): string[] {
  mkdirSync(dir, { recursive: true });
  return pieces.map((packets, k) => {
    const bytes = writePcap({ packets, snaplen: 262144 });
    const path = join(dir, `piece-${k}.pcap${gzipped.has(k) ? '.gz' : ''}`);
    writeFileSync(path, gzipped.has(k) ? gzipSync(bytes) : bytes);
    return path;
  });
}

const withoutInput = (c: Json): Json => {
  const { input, inputIndex, ...rest } = c;
  void input; void inputIndex;
  return rest;
};

function compareWithWhole(whole: Json, merged: Json): void {
  assert.equal(merged.options.merge, true);
  assert.equal(merged.connections.length, whole.connections.length);
  assert.deepEqual(merged.connections.map(withoutInput), whole.connections.map(withoutInput));
  const strip = (s: Json): Json => ({ ...s, findingsByInput: null, worst: s.worst.map((w: Json) => ({ ...w, input: null })) });
  assert.deepEqual(strip(merged.summary), strip(whole.summary));
  assert.equal(merged.merged.connections, whole.inputs[0].flow.connections);
  assert.equal(merged.inputs.reduce((n: number, i: Json) => n + i.packets, 0), whole.inputs[0].packets);
}

test('--merge on rotated pieces of a capture (cut by packet count) equals the report on the whole', async () => {
  const dir = tempDir();
  const packets = await packetsOf(capture('busy.pcap'));
  const size = Math.ceil(packets.length / 4);
  const pieces = [0, 1, 2, 3].map((k) => packets.slice(k * size, (k + 1) * size));
  const files = writePieces(join(dir, 'rotated'), pieces, new Set([1]));
  const whole = run(['report', '-f', 'json', capture('busy.pcap')]);
  assert.equal(whole.code, 0, whole.stderr);
  const merged = run(['report', '--merge', '-f', 'json', ...files]);
  assert.equal(merged.code, 0, merged.stderr);
  const w = JSON.parse(whole.stdout), m = JSON.parse(merged.stdout);
  compareWithWhole(w, m);
  // Connections spanning pieces exist, or the test would prove little.
  const separate = JSON.parse(run(['report', '-f', 'json', ...files]).stdout);
  assert.ok(separate.connections.length > w.connections.length, 'some connection spans two pieces');
  // The order of the arguments does not matter for the connections.
  const reversed = JSON.parse(run(['report', '--merge', '-f', 'json', ...files.slice().reverse()]).stdout);
  assert.deepEqual(reversed.connections.map(withoutInput), w.connections.map(withoutInput));
});

test('--merge interleaves captures of overlapping time (several capture points) by timestamp', async () => {
  const dir = tempDir();
  const packets = await packetsOf(capture('busy.pcap'));
  const pieces: PcapPacketSpec[][] = [[], [], []];
  packets.forEach((p, i) => pieces[Math.floor(i / 7) % 3].push(p));
  const files = writePieces(join(dir, 'points'), pieces, new Set([2]));
  const w = JSON.parse(run(['report', '-f', 'json', capture('busy.pcap')]).stdout);
  const m = JSON.parse(run(['report', '--merge', '-f', 'json', ...files]).stdout);
  compareWithWhole(w, m);
  assert.equal(m.merged.timeWentBackwards, 0);
});

test('--merge keeps going past a broken input and reports it (exit 3)', () => {
  const tree = buildTree();
  const r = run(['report', '--merge', '-f', 'json', tree.root]);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  const corrupt = doc.inputs.find((i: Json) => i.file.endsWith('corrupt.pcap'));
  assert.equal(corrupt.error.kind, 'caplen-too-large');
  assert.ok(corrupt.packets > 0, 'packets before the damage still count');
  assert.match(r.stderr, /corrupt\.pcap/);
});

async function pulled(file: string, chunkSize: number): Promise<{ digest: string; info: Json }> {
  const hash = createHash('sha256');
  const r = new PullReader(file, { chunkSize });
  while (await r.fill()) {
    hash.update(`${r.packetNumber()} ${r.tsSec()} ${r.tsNsec()} ${r.linkType()} ${r.originalLength()} ${r.interfaceIndex()}|`);
    hash.update(r.data.subarray(r.dataOffset(), r.dataOffset() + r.capturedLength()));
    r.shift();
  }
  return { digest: hash.digest('hex'), info: r.info };
}

async function pushed(file: string): Promise<{ digest: string; info: Json }> {
  const hash = createHash('sha256');
  const info = await readCapture(file, (rec) => {
    hash.update(`${rec.packetNumber} ${rec.tsSec} ${rec.tsNsec} ${rec.linkType} ${rec.originalLength} ${rec.interfaceIndex ?? 0}|`);
    hash.update(rec.data.subarray(rec.offset, rec.offset + rec.capturedLength));
  }, { file });
  return { digest: hash.digest('hex'), info };
}

test('the pull reader reads every file of the tree as readCapture does, at any chunk size', async () => {
  const tree = buildTree();
  const files = [...tree.inputs.map((p) => join(tree.root, p)), join(tree.root, 'notes.txt'), join(tree.root, 'nope.pcap'), join(tree.root, 'sub'),
    join(tree.root, 'empty.pcap'), capture('close-client-first.pcap.gz')];
  for (const file of files) {
    const expected = await pushed(file);
    for (const chunkSize of [1, 7, 100, 4096, 65536]) {
      const got = await pulled(file, chunkSize);
      assert.equal(got.digest, expected.digest, `${file} at chunk ${chunkSize}`);
      const keep = (i: Json): Json => ({ format: i.format, compression: i.compression, packets: i.packets, bytesRead: i.bytesRead,
        error: i.error && { kind: i.error.kind, offset: i.error.offset, packetNumber: i.error.packetNumber }, warnings: i.warnings.map((w: Json) => w.kind) });
      // gzip damage offsets depend on how much zlib had decoded; everything else is exact.
      assert.deepEqual(keep(got.info), keep(expected.info), `${file} at chunk ${chunkSize}`);
    }
  }
});

test('the pull reader stops early on close() without leaking the file', async () => {
  const r = new PullReader(capture('busy.pcap'), { chunkSize: 4096 });
  assert.ok(await r.fill());
  r.shift();
  await r.close();
  assert.ok(r.info.warnings.some((w) => w.kind === 'aborted') || r.info.packets > 0);
  // stdin-like streams: a Readable of the file's bytes.
  const { Readable } = await import('node:stream');
  const bytes = readFileSync(capture('close-client-first.pcap'));
  const s = new PullReader(Readable.from([bytes.subarray(0, 50), bytes.subarray(50)]), { file: 'stream' });
  let n = 0;
  while (await s.fill()) { n++; s.shift(); }
  assert.equal(n, s.info.packets);
  assert.equal(s.info.error, null);
});
