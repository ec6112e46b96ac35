// Differential test against tshark: on every capture under captures/, the TCP connections we
// rebuild (capture -> decode -> flow, test/helpers/analyze-file.ts) and their packets per direction
// must be tshark's tcp.stream groups (how they are compared, and the difference classes that are
// allowed and why: test/helpers/tshark.ts). Every difference class is counted and printed per
// capture; anything else fails the capture. Hand-built captures check that each class is
// recognised on the case it names, since the lab captures show none of them.

import assert from 'node:assert/strict';
import {
  closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { rebuild } from '../helpers/analyze-file.js';
import { ethernet, ipv4, ipv6, tcp, udp } from '../helpers/frames.js';
import { writePcap, type PcapPacketSpec } from '../helpers/pcap-writer.js';
import {
  compareWithTshark, decodeFrames, findTshark, FRAME_CLASS, SPLIT_CLASS, tsharkArgs, tsharkTcpRows, type Outcome,
} from '../helpers/tshark.js';

const CAPTURES = fileURLToPath(new URL('../../../captures/', import.meta.url));

// ------------------------------------------------------------------ which files are captures

const PCAP_MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1]);
const PCAPNG_MAGIC = 0x0a0d0d0a;
const SNIFF_BYTES = 64 * 1024;

function readHead(file: string, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(length);
    return head.subarray(0, readSync(fd, head, 0, length, 0));
  } finally {
    closeSync(fd);
  }
}

function hasCaptureMagic(head: Buffer): boolean {
  if (head.length < 4) return false;
  const magic = head.readUInt32BE(0);
  return PCAP_MAGICS.has(magic) || magic === PCAPNG_MAGIC;
}

/** By content, not name: pcap, pcapng, or either gzipped. */
function isCapture(file: string): boolean {
  try {
    const head = readHead(file, SNIFF_BYTES);
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      // The head of a longer file is a cut gzip stream: a sync flush returns what it inflates.
      return hasCaptureMagic(gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    }
    return hasCaptureMagic(head);
  } catch {
    // Gone since the directory was listed (captures/ is regenerated in place), or not gzip after all.
    return false;
  }
}

function findCaptures(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) found.push(...findCaptures(path));
    else if (stat.isFile() && isCapture(path)) found.push(path);
  }
  return found;
}

// ------------------------------------------------------------------ the test

const tshark = findTshark();
const captures = existsSync(CAPTURES) ? findCaptures(CAPTURES) : [];
/** Details printed per class and capture; the count is always printed. */
const DETAILS_SHOWN = 5;
/** Differences listed in a failure message; the count is always given. */
const ERRORS_SHOWN = 25;

/** Copies `file` to a private directory, runs tshark and our pipeline on the copy, compares. */
async function diffCapture(tsharkPath: string, file: string, t: TestContext): Promise<Outcome> {
  // Both tools read one private copy: captures/ is regenerated while tests run, and two reads
  // of a file being rewritten disagree for reasons that are not ours.
  const dir = mkdtempSync(join(tmpdir(), 'finscope-tshark-'));
  t.after(() => { rmSync(dir, { recursive: true, force: true }); });
  const copy = join(dir, basename(file));
  copyFileSync(file, copy);
  const [run, rebuilt, frames] = await Promise.all([tsharkTcpRows(tsharkPath, copy), rebuild(copy), decodeFrames(copy)]);
  if (run.exitCode !== 0) {
    // A damaged file (tshark exits 2 on a capture cut short): fine when our reader reported the
    // damage too; both keep the packets before it.
    const ours = rebuilt.info.error ?? rebuilt.info.warnings[0] ?? null;
    assert.ok(ours !== null, `tshark exited with ${run.exitCode} (${run.stderr}) but our reader found no damage`);
    t.diagnostic(`damaged file: tshark: ${run.stderr}; ours: ${ours.kind}: ${ours.message}`);
  }
  const outcome = compareWithTshark(run.rows, frames, rebuilt.connections);
  t.diagnostic(`${outcome.tsharkStreams} tshark streams, ${outcome.ourConnections} connections of ours, ` +
    `${run.rows.length} tshark TCP frames`);
  for (const [cls, details] of outcome.classes) {
    t.diagnostic(`${cls}: ${details.length}`);
    for (const d of details.slice(0, DETAILS_SHOWN)) t.diagnostic(`  ${d}`);
  }
  return outcome;
}

