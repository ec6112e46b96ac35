import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ANOMALY_TCP_OPTIONS, DecodeKind, TCP_ACK, TCP_AE, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  type PacketView,
} from '../../src/decode/index.js';
import { ethernet, ipv4, tcp, tcpPacket, type TcpOption, type TcpSpec } from '../helpers/frames.js';
import { decodeFrame } from './decode-helper.js';

function decodeTcp(spec: TcpSpec, capturedLength?: number): PacketView {
  const frame = tcpPacket({ tcp: spec });
  return decodeFrame(1, frame, capturedLength ?? frame.length);
}

describe('TCP fixed header', () => {
  it('reads ports, seq, ack, window and header length', () => {
    const view = decodeTcp({ srcPort: 65535, dstPort: 1, seq: 0xffffffff, ack: 0x80000000, window: 513, payload: 7 });
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.srcPort, 65535);
    assert.equal(view.dstPort, 1);
    assert.equal(view.seq, 4294967295);
    assert.equal(view.ack, 2147483648);
    assert.equal(view.window, 513);
    assert.equal(view.tcpHeaderLength, 20);
    assert.equal(view.payloadLength, 7);
    assert.equal(view.capturedPayloadLength, 7);
    assert.equal(view.data[view.tcpOffset + view.tcpHeaderLength], 0x41, 'payload starts after the header');
  });

  const flagRows: Array<[string, number]> = [
    ['FIN', TCP_FIN], ['SYN', TCP_SYN], ['RST', TCP_RST], ['PSH', TCP_PSH], ['ACK', TCP_ACK], ['URG', TCP_URG],
    ['ECE', TCP_ECE], ['CWR', TCP_CWR], ['AE', TCP_AE], ['all nine', 0x1ff], ['SYN+ACK+AE', TCP_SYN | TCP_ACK | TCP_AE],
    ['none', 0],
  ];
  for (const [name, flags] of flagRows) {
    it(`reads flags: ${name}`, () => {
      assert.equal(decodeTcp({ flags }).flags, flags);
    });
  }

  it('ignores the reserved bits next to AE', () => {
    const frame = tcpPacket({ tcp: { flags: TCP_ACK } });
    frame[14 + 20 + 12] |= 0x0e;
    assert.equal(decodeFrame(1, frame).flags, TCP_ACK);
  });

  it('calls data offset < 5 malformed (tcp-data-offset)', () => {
    for (const dataOffset of [0, 1, 4]) {
      const view = decodeTcp({ dataOffset, payload: 40 });
      assert.equal(view.kind, DecodeKind.Malformed);
      assert.equal(view.problem, 'tcp-data-offset');
    }
  });

  it('calls a header longer than the IP payload malformed (tcp-data-offset)', () => {
    const view = decodeTcp({ dataOffset: 15 });
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'tcp-data-offset');
  });

  it('calls a fixed header cut by snaplen truncated, keeping what it could read', () => {
    const frame = tcpPacket({ tcp: { srcPort: 9, dstPort: 10, seq: 11, ack: 12, flags: TCP_RST } });
    const view = decodeFrame(1, frame, 14 + 20 + 14);
    assert.equal(view.kind, DecodeKind.Truncated);
    assert.equal(view.problem, 'tcp-truncated');
    assert.deepEqual([view.srcPort, view.dstPort, view.seq, view.ack, view.flags], [9, 10, 11, 12, TCP_RST]);
    const shorter = decodeFrame(1, frame, 14 + 20 + 8);
    assert.equal(shorter.kind, DecodeKind.Truncated);
    assert.equal(shorter.srcPort, 0);
  });

  it('keeps payload length from IP and capturedPayloadLength from the record', () => {
    const view = decodeTcp({ payload: 1448 }, 14 + 20 + 20 + 100);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.payloadLength, 1448);
    assert.equal(view.capturedPayloadLength, 100);
  });
});

