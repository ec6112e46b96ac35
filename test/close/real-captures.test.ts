// Every close path and finding, on captures the Linux kernel made for it (captures/README.md says
// how each was made). One row per capture: what the real reader, flow and close stages must say.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CLOSE_OPTIONS, type CloseOptions, type FindingCode, type TcpState, type Verdict } from '../../src/close/index.js';
import { analyzeInputs } from '../../src/pipeline/index.js';
import { summarize } from '../../src/report/summary.js';

const CAPTURES = join(process.cwd(), 'captures');
const S = 1_000_000;

async function verdicts(file: string, close: Partial<CloseOptions> = {}): Promise<Verdict[]> {
  const analysis = await analyzeInputs([join(CAPTURES, file)], { close: { ...DEFAULT_CLOSE_OPTIONS, ...close } });
  assert.equal(analysis.inputs[0].info.error, null, `${file} read without error`);
  return analysis.verdicts;
}

function states(v: Verdict, side: 'client' | 'server'): TcpState[] {
  return v.sides[side].changes.map((c) => c.state);
}

function codes(v: Verdict): FindingCode[] {
  return v.findings.map((f) => f.code);
}

interface Row {
  file: string;
  close?: Partial<CloseOptions>;
  activeCloser: Verdict['activeCloser'];
  client: TcpState[];
  server: TcpState[];
  final: [TcpState | null, TcpState | null];
  findings: FindingCode[];
  vantage?: Verdict['vantage'];
  zeek?: string;
}

// The server's first state is LISTEN (implied when its SYN-ACK is seen).
const CLIENT_FIRST_CLIENT: TcpState[] = ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'];
const CLIENT_FIRST_SERVER: TcpState[] = ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'];