function assertAgrees(name: string, outcome: Outcome): void {
  const shown = outcome.errors.slice(0, ERRORS_SHOWN);
  if (outcome.errors.length > shown.length) shown.push(`... and ${outcome.errors.length - shown.length} more`);
  assert.equal(outcome.errors.length, 0,
    `${name}: ${outcome.errors.length} difference(s) with tshark:\n  ${shown.join('\n  ')}`);
}

/** Instances per class, with the damaged-header subclasses (one per reason) added up. */
function classCounts(outcome: Outcome): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [cls, details] of outcome.classes) {
    const key = cls.startsWith(FRAME_CLASS.damagedHeader) ? FRAME_CLASS.damagedHeader : cls;
    counts[key] = (counts[key] ?? 0) + details.length;
  }
  return counts;
}

const SKIP = tshark === null ? 'tshark not found (`which tshark` failed): install tshark to run the differential test' : false;

test('connections and packets per direction agree with tshark on every capture', { skip: SKIP }, async (t) => {
  assert.ok(tshark !== null);
  assert.ok(captures.length > 0, `no capture files under ${CAPTURES}`);
  t.diagnostic(`tshark ${tsharkArgs('<file>').join(' ')}`);
  const totals = new Map<string, number>();
  for (const file of captures) {
    const name = relative(CAPTURES, file);
    await t.test(name, async (st) => {
      const outcome = await diffCapture(tshark, file, st);
      for (const [cls, details] of outcome.classes) totals.set(cls, (totals.get(cls) ?? 0) + details.length);
      assertAgrees(name, outcome);
    });
  }
  t.diagnostic(`${captures.length} captures; difference classes: ` +
    (totals.size === 0 ? 'none' : [...totals].map(([cls, n]) => `${cls} ${n}`).join(', ')));
});

// ------------------------------------------------------------------ hand-built cases

const S = 0x02, A = 0x10, FA = 0x11, PA = 0x18, SA = 0x12, RA = 0x14;
const CLIENT = { addr: '10.0.0.1', port: 40000 };
const SERVER = { addr: '10.0.0.2', port: 80 };

/** [direction (0 = client -> server), flags, seq, ack, payload length, seconds since the last packet]. */
type Step = [0 | 1, number, number, number, number, number?];

function conversation(steps: Step[]): Buffer[] {
  return steps.map(([dir, flags, seq, ack, len]) => {
    const [from, to] = dir === 0 ? [CLIENT, SERVER] : [SERVER, CLIENT];
    return ethernet(ipv4({ src: from.addr, dst: to.addr, payload: tcp({ srcPort: from.port, dstPort: to.port, flags, seq, ack, payload: len }) }));
  });
}

function timed(frames: Buffer[], gaps: (number | undefined)[] = []): PcapPacketSpec[] {
  let us = 1_700_000_000_000_000;
  return frames.map((data, i) => {
    us += Math.round((gaps[i] ?? 0.001) * 1e6);
    return { tsSec: Math.floor(us / 1e6), tsFrac: us % 1e6, data };
  });
}

function fromSteps(steps: Step[]): PcapPacketSpec[] {
  return timed(conversation(steps), steps.map((s) => s[5]));
}

const HANDSHAKE_AND_CLOSE: Step[] = [
  [0, S, 100, 0, 0], [1, SA, 500, 101, 0], [0, A, 101, 501, 0], [0, FA, 101, 501, 0], [1, FA, 501, 102, 0], [0, A, 102, 502, 0],
];

/**
 * TCP the way tshark sees it but we deliberately do not (one frame of each kind), and tunnelled
 * TCP that both decode (IP-in-IP, GRE, 6in4, VXLAN: compared on the inner 4-tuple).
 */
