import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IPV6_JUMBO, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO, DecodeKind, formatAddress, TCP_FIN,
} from '../../src/decode/index.js';
import { ethernet, ipv6, tcp, udp, type Ipv6Extension } from '../helpers/frames.js';
import { decodeFrame } from './decode-helper.js';

const segment = tcp({ srcPort: 6000, dstPort: 22, seq: 0xfffffff0, flags: TCP_FIN, payload: 33 });

describe('IPv6', () => {
  it('fills addresses, hop limit and lengths', () => {
    const view = decodeFrame(1, ethernet(ipv6({ src: 'fe80::1:2', dst: '2001:db8:0:1::ff', hopLimit: 3, payload: segment })));
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.ipVersion, 6);
    assert.equal(formatAddress(6, view.src), 'fe80::1:2');
    assert.equal(formatAddress(6, view.dst), '2001:db8:0:1::ff');
    assert.equal(view.ttl, 3);
    assert.equal(view.ipId, -1);
    assert.equal(view.ipHeaderLength, 40);
    assert.equal(view.ipTotalLength, 40 + 20 + 33);
    assert.equal(view.seq, 0xfffffff0);
    assert.equal(view.payloadLength, 33);
  });

  const chains: Array<[string, Ipv6Extension[], number]> = [
    ['hop-by-hop', [{ type: 'hop-by-hop', options: [1, 4, 0, 0, 0, 0] }], 8],
    ['routing', [{ type: 'routing', routingType: 4, segmentsLeft: 0, data: new Array<number>(16).fill(0x20) }], 24],
    ['destination options', [{ type: 'destination', options: new Array<number>(14).fill(0) }], 16],
    ['atomic fragment (offset 0, M=0)', [{ type: 'fragment' }], 8],
    ['AH', [{ type: 'ah' }], 24],
    ['AH with a 16-byte ICV', [{ type: 'ah', icvLength: 16 }], 28],
    ['the full RFC 8200 order', [
      { type: 'hop-by-hop' }, { type: 'destination' }, { type: 'routing' }, { type: 'fragment' }, { type: 'ah' },
      { type: 'destination' },
    ], 8 + 8 + 8 + 8 + 24 + 8],
  ];
  for (const [name, extensions, length] of chains) {
    it(`walks ${name} to TCP`, () => {
      const view = decodeFrame(1, ethernet(ipv6({ extensions, payload: segment })));
      assert.equal(view.kind, DecodeKind.Tcp, view.problem);
      assert.equal(view.ipProtocol, 6);
      assert.equal(view.ipHeaderLength, 40 + length);
      assert.equal(view.tcpOffset, view.ipOffset + 40 + length);
      assert.equal(view.srcPort, 6000);
      assert.equal(view.payloadLength, 33);
      assert.equal(view.firstFragment, false);
    });
  }

  it('decodes TCP in a first fragment (offset 0, M=1) and marks it', () => {
    const view = decodeFrame(1, ethernet(ipv6({ extensions: [{ type: 'fragment', more: true }], payload: segment })));
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.firstFragment, true);
  });

  it('counts a later fragment without a transport header', () => {
    const view = decodeFrame(1, ethernet(ipv6({ extensions: [{ type: 'fragment', offset: 1232 }], payload: Buffer.alloc(40, 0xff) })));
    assert.equal(view.kind, DecodeKind.Fragment);
    assert.equal(view.ipProtocol, 6);
    assert.equal(view.srcPort, 0);
  });

  it('allows 16 extension headers and calls 17 malformed (ipv6-ext-chain)', () => {
    const chain = (n: number): Ipv6Extension[] => Array.from({ length: n }, () => ({ type: 'destination' as const }));
    assert.equal(decodeFrame(1, ethernet(ipv6({ extensions: chain(16), payload: segment }))).kind, DecodeKind.Tcp);
    const view = decodeFrame(1, ethernet(ipv6({ extensions: chain(17), payload: segment })));
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'ipv6-ext-chain');
  });

  it('calls an extension header longer than the payload malformed (ipv6-ext-length)', () => {
    const view = decodeFrame(1, ethernet(ipv6({ extensions: [{ type: 'hop-by-hop', hdrExtLen: 200 }], payload: segment })));
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'ipv6-ext-length');
    const ah = decodeFrame(1, ethernet(ipv6({ extensions: [{ type: 'ah', payloadLen: 255 }], payload: segment })));
    assert.equal(ah.problem, 'ipv6-ext-length');
  });

  it('calls an extension header cut by the capture truncated', () => {
    const frame = ethernet(ipv6({ extensions: [{ type: 'routing', data: new Array<number>(32).fill(1) }], payload: segment }));
    const view = decodeFrame(1, frame, 14 + 40 + 12);
    assert.equal(view.kind, DecodeKind.Truncated);
    assert.equal(view.problem, 'ipv6-truncated');
    assert.equal(decodeFrame(1, frame, 14 + 39).problem, 'ipv6-truncated');
  });

  it('counts no-next-header (59) as other IP', () => {
    const view = decodeFrame(1, ethernet(ipv6({ nextHeader: 59 })));
    assert.equal(view.kind, DecodeKind.OtherIp);
    const behindDest = decodeFrame(1, ethernet(ipv6({ nextHeader: 59, extensions: [{ type: 'destination' }] })));
    assert.equal(behindDest.kind, DecodeKind.OtherIp);
    assert.equal(behindDest.ipProtocol, 59);
  });

  it('counts UDP, ICMPv6 and ESP by kind', () => {
    assert.equal(decodeFrame(1, ethernet(ipv6({ nextHeader: 17, payload: udp() }))).kind, DecodeKind.Udp);
    assert.equal(decodeFrame(1, ethernet(ipv6({ nextHeader: 58, payload: Buffer.from([128, 0, 0, 0, 0, 1, 0, 1]) }))).kind, DecodeKind.Icmp6);
    assert.equal(decodeFrame(1, ethernet(ipv6({ nextHeader: 50, payload: Buffer.alloc(16) }))).kind, DecodeKind.OtherIp);
    assert.equal(decodeFrame(1, ethernet(ipv6({ nextHeader: 17, extensions: [{ type: 'hop-by-hop' }], payload: udp() }))).kind, DecodeKind.Udp);
  });

  it('takes the payload length from the header when snaplen cut it, and ignores padding', () => {
    const frame = ethernet(ipv6({ payload: tcp({ payload: 1000 }) }));
    const cut = decodeFrame(1, frame, 14 + 40 + 20 + 5);
    assert.equal(cut.payloadLength, 1000);
    assert.equal(cut.capturedPayloadLength, 5);
    const padded = decodeFrame(1, Buffer.concat([ethernet(ipv6({ payload: tcp({ payload: 1 }) })), Buffer.alloc(9)]));
    assert.equal(padded.payloadLength, 1);
    assert.equal(padded.capturedPayloadLength, 1);
  });

  it('reads an RFC 2675 jumbogram length from the hop-by-hop option', () => {
    // Jumbo Payload option: type 0xC2, length 4, 32-bit payload length (counts the hop-by-hop header).
    const payload = tcp({ payload: 70_000 });
    const jumbo = 8 + payload.length;
    const options = [0xc2, 4, (jumbo >>> 24) & 0xff, (jumbo >>> 16) & 0xff, (jumbo >>> 8) & 0xff, jumbo & 0xff];
    const view = decodeFrame(1, ethernet(ipv6({ payloadLength: 0, extensions: [{ type: 'hop-by-hop', options }], payload })));
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.anomalies & ANOMALY_IPV6_JUMBO, ANOMALY_IPV6_JUMBO);
    assert.equal(view.payloadLength, 70_000);
    assert.equal(view.ipTotalLength, 40 + jumbo);
  });

  it('uses the captured length when payload length is 0 without a jumbo option (GSO / BIG TCP)', () => {
    const view = decodeFrame(1, ethernet(ipv6({ payloadLength: 0, payload: tcp({ payload: 5000 }) })));
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.anomalies & ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO);
    assert.equal(view.payloadLength, 5000);
  });

  it('clamps a payload length longer than the wire frame, and takes GSO lengths from the wire', () => {
    const frame = ethernet(ipv6({ payloadLength: 900, payload: tcp({ payload: 8 }) }));
    const view = decodeFrame(1, frame, frame.length, frame.length);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.anomalies & ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IP_LENGTH_EXCEEDS_FRAME);
    assert.equal(view.payloadLength, 8);
    const gso = ethernet(ipv6({ payloadLength: 0, payload: tcp({ payload: 20_000 }) }));
    const cut = decodeFrame(1, gso, 128, gso.length);
    assert.equal(cut.payloadLength, 20_000);
    assert.equal(cut.anomalies, ANOMALY_IPV6_PAYLOAD_LENGTH_ZERO);
  });

  it('calls a payload length too short for TCP malformed', () => {
    const view = decodeFrame(1, ethernet(ipv6({ payloadLength: 12, payload: segment })));
    assert.equal(view.kind, DecodeKind.Malformed);
    assert.equal(view.problem, 'tcp-data-offset');
  });
});
