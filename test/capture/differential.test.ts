// Differential test against pcap-parser (an independent classic-pcap reader): for every classic
// pcap we can find, both readers must produce the same records, byte for byte. Sources:
// - hand-written files (so the test always checks something),
// - every .pcap under captures/ (the project's own captures),
// - every classic pcap of ../shared/corpus/tcpdump when it is there (830 third-party files).
// When our reader stops early (error or cut last record), its records must be a prefix of pcap-parser's,
// which has no limits and silently drops a cut last record.

import assert from 'node:assert/strict';
import { existsSync, openSync, readSync, closeSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import pcapParser from 'pcap-parser';
import { pseudoRandomBytes, writePcap, type PcapFileSpec } from '../helpers/pcap-writer.js';
import { collect, tempFile } from './collect.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

interface Comparable {
  /** Time in microseconds. */
  timeUs: number;
  capturedLength: number;
  originalLength: number;
  data: string;
}

function theirs(path: string): Promise<Comparable[]> {
  return new Promise((resolve, reject) => {
    const out: Comparable[] = [];
    const parser = pcapParser.parse(path);
    parser.on('packet', (p) => out.push({
      timeUs: p.header.timestampSeconds * 1e6 + p.header.timestampMicroseconds,
      capturedLength: p.header.capturedLength,
      originalLength: p.header.originalLength,
      data: p.data.toString('hex'),
    }));
    parser.on('error', reject);
    parser.on('end', () => resolve(out));
  });
}

async function ours(path: string): Promise<{ records: Comparable[]; complete: boolean }> {
  const { info, records } = await collect(path);
  return {
    records: records.map((r) => ({
      timeUs: r.tsSec * 1e6 + r.tsNsec / 1000,
      capturedLength: r.capturedLength,
      originalLength: r.originalLength,
      data: r.data,
    })),
    complete: info.error === null && info.warnings.length === 0,
  };
}

/**
 * Classic microsecond pcap, version 2.4, not gzipped: what pcap-parser reads. It knows neither the
 * nanosecond magic (a1b23c4d) nor the modified one, and does not swap lengths for versions < 2.4.
 */
function isComparable(path: string): boolean {
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    if (readSync(fd, head, 0, 8, 0) < 8) return false;
  } finally {
    closeSync(fd);
  }
  const magic = head.readUInt32BE(0);
  if (magic === 0xa1b2c3d4) return head.readUInt16BE(4) === 2 && head.readUInt16BE(6) === 4;
  if (magic === 0xd4c3b2a1) return head.readUInt16LE(4) === 2 && head.readUInt16LE(6) === 4;
  return false;
}

function pcapFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stats = statSync(path);
    if (stats.isDirectory()) out.push(...pcapFilesUnder(path));
    else if (stats.isFile() && (name.endsWith('.pcap') || dir.includes('corpus')) && isComparable(path)) out.push(path);
  }
  return out;
}

function handWritten(): string[] {
  const specs: Array<[string, PcapFileSpec]> = [
    ['le', { packets: Array.from({ length: 25 }, (_, i) => ({ tsSec: 1e9 + i, tsFrac: 999_999 - i, data: pseudoRandomBytes(i * 11, i) })) }],
    ['be', { byteOrder: 'big', linkType: 101, packets: Array.from({ length: 9 }, (_, i) => ({ tsSec: i, tsFrac: i, data: pseudoRandomBytes(1500, i), originalLength: 9000 })) }],
    ['empty-records', { packets: [{ tsSec: 1, tsFrac: 2, data: new Uint8Array(0) }, { tsSec: 3, tsFrac: 4, data: Uint8Array.of(1) }] }],
  ];
  const files = specs.map(([name, spec]) => tempFile(`diff-${name}.pcap`, writePcap(spec)));
  const cut = writePcap(specs[0][1]);
  files.push(tempFile('diff-cut.pcap', cut.subarray(0, cut.length - 5)));
  return files;
}

describe('differential: pcap-parser', () => {
  const groups: Array<[string, () => string[]]> = [
    ['hand-written files', handWritten],
    ['captures/', () => pcapFilesUnder(join(REPO, 'captures'))],
    ['../shared/corpus/tcpdump', () => pcapFilesUnder(join(REPO, '..', 'shared', 'corpus', 'tcpdump'))],
  ];
  for (const [name, files] of groups) {
    it(`agrees on every record of ${name}`, async (t) => {
      const paths = files();
      if (paths.length === 0) {
        t.skip(`no classic pcap files in ${name}`);
        return;
      }
      let compared = 0;
      for (const path of paths) {
        const mine = await ours(path);
        const reference = await theirs(path);
        if (mine.complete) assert.deepEqual(mine.records, reference, path);
        else assert.deepEqual(mine.records, reference.slice(0, mine.records.length), path);
        compared += mine.records.length;
      }
      t.diagnostic(`${paths.length} files, ${compared} records compared`);
    });
  }
});