function leftOutFrames(): PcapPacketSpec[] {
  const inner = (src: string, dst: string, srcPort: number): Buffer =>
    ipv4({ src, dst, payload: tcp({ srcPort, dstPort: 443, flags: S, seq: 7 }) });
  const quoted = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', payload: tcp({ srcPort: 40000, dstPort: 80, flags: A, seq: 101, ack: 501, payload: 10 }) });
  const icmpError = (quoteLength: number): Buffer => ethernet(ipv4({
    src: '10.0.0.9', dst: '10.0.0.1', protocol: 1,
    payload: Buffer.concat([Buffer.from([3, 1, 0, 0, 0, 0, 0, 0]), quoted.subarray(0, quoteLength)]),
  }));
  const outer = { src: '192.168.0.1', dst: '192.168.0.2' };
  const vxlanFrame = ethernet(inner('10.3.0.1', '10.3.0.2', 5555));
  const split = tcp({ srcPort: 7777, dstPort: 80, flags: A, seq: 1, ack: 1, payload: 64 });
  const cut = conversation([[0, A, 101, 501, 10]])[0];
  const packets = timed([
    ...conversation(HANDSHAKE_AND_CLOSE.slice(0, 3)),
    // ICMP errors quoting 8 bytes of TCP (tshark: no tcp.stream) and the whole header (tcp.stream 0).
    icmpError(28), icmpError(40),
    ethernet(ipv4({ ...outer, protocol: 4, payload: inner('10.1.0.1', '10.1.0.2', 2222) })),
    ethernet(ipv4({ ...outer, protocol: 47, payload: Buffer.concat([Buffer.from([0, 0, 8, 0]), inner('10.2.0.1', '10.2.0.2', 3333)]) })),
    ethernet(ipv4({ ...outer, protocol: 41, payload: ipv6({ payload: tcp({ srcPort: 4444, dstPort: 443, flags: S, seq: 7 }) }) })),
    ethernet(ipv4({ ...outer, protocol: 17, payload: udp({ srcPort: 40001, dstPort: 4789, payload: Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 1, 0]), vxlanFrame]) }) })),
    // MPLS (one label, bottom of stack) in GRE: a tunnel tshark follows and we do not.
    ethernet(ipv4({ ...outer, protocol: 47, payload: Buffer.concat([Buffer.from([0, 0, 0x88, 0x47, 0, 0x01, 0x01, 0x40]), inner('10.7.0.1', '10.7.0.2', 6666)]) })),
    ethernet(ipv4({ src: '10.6.0.1', dst: '10.6.0.2', payload: tcp({ srcPort: 8888, dstPort: 80, dataOffset: 3 }) })),
    ethernet(ipv4({ src: '10.8.0.1', dst: '10.8.0.2', payload: tcp({ srcPort: 1212, dstPort: 80, dataOffset: 15 }) })),
    cut,
    // A fragmented segment, whole, and a first fragment whose rest never came: both counted once
    // on the first fragment by both sides (tshark runs without reassembly).
    ethernet(ipv4({ src: '10.5.0.1', dst: '10.5.0.2', id: 78, moreFragments: true, payload: split.subarray(0, 40) })),
    ethernet(ipv4({ src: '10.5.0.1', dst: '10.5.0.2', id: 78, fragmentOffset: 40, payload: split.subarray(40) })),
    ethernet(ipv4({ src: '10.4.0.1', dst: '10.4.0.2', id: 77, moreFragments: true, payload: split.subarray(0, 40) })),
  ]);
  // Snaplen cut inside the TCP header (14 + 20 + 16 bytes kept).
  const last = packets[packets.length - 4];
  packets[packets.length - 4] = { ...last, data: cut.subarray(0, 50), originalLength: cut.length };
  return packets;
}

interface Case {
  name: string;
  packets: () => PcapPacketSpec[];
  /** Instances per class the comparison must find (damaged headers added up over reasons). */
  classes: Record<string, number>;
  connections: number;
  /** A known disagreement still to be fixed in src/ (reported, runs without failing the suite). */
  todo?: string;
}