describe('TCP options', () => {
  it('reads a Linux SYN option set', () => {
    const options: TcpOption[] = [
      { kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsVal: 0xdeadbeef, tsEcr: 0 },
      { kind: 'nop' }, { kind: 'window-scale', shift: 7 },
    ];
    const view = decodeTcp({ flags: TCP_SYN, options });
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.tcpHeaderLength, 40);
    assert.equal(view.mss, 1460);
    assert.equal(view.sackPermitted, true);
    assert.equal(view.hasTimestamp, true);
    assert.equal(view.tsVal, 0xdeadbeef);
    assert.equal(view.tsEcr, 0);
    assert.equal(view.windowScale, 7);
    assert.equal(view.anomalies, 0);
  });

  it('leaves options at -1/false when absent', () => {
    const view = decodeTcp({});
    assert.deepEqual([view.mss, view.windowScale, view.sackPermitted, view.sackBlockCount, view.hasTimestamp], [-1, -1, false, 0, false]);
  });

  const single: Array<[string, TcpOption, (v: PacketView) => void]> = [
    ['MSS', { kind: 'mss', value: 536 }, (v) => assert.equal(v.mss, 536)],
    ['window scale', { kind: 'window-scale', shift: 14 }, (v) => assert.equal(v.windowScale, 14)],
    ['window scale 15 (recorded raw)', { kind: 'window-scale', shift: 15 }, (v) => assert.equal(v.windowScale, 15)],
    ['SACK permitted', { kind: 'sack-permitted' }, (v) => assert.equal(v.sackPermitted, true)],
    ['timestamps', { kind: 'timestamps', tsVal: 1, tsEcr: 0xffffffff }, (v) => {
      assert.equal(v.hasTimestamp, true);
      assert.equal(v.tsVal, 1);
      assert.equal(v.tsEcr, 0xffffffff);
    }],
    ['unknown kind 30 (MPTCP) skipped', { kind: 'raw', bytes: [30, 4, 0, 0] }, (v) => assert.equal(v.anomalies, 0)],
  ];
  for (const [name, option, check] of single) {
    it(`reads ${name}`, () => {
      const view = decodeTcp({ options: [option] });
      assert.equal(view.kind, DecodeKind.Tcp);
      check(view);
    });
  }

  for (let blocks = 1; blocks <= 4; blocks++) {
    it(`reads ${blocks} SACK block(s)`, () => {
      const edges: Array<[number, number]> = Array.from({ length: blocks }, (_, i) => [0xfffff000 + i * 100, 0xfffff000 + i * 100 + 50]);
      const options: TcpOption[] = blocks < 4 ? [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: edges }] : [{ kind: 'sack', blocks: edges }];
      const view = decodeTcp({ options });
      assert.equal(view.kind, DecodeKind.Tcp);
      assert.equal(view.sackBlockCount, blocks);
      for (let i = 0; i < blocks; i++) {
        assert.equal(view.sackBlocks[2 * i], edges[i][0]);
        assert.equal(view.sackBlocks[2 * i + 1], edges[i][1]);
      }
      assert.equal(view.anomalies, 0);
    });
  }

  it('stops at EOL', () => {
    const view = decodeTcp({ options: [{ kind: 'eol' }, { kind: 'mss', value: 1 }] });
    assert.equal(view.mss, -1);
    assert.equal(view.anomalies, 0);
  });

  const bad: Array<[string, number[], (v: PacketView) => void]> = [
    ['length 0', [2, 0, 5, 0xb4], (v) => assert.equal(v.mss, -1)],
    ['length 1', [8, 1, 0, 0], (v) => assert.equal(v.hasTimestamp, false)],
    ['length past the header', [1, 1, 8, 10, 0, 0, 0, 0], (v) => assert.equal(v.hasTimestamp, false)],
    ['length byte outside the header', [1, 1, 1, 2], () => undefined],
    ['MSS with length 3', [2, 3, 1, 1], (v) => assert.equal(v.mss, -1)],
    ['window scale with length 4', [3, 4, 7, 0], (v) => assert.equal(v.windowScale, -1)],
    ['SACK permitted with length 3', [4, 3, 0, 0], (v) => assert.equal(v.sackPermitted, false)],
    ['timestamps with length 6', [8, 6, 0, 0, 0, 1, 0, 0], (v) => assert.equal(v.hasTimestamp, false)],
    ['SACK with length 7', [5, 7, 0, 0, 0, 1, 0, 2], (v) => assert.equal(v.sackBlockCount, 0)],
    ['SACK with no blocks', [5, 2, 0, 0], (v) => assert.equal(v.sackBlockCount, 0)],
  ];
  for (const [name, bytes, check] of bad) {
    it(`notes a bad option (${name}) and keeps the packet`, () => {
      const view = decodeTcp({ options: Uint8Array.from(bytes), payload: 3 });
      assert.equal(view.kind, DecodeKind.Tcp);
      assert.equal(view.anomalies & ANOMALY_TCP_OPTIONS, ANOMALY_TCP_OPTIONS);
      assert.equal(view.payloadLength, 3);
      check(view);
    });
  }

  it('keeps options read before a bad one, and skips wrong-length known ones', () => {
    const view = decodeTcp({ options: Uint8Array.from([2, 4, 5, 0xb4, 3, 4, 7, 0, 4, 2, 8, 0]) });
    assert.equal(view.mss, 1460);
    assert.equal(view.windowScale, -1);
    assert.equal(view.sackPermitted, true);
    assert.equal(view.anomalies & ANOMALY_TCP_OPTIONS, ANOMALY_TCP_OPTIONS);
  });

  it('walks 40 bytes of NOPs without trouble', () => {
    const view = decodeTcp({ options: new Array<TcpOption>(40).fill({ kind: 'nop' }) });
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.tcpHeaderLength, 60);
    assert.equal(view.anomalies, 0);
  });

  it('reads options up to the snaplen cut, quietly', () => {
    const options: TcpOption[] = [{ kind: 'mss', value: 1400 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsVal: 5, tsEcr: 6 }];
    const full = tcpPacket({ tcp: { options, payload: 500 } });
    const view = decodeFrame(1, full, 14 + 20 + 20 + 4 + 2 + 5);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.mss, 1400);
    assert.equal(view.hasTimestamp, false);
    assert.equal(view.anomalies, 0);
    assert.equal(view.tcpHeaderLength, 36);
    assert.equal(view.payloadLength, 500);
    assert.equal(view.capturedPayloadLength, 0);
  });

  it('does not read options from a following packet when the record stops early', () => {
    // The 0xee filler after the record would be a nonsense option if the decoder read it.
    const frame = ethernet(ipv4({ payload: tcp({ options: [{ kind: 'mss', value: 1200 }] }) }));
    const view = decodeFrame(1, frame, 14 + 20 + 21);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.mss, -1);
    assert.equal(view.anomalies, 0);
  });
});
