// The benchmark's bulk-transfer capture (bench/generate.ts generateBulk) must be what it says:
// long transfers whose lost segments are sent again, closed with FINs both ways, the same bytes
// from the same seed. Read by the real reader and close stage, and held to tshark's reading.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateBulk } from '../../bench/generate.js';
import { DEFAULT_CLOSE_OPTIONS } from '../../src/close/index.js';
import { analyzeInputs } from '../../src/pipeline/index.js';
import { tempDir } from '../batch/fixtures.js';
import { findTshark } from '../helpers/tshark.js';

const tshark = findTshark();

test('bulk capture: deterministic, few long connections, each one closed by the client', async () => {
  const dir = tempDir('finscope-bulk-');
  const a = join(dir, 'a.pcap'), b = join(dir, 'b.pcap');
  // Shorter transfers than the benchmark's, so that many end within the capture.
  const made = generateBulk({ packets: 200_000, seed: 3, out: a, segments: [1000, 4000] });
  generateBulk({ packets: 200_000, seed: 3, out: b, segments: [1000, 4000] });
  assert.ok(readFileSync(a).equals(readFileSync(b)), 'same seed, same bytes');
  const { inputs, verdicts } = await analyzeInputs([a], { close: DEFAULT_CLOSE_OPTIONS });
  assert.equal(inputs[0].info.packets, 200_000);
  assert.equal(verdicts.length, made.connections);
  assert.ok(made.connections > 16 && made.connections < 200, `${made.connections} connections`);
  const closed = verdicts.filter((v) => v.activeCloser !== null);
  assert.ok(closed.length > 0 && closed.length < verdicts.length, `${closed.length} closed`);
  for (const v of closed) {
    assert.equal(v.activeCloser, 'client', `connection ${v.id}`);
    assert.equal(v.sides.client.finalState, 'TIME_WAIT', `connection ${v.id}`);
    assert.equal(v.sides.server.finalState, 'CLOSED', `connection ${v.id}`);
  }
  for (const v of verdicts.filter((x) => x.activeCloser === null)) assert.equal(v.sides.client.finalState, 'ESTABLISHED');
});

test('bulk capture: the retransmissions of each connection are those tshark finds',
  { skip: tshark === null ? 'tshark not found' : false }, async () => {
    const file = join(tempDir('finscope-bulk-'), 'bulk.pcap');
    generateBulk({ packets: 150_000, seed: 5, out: file });
    const out = spawnSync(tshark!, ['-r', file, '-Y', 'tcp.analysis.retransmission', '-T', 'fields', '-e', 'tcp.srcport'],
      { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(out.status, 0, out.stderr);
    const byPort = new Map<number, number>();
    for (const line of out.stdout.split('\n')) if (line !== '') byPort.set(Number(line), (byPort.get(Number(line)) ?? 0) + 1);
    const { verdicts } = await analyzeInputs([file], { close: DEFAULT_CLOSE_OPTIONS });
    let total = 0;
    for (const v of verdicts) {
      total += v.directions.client.retransmissions;
      assert.equal(v.directions.client.retransmissions, byPort.get(v.client.port) ?? 0, `connection ${v.id} (port ${v.client.port})`);
      assert.equal(v.directions.server.retransmissions, 0);
    }
    assert.ok(total > 50, `${total} retransmissions`);
  });