const CASES: Case[] = [
  {
    name: 'undecoded tunnels, ICMP-quoted and damaged TCP headers are left out; decoded tunnels and fragments agree',
    packets: leftOutFrames,
    classes: { [FRAME_CLASS.icmpQuoted]: 2, [FRAME_CLASS.tunnelled]: 1, [FRAME_CLASS.damagedHeader]: 3 },
    connections: 7,
  },
  {
    name: 'a reused 4-tuple with a new ISN, either direction, splits on both sides',
    packets: () => fromSteps([...HANDSHAKE_AND_CLOSE, [0, S, 9000, 0, 0], [1, SA, 7000, 9001, 0], [0, A, 9001, 7001, 0],
      [0, FA, 9001, 7001, 0], [1, FA, 7001, 9002, 0], [0, A, 9002, 7002, 0], [1, S, 20000, 0, 0], [0, SA, 30000, 20001, 0]]),
    classes: {},
    connections: 3,
  },
  {
    name: 'closed and quiet past TIME_WAIT, then a late ACK: expiry split',
    packets: () => fromSteps([...HANDSHAKE_AND_CLOSE, [0, A, 102, 502, 0, 120]]),
    classes: { [SPLIT_CLASS.expiry]: 1 },
    connections: 2,
  },
  {
    name: 'idle past the idle limit, then data: expiry split',
    packets: () => fromSteps([[0, S, 100, 0, 0], [1, SA, 500, 101, 0], [0, A, 101, 501, 0], [0, PA, 101, 501, 5, 400], [1, A, 501, 106, 0]]),
    classes: { [SPLIT_CLASS.expiry]: 1 },
    connections: 2,
  },
  {
    name: 'refused, then a SYN with the same ISN',
    packets: () => fromSteps([[0, S, 100, 0, 0], [1, RA, 0, 101, 0], [0, S, 100, 0, 0, 1], [1, RA, 0, 101, 0]]),
    classes: { [SPLIT_CLASS.sameIsnAfterClose]: 1 },
    connections: 2,
  },
  {
    // A SYN on a connection picked up mid-stream is a new connection unless its ISN sits just
    // below the first byte seen: both tools split here.
    name: 'picked up mid-stream, then a SYN near the sequence space in use',
    packets: () => fromSteps([[0, PA, 1000, 5000, 10], [1, A, 5000, 1010, 0], [0, S, 1500, 0, 0], [1, SA, 8000, 1501, 0]]),
    classes: {},
    connections: 2,
  },
  {
    // RFC 9293 3.5 figure 8: each side's SYN crosses the other's; one connection.
    name: 'simultaneous open is one connection',
    packets: () => fromSteps([[0, S, 100, 0, 0], [1, S, 500, 0, 0], [0, SA, 100, 501, 0], [1, SA, 500, 101, 0], [0, A, 101, 501, 0],
      [0, FA, 101, 501, 0], [1, FA, 501, 102, 0], [0, A, 102, 502, 0]]),
    classes: {},
    connections: 1,
  },
];

test('difference classes are recognised on hand-built captures, and nothing else passes', { skip: SKIP }, async (t) => {
  assert.ok(tshark !== null);
  const dir = mkdtempSync(join(tmpdir(), 'finscope-tshark-cases-'));
  t.after(() => { rmSync(dir, { recursive: true, force: true }); });
  for (const [i, c] of CASES.entries()) {
    await t.test(c.name, { todo: c.todo ?? false }, async (st) => {
      const file = join(dir, `case-${i}.pcap`);
      writeFileSync(file, writePcap({ packets: c.packets() }));
      const outcome = await diffCapture(tshark, file, st);
      assertAgrees(c.name, outcome);
      assert.deepEqual(classCounts(outcome), c.classes);
      assert.equal(outcome.ourConnections, c.connections);
    });
  }

  await t.test('a count or a split tshark does not make fails', async (st) => {
    const file = join(dir, 'reuse.pcap');
    writeFileSync(file, writePcap({ packets: CASES[1].packets() }));
    const [run, rebuilt, frames] = await Promise.all([tsharkTcpRows(tshark, file), rebuild(file), decodeFrames(file)]);
    assertAgrees('reuse.pcap', compareWithTshark(run.rows, frames, rebuilt.connections));
    const [first, second] = rebuilt.connections;

    const miscounted = { ...first, dirs: [{ ...first.dirs[0], packets: first.dirs[0].packets + 1 }, first.dirs[1]] } as typeof first;
    const countErrors = compareWithTshark(run.rows, frames, [miscounted, ...rebuilt.connections.slice(1)]).errors;
    assert.ok(countErrors.some((e) => e.includes(`our connection ${first.id} `) && e.includes('tshark stream')), countErrors.join('\n'));

    // Our first two connections folded into one: tshark's split at the new SYN has no excuse.
    const merged = {
      ...first, lastPacket: second.lastPacket,
      dirs: [0, 1].map((d) => ({ ...first.dirs[d], packets: first.dirs[d].packets + second.dirs[d].packets })),
    } as typeof first;
    const splitErrors = compareWithTshark(run.rows, frames, [merged, ...rebuilt.connections.slice(2)]).errors;
    assert.ok(splitErrors.some((e) => e.includes(`frame ${second.firstPacket} starts tshark stream`)), splitErrors.join('\n'));
    st.diagnostic(`rejected as expected: ${countErrors.length + splitErrors.length} difference(s)`);
  });
});
