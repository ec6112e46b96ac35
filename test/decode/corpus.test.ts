// Optional tests on the tcpdump test-suite captures in ../shared/corpus (skipped when absent):
//  - differential: for a handful of files with TCP, every TCP packet's ports, raw seq/ack, flags
//    and payload length must match tshark's (when tshark is installed);
//  - robustness: every file in the corpus decodes without hitting the decoder's safety net.
// Neither needs anything in the repo beyond the capture reader.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { readCapture } from '../../src/capture/index.js';
import { DecodeKind, decodePacket, DecodeStats, PacketView } from '../../src/decode/index.js';
import { findTshark } from '../helpers/tshark.js';

const CORPUS = process.env.FINSCOPE_TCPDUMP_CORPUS ?? '/work/shared/corpus/tcpdump';

/** One file per link type and per odd case the decoder has a rule for. */
const DIFFERENTIAL_FILES = [
  'ssh.pcap', // Ethernet, plain session
  'mptcp-v0.pcap', // Ethernet, many options (MPTCP, SACK, timestamps)
  'resp_1_benchmark.pcap', // LINUX_SLL
  'tcp-handshake-nano.pcap', // LINUX_SLL, nanosecond pcap
  'tcp_rst_diag_payload.pcap', // NULL
  'mptcp-tcprst.pcap', // RAW (101)
  'scps_invalid.pcap', // IPV4 (228)
  'beep-oobr.pcap', // IPV6 (229)
  'bigtcp-ipv4.pcap', // IPv4 total length 0 (BIG TCP)
  'bigtcp-ipv6-hbh.pcap', // IPv6 jumbogram with hop-by-hop Jumbo Payload option
  'ipv4_tcp_http_xml_tso.pcap', // TSO, total length 0
  'accecn_handshake.pcap', // AE flag
  'print-flags.pcap', // every flag combination
  'tfo-5c1fa7f9ae91.pcap', // TCP Fast Open: payload on SYN
  'kday4.pcap', // IP total length longer than the frame
];

interface TcpRow {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  /** null when tshark gave no tcp.len (it drops the field when a dissector below TCP throws). */
  payloadLength: number | null;
}

function tsharkTcp(path: string): Map<number, TcpRow | 'skip'> {
  const fields = ['frame.number', 'tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.flags', 'tcp.len'];
  const output = execFileSync('tshark', ['-r', path, '-Y', 'tcp', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26,
  });
  const rows = new Map<number, TcpRow | 'skip'>();
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const [frame, srcPort, dstPort, seq, ack, flags, length] = line.split('\t').map((f) => f ?? '');
    // Several TCP layers (a tunnel, an ICMP error quoting a header): not one packet's TCP.
    if ([srcPort, dstPort, seq, ack, flags, length].some((f) => f.includes(','))) {
      rows.set(Number(frame), 'skip');
      continue;
    }
    rows.set(Number(frame), {
      srcPort: Number(srcPort), dstPort: Number(dstPort), seq: Number(seq), ack: Number(ack),
      flags: Number(flags) & 0x1ff, payloadLength: length === '' || length === undefined ? null : Number(length),
    });
  }
  return rows;
}

async function decodeFile(path: string, onPacket: (view: PacketView, packetNumber: number) => void): Promise<void> {
  const view = new PacketView();
  await readCapture(path, (record) => {
    decodePacket(view, record.linkType, record.data, record.offset, record.capturedLength, record.originalLength);
    onPacket(view, record.packetNumber);
  }, { file: path });
}

describe('tcpdump corpus', { skip: existsSync(CORPUS) ? false : `no corpus at ${CORPUS}` }, () => {
  describe('differential against tshark', { skip: findTshark() !== null ? false : 'tshark is not installed' }, () => {
    for (const name of DIFFERENTIAL_FILES) {
      const path = join(CORPUS, name);
      it(`agrees with tshark on ${name}`, { skip: existsSync(path) ? false : 'file missing' }, async () => {
        const expected = tsharkTcp(path);
        const ours = new Map<number, TcpRow>();
        await decodeFile(path, (view, packetNumber) => {
          if (view.kind !== DecodeKind.Tcp) return;
          ours.set(packetNumber, {
            srcPort: view.srcPort, dstPort: view.dstPort, seq: view.seq, ack: view.ack, flags: view.flags,
            payloadLength: view.payloadLength,
          });
        });
        let compared = 0;
        for (const [frame, row] of expected) {
          if (row === 'skip') continue;
          const mine = ours.get(frame);
          assert.ok(mine, `frame ${frame}: tshark sees TCP, we do not`);
          if (row.payloadLength === null) mine.payloadLength = null;
          assert.deepEqual(mine, row, `frame ${frame}`);
          compared++;
        }
        for (const frame of ours.keys()) assert.ok(expected.has(frame), `frame ${frame}: we see TCP, tshark does not`);
        assert.ok(compared > 0, 'nothing compared');
      });
    }
  });

  it('decodes every capture without reaching the safety net', async () => {
    const stats = new DecodeStats();
    const files = readdirSync(CORPUS).filter((name) => /\.pcap(ng)?$/.test(name)).sort();
    for (const name of files) {
      await decodeFile(join(CORPUS, name), (view, packetNumber) => {
        assert.notEqual(view.problem, 'decoder-error', `${name} packet ${packetNumber}`);
        stats.record(view, packetNumber);
      });
    }
    assert.ok(stats.byKind[DecodeKind.Tcp] > 1000, 'the corpus holds TCP');
  });
});
