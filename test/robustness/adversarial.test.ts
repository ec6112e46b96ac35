// Inputs built to exhaust time or memory: records and blocks claiming gigabytes, gzip bombs, a
// flood of distinct 4-tuples, header chains that never end, timestamps going backwards. Each runs
// in a child process under a heap limit, with its peak resident set measured by the kernel; each
// must end within its time, within its memory, and say what happened. The inputs are generated
// into a temporary directory, never committed.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { builtSeeds } from '../../scripts/fuzz-seeds.js';
import { layout } from '../../scripts/mutate.js';
import {
  endlessIpv6ChainFrame, endlessVlanFrame, pcapHeader, writeConnectionStorm, writeFrames, writeGzipBomb, writeSynFlood,
  type StormKind,
} from '../helpers/adversarial.js';
import { measuredCli, measuredRun, type MeasuredRun } from '../helpers/measured-run.js';
import { writePcap, writePcapng } from '../helpers/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'finscope-adversarial-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Peak resident set allowed for a run whose input claims far more: the CLI idles at about 70 MiB. */
const RSS_BOUND_MB = 256;
/** Heap the children get: inputs that claim gigabytes must not need more. */
const HEAP_MB = 128;

function file(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

interface JsonInput {
  packets: number;
  sourceBytes: number;
  error: { kind: string; offset: number } | null;
  warnings: Array<{ kind: string; offset: number }>;
  decode: { byKind: Record<string, number>; malformedReasons: Record<string, number> };
  flow: { connections: number; evicted: number; peakLive: number; timeWentBackwards: number };
}

function jsonInput(r: MeasuredRun): JsonInput {
  return (JSON.parse(r.stdout) as { inputs: JsonInput[] }).inputs[0];
}

function assertBounded(r: MeasuredRun, what: string, maxMs: number, rssMb = RSS_BOUND_MB): void {
  assert.equal(r.signal, null, `${what}: killed by ${r.signal} after ${r.ms.toFixed(0)} ms`);
  assert.ok(r.ms < maxMs, `${what}: took ${r.ms.toFixed(0)} ms (limit ${maxMs})`);
  assert.ok(r.maxRssMb !== null && r.maxRssMb < rssMb, `${what}: peak resident set ${r.maxRssMb?.toFixed(0)} MiB (bound ${rssMb})`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: ${r.stderr}`);
}

/** stderr is exactly one line naming the file. */
function assertOneLine(r: MeasuredRun, path: string, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].startsWith(`finscope: ${path}: `), lines[0]);
  assert.match(lines[0], pattern);
}

describe('sizes claimed in headers', () => {
  it('a pcap record claiming 4 GiB stops with caplen-too-large at its header', async () => {
    const path = file('record-4g.pcap', writePcap({ snaplen: 0xffffffff, packets: [
      { tsSec: 1, tsFrac: 0, data: Buffer.alloc(60) },
      { tsSec: 2, tsFrac: 0, data: Buffer.alloc(60), capturedLength: 0xfffffff0 },
    ] }));
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'record claiming 4 GiB', 20_000);
    assert.equal(r.code, 3);
    assertOneLine(r, path, /claims 4294967280 captured bytes.*\(byte offset 100\)/);
    const input = jsonInput(r);
    assert.equal(input.packets, 1, 'the packet before the damage is kept');
    assert.deepEqual([input.error?.kind, input.error?.offset], ['caplen-too-large', 100]);
  });

  it('a pcap record claiming 120 MiB in a 100-byte file is a truncated last record, nothing allocated for it', async () => {
    const path = file('record-120m.pcap', writePcap({ snaplen: 0xffffffff, packets: [
      { tsSec: 1, tsFrac: 0, data: Buffer.alloc(60), capturedLength: 120 * 1024 * 1024 },
    ] }));
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'record claiming 120 MiB', 20_000, 200);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonInput(r).warnings.map((w) => [w.kind, w.offset]), [['truncated-record', 24]]);
  });

  it('a pcapng block claiming 4 GiB stops with bad-block-length at the block', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 },
      { type: 'epb', interfaceId: 0, timestamp: 1n, data: Buffer.alloc(60) },
      { type: 'epb', interfaceId: 0, timestamp: 2n, data: Buffer.alloc(60), totalLength: 0xfffffff0 },
    ]);
    const path = file('block-4g.pcapng', bytes);
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'block claiming 4 GiB', 20_000);
    assert.equal(r.code, 3);
    assertOneLine(r, path, new RegExp(`block length 4294967280 .*\\(byte offset ${offsets[3]}\\)`));
    assert.equal(jsonInput(r).packets, 1);
  });

  it('a pcapng block claiming 15 MiB in a short file is a truncated last record', async () => {
    const { bytes, offsets } = writePcapng([
      { type: 'shb' }, { type: 'idb', linkType: 1 },
      { type: 'epb', interfaceId: 0, timestamp: 1n, data: Buffer.alloc(60), totalLength: 15 * 1024 * 1024 },
    ]);
    const r = await measuredCli(['report', '-f', 'json', file('block-15m.pcapng', bytes)], { heapMb: HEAP_MB });
    assertBounded(r, 'block claiming 15 MiB', 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonInput(r).warnings.map((w) => [w.kind, w.offset]), [['truncated-record', offsets[2]]]);
  });
});

describe('gzip bombs', () => {
  it('10 GiB of zeros: not a capture at offset 0, found after the first chunk, not after inflating everything', async () => {
    const path = join(dir, 'zeros-10g.gz');
    writeGzipBomb(path, Buffer.alloc(0), 10 * 1024);
    const size = statSync(path).size;
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, '10 GiB gzip bomb', 20_000);
    assert.equal(r.code, 3);
    assertOneLine(r, path, /unknown magic 0x00000000; not a pcap or pcapng file \(byte offset 0\)/);
    const input = jsonInput(r);
    assert.ok(input.sourceBytes < size / 4, `read ${input.sourceBytes} of ${size} compressed bytes`);
  });

  it('the same bomb on standard input stops as soon, and the process does not wait for the rest of the pipe', async () => {
    const path = join(dir, 'zeros-10g-stdin.gz');
    writeGzipBomb(path, Buffer.alloc(0), 10 * 1024);
    const r = await measuredCli(['report', '-'], { heapMb: HEAP_MB, stdin: readFileSync(path) });
    assertBounded(r, '10 GiB gzip bomb on stdin', 20_000);
    assert.equal(r.code, 3);
    assertOneLine(r, '-', /unknown magic 0x00000000; not a pcap or pcapng file \(byte offset 0\)/);
  });

  it('a pcapng section header then 10 GiB of zeros: bad-block-length right after the header', async () => {
    const path = join(dir, 'pcapng-zeros-10g.gz');
    const shb = writePcapng([{ type: 'shb' }]).bytes;
    writeGzipBomb(path, shb, 10 * 1024);
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'pcapng + 10 GiB of zeros', 20_000);
    assert.equal(r.code, 3);
    assertOneLine(r, path, new RegExp(`block length 0 .*\\(byte offset ${shb.length}\\)`));
  });

  it('a pcap header then 256 MiB of zeros: 16 Mi empty records, streamed in bounded memory', async () => {
    // Zero-length records are well formed (libpcap reads them), so this is a clean read: what
    // matters is that it streams, at a rate proportional to the records and not to the memory.
    const path = join(dir, 'pcap-zeros-256m.gz');
    writeGzipBomb(path, pcapHeader(), 256);
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB, timeoutMs: 120_000 });
    assertBounded(r, 'pcap + 256 MiB of zeros', 120_000);
    assert.equal(r.code, 0, r.stderr);
    const input = jsonInput(r);
    assert.equal(input.packets, 256 * 1024 * 1024 / 16);
    assert.equal(input.flow.connections, 0);
  });
});

describe('a flood of distinct 4-tuples', () => {
  it('1 000 000 SYNs through the pipeline with a cap of 2000 live connections stay in bounded memory', { timeout: 180_000 }, async () => {
    const path = join(dir, 'syn-flood-1m.pcap');
    writeSynFlood(path, 1_000_000);
    // The pipeline alone, verdicts counted and dropped as they come: what the cap bounds. (The
    // CLI's report keeps every verdict to sort and summarise them, so its memory follows the
    // connection count, not the cap.)
    const code = `
      const { analyzeInput } = await import(${JSON.stringify(new URL('../../src/pipeline/index.js', import.meta.url).href)});
      let verdicts = 0;
      const r = await analyzeInput(${JSON.stringify(path)}, 0, () => { verdicts++; }, { flow: { maxLive: 2000 } });
      console.log(JSON.stringify({ verdicts, flow: r.flow, packets: r.info.packets }));`;
    const r = await measuredRun([], { heapMb: 64, timeoutMs: 170_000, nodeArgs: ['--input-type=module', '-e', code] });
    assertBounded(r, 'SYN flood through the pipeline', 170_000, 200);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { verdicts: number; packets: number; flow: JsonInput['flow'] };
    assert.equal(out.packets, 1_000_000);
    assert.equal(out.verdicts, 1_000_000);
    assert.equal(out.flow.evicted, 1_000_000 - 2000);
    assert.ok(out.flow.peakLive <= 2000, `peak ${out.flow.peakLive} live`);
  });

  it('the report says how many connections the cap evicted, in text and JSON', { timeout: 120_000 }, async () => {
    const path = join(dir, 'syn-flood-30k.pcap');
    writeSynFlood(path, 30_000);
    const json = await measuredCli(['report', '-f', 'json', '--max-connections', '1000', path], { timeoutMs: 100_000 });
    assert.equal(json.code, 0, json.stderr);
    const input = jsonInput(json);
    assert.equal(input.flow.connections, 30_000);
    assert.equal(input.flow.evicted, 29_000);
    const text = await measuredCli(['report', '--max-connections', '1000', path], { timeoutMs: 100_000 });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /29000 connections evicted by the live-connection cap/);
  });
});

describe('one connection, a storm of packets', () => {
  // Each was unbounded before: a log entry per packet (300 000 resets: 180 MB of resident set,
  // now 68 MB), a Zeek history of a letter per reset that overflowed its record and made the next
  // field read history letters, and a search for each segment's acknowledgement through the rest
  // of the log (80 000 unacknowledged segments: 13 s; 300 000: over a minute).
  interface StormConnection {
    zeek: { history: string };
    findings: Array<{ code: string; detail: string }>;
    directions: { client: { packets: number; rst: { count: number } | null; fin: { count: number } | null } };
  }
  const STORM = 300_000;
  async function storm(kind: StormKind): Promise<StormConnection> {
    const path = join(dir, `storm-${kind}.pcap`);
    writeConnectionStorm(path, kind, STORM);
    const r = await measuredCli(['report', '-f', 'json', '-j', '1', path], { heapMb: HEAP_MB, timeoutMs: 60_000 });
    assertBounded(r, kind, 60_000, 110);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { connections: StormConnection[] };
    assert.equal(report.connections.length, 1);
    return report.connections[0];
  }

  it('300 000 resets with moving sequence numbers: every one counted, the history cut at 1024 letters, the finding intact', async () => {
    const c = await storm('moving-resets');
    assert.equal(c.directions.client.rst?.count, STORM);
    assert.equal(c.zeek.history.length, 1024);
    assert.match(c.zeek.history, /^ShAR+$/);
    assert.deepEqual(c.findings.map((f) => f.code), ['abortive-close']);
    assert.match(c.findings[0].detail, /^client reset the connection with a bare RST/);
    const text = await measuredCli(['report', '-j', '1', join(dir, 'storm-moving-resets.pcap')], { heapMb: HEAP_MB, timeoutMs: 60_000 });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, / zeek RSTO ShAR{37}… \(1024 letters\)\n/);
  });

  it('300 000 segments of data after the FIN, never acknowledged', async () => {
    const c = await storm('data-after-fin');
    assert.equal(c.directions.client.packets, STORM + 3);
    assert.ok(c.findings.some((f) => f.code === 'data-after-fin'), JSON.stringify(c.findings));
    assert.equal(c.zeek.history, 'ShAFD');
  });

  it('300 000 ACKs of data the capture never shows (one direction of a download)', async () => {
    const c = await storm('unseen-acks');
    assert.equal(c.directions.client.packets, STORM + 2);
    assert.ok(c.findings.some((f) => f.code === 'capture-missed-packets'), JSON.stringify(c.findings));
  });
});

describe('header chains that never end', () => {
  it('802.1Q/802.1ad tags to the end of 256 KiB frames: malformed, counted, quick', async () => {
    const path = join(dir, 'vlan-endless.pcap');
    writeFrames(path, endlessVlanFrame(256 * 1024), 200);
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'endless VLAN stack', 20_000);
    assert.equal(r.code, 0, r.stderr);
    const input = jsonInput(r);
    assert.equal(input.packets, 200);
    assert.equal(input.decode.byKind.malformed, 200);
    assert.deepEqual(Object.keys(input.decode.malformedReasons), ['vlan-depth']);
  });

  it('IPv6 extension headers to the end of 256 KiB frames: malformed, counted, quick', async () => {
    const path = join(dir, 'ipv6-endless.pcap');
    writeFrames(path, endlessIpv6ChainFrame(256 * 1024), 200);
    const r = await measuredCli(['report', '-f', 'json', path], { heapMb: HEAP_MB });
    assertBounded(r, 'endless IPv6 extension chain', 20_000);
    assert.equal(r.code, 0, r.stderr);
    const input = jsonInput(r);
    assert.equal(input.packets, 200);
    assert.equal((input.decode.byKind.malformed ?? 0) + (input.decode.byKind.truncated ?? 0), 200);
    assert.equal(input.decode.byKind.tcp, 0);
  });
});

describe('timestamps going backwards', () => {
  const seed = builtSeeds().find((s) => s.name === 'built-raw.pcap')!.bytes;
  const records = layout(seed).units.filter((u) => u.kind === 'pcap-record');

  interface Conn { start: number; end: number; finalState: { client: string; server: string }; durations: Record<string, Record<string, number | null>> }

  async function check(name: string, bytes: Buffer, backwards: number): Promise<Conn[]> {
    const path = file(name, bytes);
    const json = await measuredCli(['report', '-f', 'json', path]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(jsonInput(json).flow.timeWentBackwards, backwards);
    const text = await measuredCli(['report', path]);
    assert.match(text.stdout, new RegExp(`${backwards} packets with timestamps going backwards`));
    const connections = (JSON.parse(json.stdout) as { connections: Conn[] }).connections;
    for (const c of connections) {
      assert.ok(c.end >= c.start);
      for (const side of Object.values(c.durations)) for (const d of Object.values(side)) assert.ok(d === null || d >= 0, `duration ${d}`);
    }
    return connections;
  }

  it('one packet stamped an hour early is counted, and the close is still followed', async () => {
    const bytes = Buffer.from(seed);
    const fin = records[7].offset; // the server's FIN
    bytes.writeUInt32LE(bytes.readUInt32LE(fin) - 3600, fin);
    const [c] = await check('back-one.pcap', bytes, 1);
    assert.deepEqual(c.finalState, { client: 'TIME_WAIT', server: 'CLOSED' });
  });

  it('a capture in reverse time order is counted packet by packet and gives no negative time', async () => {
    const bytes = Buffer.from(seed);
    const stamps = records.map((r) => seed.subarray(r.offset, r.offset + 8)).reverse();
    records.forEach((r, i) => stamps[i].copy(bytes, r.offset));
    const connections = await check('back-all.pcap', bytes, records.length - 1);
    assert.equal(connections.length, 1);
  });
});
