// A synthetic capture with one connection per close scenario (and as many as asked), written as a
// real pcap and read back through the real pipeline, so UI and filter tests see verdicts exactly as
// the CLI makes them, findings included. The bench clones these verdicts to hundreds of thousands.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Verdict } from '../../src/close/index.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/decode/packet-view.js';
import { analyzeInput, type InputResult } from '../../src/pipeline/index.js';
import { ipv4, linkFrame, tcp } from '../helpers/frames.js';
import { writePcap, type PcapPacketSpec } from '../helpers/pcap-writer.js';

export const SCENARIOS = [
  'client-close', 'server-close', 'lost-final-ack', 'long-close-wait', 'reset', 'refused', 'open',
  'syn-unanswered', 'long-transfer',
] as const;
export type Scenario = typeof SCENARIOS[number];

export const BASE_US = 1_795_500_000_000_000;

interface Pkt { timeUs: number; fromClient: boolean; flags: number; seq: number; ack: number; len: number }

/** Packets of one connection, times relative to its start. */
function scenarioPackets(s: Scenario): Pkt[] {
  const A = TCP_ACK, c = 1000, sv = 5000;
  const out: Pkt[] = [];
  const p = (t: number, fromClient: boolean, flags: number, seq: number, ack: number, len = 0): void => {
    out.push({ timeUs: t, fromClient, flags, seq, ack, len });
  };
  // SYN -> SYN-ACK is a round trip, SYN-ACK -> ACK immediate: captured next to the client.
  p(0, true, TCP_SYN, c, 0);
  if (s === 'syn-unanswered') {
    p(1_000_000, true, TCP_SYN, c, 0);
    p(3_000_000, true, TCP_SYN, c, 0);
    return out;
  }
  if (s === 'refused') {
    p(20_000, false, TCP_RST | A, 0, c + 1);
    return out;
  }
  p(20_000, false, TCP_SYN | A, sv, c + 1);
  p(20_050, true, A, c + 1, sv + 1);
  p(20_300, true, TCP_PSH | A, c + 1, sv + 1, 100);
  p(40_300, false, A, sv + 1, c + 101);
  p(40_500, false, TCP_PSH | A, sv + 1, c + 101, 500);
  p(40_550, true, A, c + 101, sv + 501);
  let t = 40_550, cs = c + 101, ss = sv + 501;
  if (s === 'long-transfer') {
    for (let i = 0; i < 40; i++) {
      t += 1_000;
      p(t, false, A, ss, cs, 1448);
      ss += 1448;
      p(t + 50, true, A, cs, ss);
    }
  }
  switch (s) {
    case 'client-close': case 'long-transfer':
      p(t + 100_000, true, TCP_FIN | A, cs, ss);
      p(t + 120_000, false, A, ss, cs + 1);
      p(t + 121_000, false, TCP_FIN | A, ss, cs + 1);
      p(t + 121_050, true, A, cs + 1, ss + 1);
      break;
    case 'server-close':
      p(t + 100_000, false, TCP_FIN | A, ss, cs);
      p(t + 100_050, true, A, cs, ss + 1);
      p(t + 101_000, true, TCP_FIN | A, cs, ss + 1);
      p(t + 121_000, false, A, ss + 1, cs + 1);
      break;
    case 'lost-final-ack':
      p(t + 100_000, true, TCP_FIN | A, cs, ss);
      p(t + 120_000, false, TCP_FIN | A, ss, cs + 1);
      p(t + 120_050, true, A, cs + 1, ss + 1);
      // The server never got that ACK: it sends its FIN again.
      p(t + 340_000, false, TCP_FIN | A, ss, cs + 1);
      p(t + 340_050, true, A, cs + 1, ss + 1);
      break;
    case 'long-close-wait':
      p(t + 100_000, true, TCP_FIN | A, cs, ss);
      p(t + 120_000, false, A, ss, cs + 1);
      p(t + 90_120_000, false, TCP_FIN | A, ss, cs + 1);
      p(t + 90_120_050, true, A, cs + 1, ss + 1);
      break;
    case 'reset':
      p(t + 100_000, true, TCP_RST | A, cs, ss);
      break;
    case 'open':
      break;
  }
  return out;
}

export interface SyntheticOptions {
  /** Connections to make; scenario i % SCENARIOS.length unless `scenarios` says otherwise. */
  count?: number;
  scenarios?: readonly Scenario[];
  /** Time between connection starts, microseconds. */
  spacingUs?: number;
}

/** The capture as pcap bytes. Connection i (id i + 1) uses client 10.1.0.(i + 1):(30000 + i), server 10.2.0.1:80. */
export function syntheticPcap(options: SyntheticOptions = {}): Buffer {
  const scenarios = options.scenarios ?? SCENARIOS;
  const count = options.count ?? scenarios.length;
  const spacing = options.spacingUs ?? 10_000;
  const all: { timeUs: number; order: number; data: Buffer }[] = [];
  let order = 0;
  for (let i = 0; i < count; i++) {
    const s = scenarios[i % scenarios.length];
    const client = `10.${1 + Math.floor(i / 62_500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
    const clientPort = 30000 + (i % 30000);
    const start = BASE_US + i * spacing;
    for (const k of scenarioPackets(s)) {
      // Every packet gets its own IP id, as a real stack's: equal ids mark a duplicated copy.
      const data = linkFrame(1, ipv4({
        src: k.fromClient ? client : '10.2.0.1', dst: k.fromClient ? '10.2.0.1' : client, id: (order % 65535) + 1,
        payload: tcp({ srcPort: k.fromClient ? clientPort : 80, dstPort: k.fromClient ? 80 : clientPort, flags: k.flags, seq: k.seq, ack: k.ack, payload: k.len }),
      }));
      all.push({ timeUs: start + k.timeUs, order: order++, data });
    }
  }
  all.sort((a, b) => a.timeUs - b.timeUs || a.order - b.order);
  const packets: PcapPacketSpec[] = all.map((x) => ({ tsSec: Math.floor(x.timeUs / 1e6), tsFrac: x.timeUs % 1e6, data: x.data }));
  return writePcap({ packets });
}

/** Writes the capture to a temporary file and returns its path. */
export function writeSyntheticCapture(options: SyntheticOptions = {}, name = 'synthetic.pcap'): string {
  const dir = mkdtempSync(join(tmpdir(), 'finscope-ui-'));
  const file = join(dir, name);
  writeFileSync(file, syntheticPcap(options));
  return file;
}

export interface Loaded { input: InputResult; verdicts: Verdict[] }

/** Runs the real pipeline over a capture file, keeping segments (as the UI does). */
export async function loadCapture(file: string): Promise<Loaded> {
  const verdicts: Verdict[] = [];
  const input = await analyzeInput(file, 0, (v) => verdicts.push(v), { keepSegments: true });
  verdicts.sort((a, b) => a.id - b.id);
  return { input, verdicts };
}

/** One connection per scenario (or `options`), through the real pipeline. */
export async function syntheticVerdicts(options: SyntheticOptions = {}): Promise<Loaded> {
  return loadCapture(writeSyntheticCapture(options));
}