const ROWS: Row[] = [
  { file: 'four-way-close.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: [], vantage: 'client', zeek: 'SF' },
  { file: 'three-way-close.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: [], zeek: 'SF' },
  {
    file: 'close-server-first.pcap', activeCloser: 'server',
    client: ['SYN_SENT', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
    server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'],
    final: ['CLOSED', 'TIME_WAIT'], findings: [],
  },
  { file: 'ipv6.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: [] },
  { file: 'half-close.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['half-close'] },
  { file: 'lost-final-ack-client.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['lost-final-ack'], vantage: 'client' },
  { file: 'lost-final-ack-server.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['lost-final-ack'], vantage: 'server' },
  {
    file: 'missing-peer-fin.pcap', activeCloser: 'client',
    client: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT'],
    final: ['FIN_WAIT_2', 'CLOSE_WAIT'], findings: ['missing-peer-fin'], zeek: 'S2',
  },
  {
    file: 'fin-wait-2-timeout-rst.pcap', close: { finWait2LimitUs: 2 * S, closeWaitLimitUs: 2 * S }, activeCloser: 'client',
    client: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSED'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'CLOSED'],
    final: ['CLOSED', 'CLOSED'], findings: ['long-close-wait', 'missing-peer-fin', 'long-fin-wait-2', 'reset-after-fin'],
  },
  {
    file: 'long-close-wait.pcap', close: { finWait2LimitUs: 2 * S, closeWaitLimitUs: 2 * S }, activeCloser: 'client',
    client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['long-close-wait', 'long-fin-wait-2'],
  },
  { file: 'fin-retransmitted.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['fin-retransmitted'] },
  {
    file: 'fin-unacked.pcap', activeCloser: 'client',
    // The FIN was retransmitted and never acknowledged: nothing shows the server got it.
    client: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED'],
    final: ['FIN_WAIT_1', 'ESTABLISHED'], findings: ['fin-unacked'],
  },
  {
    file: 'abortive-close.pcap', activeCloser: 'client',
    client: ['SYN_SENT', 'ESTABLISHED', 'CLOSED'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED'],
    final: ['CLOSED', 'CLOSED'], findings: ['abortive-close'], zeek: 'RSTO',
  },
  {
    file: 'close-unread-data.pcap', activeCloser: 'server',
    client: ['SYN_SENT', 'ESTABLISHED', 'CLOSED'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSED'],
    final: ['CLOSED', 'CLOSED'], findings: ['abortive-close'], zeek: 'RSTR',
  },
  {
    file: 'reset-after-fin.pcap', activeCloser: 'client',
    client: ['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSED'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'CLOSED'],
    final: ['CLOSED', 'CLOSED'], findings: ['missing-peer-fin', 'reset-after-fin'],
  },
  {
    file: 'time-wait-assassination.pcap', activeCloser: 'client',
    client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['CLOSED', 'CLOSED'], findings: ['time-wait-assassination'],
  },
  {
    file: 'time-wait-rfc1337.pcap', activeCloser: 'client',
    client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: ['time-wait-rst-ignored'],
  },
  {
    file: 'not-closed.pcap', activeCloser: null,
    client: ['SYN_SENT', 'ESTABLISHED'], server: ['LISTEN', 'SYN_RECEIVED', 'ESTABLISHED'], final: ['ESTABLISHED', 'ESTABLISHED'], findings: ['not-closed'], zeek: 'S1',
  },
  { file: 'syn-rejected.pcap', activeCloser: 'server', client: ['SYN_SENT', 'CLOSED'], server: [], final: ['CLOSED', null], findings: ['connection-refused'], zeek: 'REJ' },
  { file: 'syn-unanswered.pcap', activeCloser: null, client: ['SYN_SENT'], server: [], final: ['SYN_SENT', null], findings: ['syn-unanswered'], zeek: 'S0' },
  { file: 'in-between.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER, final: ['TIME_WAIT', 'CLOSED'], findings: [], vantage: 'between' },
  {
    file: 'midstream.pcap', activeCloser: 'client',
    client: ['ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT', 'CLOSED'], server: ['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED'],
    final: ['TIME_WAIT', 'CLOSED'], findings: [],
  },
  {
    // Edited by captures/lab/edit-data-after-fin.py: Linux cannot send data after its own FIN.
    file: 'data-after-fin-edited.pcap', activeCloser: 'client', client: CLIENT_FIRST_CLIENT, server: CLIENT_FIRST_SERVER,
    final: ['TIME_WAIT', 'CLOSED'], findings: ['data-after-fin', 'half-close'],
  },
];

for (const row of ROWS) {
  test(`${row.file}: states, final states and findings`, { skip: !existsSync(join(CAPTURES, row.file)) && 'capture missing' }, async () => {
    const all = await verdicts(row.file, row.close);
    assert.equal(all.length, 1, 'one connection');
    const v = all[0];
    assert.equal(v.activeCloser, row.activeCloser, 'who closed first');
    assert.deepEqual(states(v, 'client'), row.client, 'client states');
    assert.deepEqual(states(v, 'server'), row.server, 'server states');
    assert.deepEqual([v.sides.client.finalState, v.sides.server.finalState], row.final, 'final states');
    assert.deepEqual([...new Set(codes(v))].sort(), [...row.findings].sort(), 'findings');
    if (row.vantage) assert.equal(v.vantage, row.vantage, 'vantage');
    if (row.zeek) assert.equal(v.zeek.connState, row.zeek, 'zeek conn_state');
    // Every change happens at or after the one before it, on each side.
    for (const side of ['client', 'server'] as const) {
      const at = v.sides[side].changes.map((c) => c.atUs);
      assert.deepEqual(at, [...at].sort((a, b) => a - b), `${side} changes in time order`);
    }
  });
}

test('simultaneous close: the capture shows whether the FINs crossed', async () => {
  const [v] = await verdicts('simultaneous-close.pcap');
  // Each FIN's ACK field says whether its sender had the other's FIN: crossing FINs give CLOSING.
  const crossed = v.activeCloser === 'both';
  if (crossed) {
    assert.ok(states(v, 'client').includes('CLOSING') && states(v, 'server').includes('CLOSING'));
    assert.ok(codes(v).includes('simultaneous-close'));
    assert.deepEqual([v.sides.client.finalState, v.sides.server.finalState], ['TIME_WAIT', 'TIME_WAIT']);
  } else {
    assert.ok(!codes(v).includes('simultaneous-close'));
    assert.ok(!states(v, 'client').includes('CLOSING'));
  }
});

test('--fin-wait2 and --close-wait thresholds decide the long-* findings', async () => {
  const loose = await verdicts('long-close-wait.pcap', { finWait2LimitUs: 10 * S, closeWaitLimitUs: 10 * S });
  assert.deepEqual(codes(loose[0]), []);
  const tight = await verdicts('long-close-wait.pcap', { finWait2LimitUs: 1 * S, closeWaitLimitUs: 1 * S });
  assert.ok(codes(tight[0]).includes('long-close-wait') && codes(tight[0]).includes('long-fin-wait-2'));
  // The server's application took about 3 s to close after EOF (the lab's sleep).
  const cw = tight[0].sides.server.durations.closeWait ?? 0;
  assert.ok(cw > 2.9 * S && cw < 3.2 * S, `CLOSE_WAIT ${cw} us`);
});

test('--msl sets how long TIME_WAIT lasts and when it ends', async () => {
  const [linux] = await verdicts('four-way-close.pcap');
  const [short] = await verdicts('four-way-close.pcap', { timeWaitUs: 10 * S });
  const enter = linux.sides.client.changes.find((c) => c.state === 'TIME_WAIT')!.atUs;
  assert.equal(linux.sides.client.timeWaitEndsUs! - enter, 60 * S);
  assert.equal(short.sides.client.timeWaitEndsUs! - enter, 10 * S);
});

test('time-wait-reuse: the kernel reused its own TIME_WAIT 4-tuple; two connections, the first flagged', async () => {
  const all = await verdicts('time-wait-reuse.pcap');
  assert.equal(all.length, 2);
  assert.equal(all[0].reusedById, all[1].id);
  assert.equal(all[1].previousId, all[0].id);
  const f = all[0].findings.find((x) => x.code === 'time-wait-reuse');
  assert.ok(f, 'time-wait-reuse on the old connection');
  assert.equal(f.side, 'client');
  assert.equal(all[0].sides.client.finalState, 'CLOSED', 'the reuse ended the old TIME_WAIT');
});

test('port-pressure: 32 ports, 32 client TIME_WAIT sockets toward one server: flagged with the real range only', async () => {
  const all = await verdicts('port-pressure.pcap');
  assert.equal(all.length, 32);
  const end = Math.max(...all.map((v) => v.observedUntilUs));
  const start = Math.min(...all.map((v) => v.startUs));
  const narrow = summarize(all, start, end, { portRange: [50000, 50031] });
  assert.equal(narrow.histogram.TIME_WAIT, 32);
  assert.equal(narrow.findings.length, 1);
  assert.equal(narrow.findings[0].code, 'ephemeral-port-pressure');
  const wide = summarize(all, start, end, { portRange: [32768, 60999] });
  assert.equal(wide.findings.length, 0);
});

test('busy.pcap: hundreds of connections through 64 ports, every reuse split into its own connection', async () => {
  const all = await verdicts('busy.pcap');
  const truth = JSON.parse(readFileSync(join(CAPTURES, 'scenarios.json'), 'utf8')) as { file: string; groundTruth: { clientConnectionsMade: number } }[];
  const made = truth.find((s) => s.file === 'busy.pcap')!.groundTruth.clientConnectionsMade;
  assert.equal(all.length, made);
  const tuples = new Set(all.map((v) => `${v.client.ip}:${v.client.port}`));
  assert.ok(tuples.size <= 64);
  assert.ok(all.filter((v) => v.previousId !== null).length >= made - tuples.size);
  assert.ok(all.every((v) => v.activeCloser === 'client' || v.activeCloser === 'server'));
});
