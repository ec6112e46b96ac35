// A SYN flood the Linux kernel answered (captures/syn-flood.pcap, captures/README.md): 2000
// spoofed sources, one SYN each; the server keeps the first ones half-open and retransmits their
// SYN/ACKs, answers the rest with SYN cookies once, and nothing ever answers a SYN/ACK. What the
// close stage must say about each, held to tshark's reading of the same file.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLOSE_OPTIONS, type Verdict } from '../../src/close/index.js';
import { analyzeInputs } from '../../src/pipeline/index.js';
import { summarize } from '../../src/report/summary.js';
import { findTshark } from '../helpers/tshark.js';

const CAPTURES = join(process.cwd(), 'captures');
const FILE = join(CAPTURES, 'syn-flood.pcap');
const tshark = findTshark();

async function verdicts(): Promise<Verdict[]> {
  const analysis = await analyzeInputs([FILE], { close: DEFAULT_CLOSE_OPTIONS });
  assert.equal(analysis.inputs[0].info.error, null);
  return analysis.verdicts;
}

interface FloodTruth { synsSent: number }

function groundTruth(): FloodTruth {
  const all = JSON.parse(readFileSync(join(CAPTURES, 'scenarios.json'), 'utf8')) as { file: string; groundTruth: { flood: FloodTruth } }[];
  return all.find((s) => s.file === 'syn-flood.pcap')!.groundTruth.flood;
}

test('syn-flood: one connection per spoofed SYN, none of them ever established', async () => {
  const all = await verdicts();
  assert.equal(all.length, groundTruth().synsSent);
  for (const v of all) {
    // The SYN/ACK never reached the client: it stays where its SYN left it.
    assert.deepEqual(v.sides.client.changes.map((c) => c.state), ['SYN_SENT'], `connection ${v.id}`);
    assert.deepEqual(v.sides.server.changes.map((c) => c.state), ['LISTEN', 'SYN_RECEIVED'], `connection ${v.id}`);
    assert.deepEqual(v.findings.map((f) => f.code), ['syn-ack-unanswered'], `connection ${v.id}`);
    assert.equal(v.findings[0].side, 'server');
    assert.equal(v.activeCloser, null);
  }
  const s = summarize(all, Math.min(...all.map((v) => v.startUs)), Math.max(...all.map((v) => v.observedUntilUs)), { portRange: [32768, 60999] });
  assert.equal(s.findingsByCode['syn-ack-unanswered'].count, all.length);
  assert.deepEqual(s.findingsByEndpoint.map((e) => [e.endpoint, e.count]), [['10.10.0.2:8080', all.length]]);
});

test('syn-flood: SYN/ACKs sent again (the half-open queue) and sent once (SYN cookies) as tshark counts them',
  { skip: tshark === null ? 'tshark not found' : false }, async () => {
    const out = spawnSync(tshark!, ['-r', FILE, '-Y', 'tcp.flags.syn == 1 && tcp.flags.ack == 1', '-T', 'fields', '-e', 'ip.dst', '-e', 'tcp.dstport'],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(out.status, 0, out.stderr);
    const synAcks = new Map<string, number>();
    for (const line of out.stdout.split('\n')) {
      if (line === '') continue;
      const [ip, port] = line.split('\t');
      synAcks.set(`${ip}:${port}`, (synAcks.get(`${ip}:${port}`) ?? 0) + 1);
    }
    const all = await verdicts();
    assert.equal(synAcks.size, all.length);
    let once = 0, again = 0;
    for (const v of all) {
      const n = synAcks.get(`${v.client.ip}:${v.client.port}`);
      assert.equal(v.directions.server.syn?.count, n, `connection ${v.id}`);
      const detail = v.findings[0].detail;
      if (n === 1) {
        once++;
        assert.match(detail, /went out once .*SYN cookie/);
      } else {
        again++;
        assert.match(detail, new RegExp(`went out ${n} times over .*half-open`));
      }
    }
    // Both kinds are there: the listen backlog (512) filled up and the kernel switched to cookies.
    assert.ok(once > 0 && again > 0, `${once} once, ${again} again`);
  });
