import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IPV4_TOTAL_LENGTH_ZERO, DecodeKind, formatAddress, TCP_ACK, TCP_PSH,
} from '../../src/decode/index.js';
import { ethernet, ipv4, tcp, udp } from '../helpers/frames.js';
import { decodeFrame } from './decode-helper.js';

const segment = tcp({ srcPort: 5000, dstPort: 443, seq: 7, flags: TCP_ACK | TCP_PSH, payload: 100 });

describe('IPv4', () => {
  it('fills addresses, TTL, id, protocol and lengths', () => {
    const view = decodeFrame(1, ethernet(ipv4({ src: '192.168.1.10', dst: '8.8.4.4', ttl: 55, id: 0xbeef, payload: segment })));
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.ipVersion, 4);
    assert.equal(formatAddress(4, view.src), '192.168.1.10');
    assert.equal(formatAddress(4, view.dst), '8.8.4.4');
    assert.deepEqual([...view.src], [0xc0a8010a, 0, 0, 0]);
    assert.equal(view.ttl, 55);
    assert.equal(view.ipId, 0xbeef);
    assert.equal(view.ipProtocol, 6);
    assert.equal(view.ipHeaderLength, 20);
    assert.equal(view.ipTotalLength, 20 + 20 + 100);
    assert.equal(view.tcpOffset, view.ipOffset + 20);
    assert.equal(view.payloadLength, 100);
    assert.equal(view.capturedPayloadLength, 100);
    assert.equal(view.firstFragment, false);
    assert.equal(view.anomalies, 0);
  });

  for (const optionBytes of [4, 12, 40]) {
    it(`skips ${optionBytes} bytes of options (IHL ${5 + optionBytes / 4})`, () => {
      // Record Route-like filler: NOPs then EOL; the decoder only needs IHL.
      const options = [...new Array<number>(optionBytes - 1).fill(1), 0];
      const view = decodeFrame(1, ethernet(ipv4({ options, payload: segment })));
      assert.equal(view.kind, DecodeKind.Tcp, view.problem);
      assert.equal(view.ipHeaderLength, 20 + optionBytes);
      assert.equal(view.tcpOffset, view.ipOffset + 20 + optionBytes);
      assert.equal(view.srcPort, 5000);
      assert.equal(view.payloadLength, 100);
    });
  }

  it('treats a first fragment (MF, offset 0) as TCP and marks it', () => {
    const view = decodeFrame(1, ethernet(ipv4({ moreFragments: true, payload: segment })));
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.firstFragment, true);
    assert.equal(view.srcPort, 5000);
  });

  it('counts later fragments without reading a transport header', () => {
    for (const moreFragments of [true, false]) {
      const view = decodeFrame(1, ethernet(ipv4({ fragmentOffset: 1480, moreFragments, payload: Buffer.alloc(64, 0xff) })));
      assert.equal(view.kind, DecodeKind.Fragment);
      assert.equal(view.srcPort, 0);
      assert.equal(view.ipProtocol, 6);
    }
  });

  it('ignores DF', () => {
    const view = decodeFrame(1, ethernet(ipv4({ dontFragment: true, payload: segment })));
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.firstFragment, false);
  });

  const malformedRows: Array<[string, Parameters<typeof ipv4>[0], string]> = [
    ['IHL 0', { ihl: 0, payload: segment }, 'ipv4-ihl'],
    ['IHL 4', { ihl: 4, payload: segment }, 'ipv4-ihl'],
    ['total length 19 (< 20)', { totalLength: 19, payload: segment }, 'ipv4-total-length'],
    ['total length below IHL*4 with options', { options: [1, 1, 1, 0], totalLength: 22, payload: segment }, 'ipv4-total-length'],
    ['version 5', { version: 5, payload: segment }, 'ip-version'],
    ['total length leaving no room for TCP', { totalLength: 30, payload: segment }, 'tcp-data-offset'],
  ];
  for (const [name, spec, problem] of malformedRows) {
    it(`calls ${name} malformed (${problem})`, () => {
      const view = decodeFrame(1, ethernet(ipv4(spec)));
      assert.equal(view.kind, DecodeKind.Malformed);
      assert.equal(view.problem, problem);
    });
  }

  it('calls a header cut before 20 bytes, or inside its options, truncated', () => {
    const plain = ethernet(ipv4({ payload: segment }));
    assert.equal(decodeFrame(1, plain, 14 + 19).problem, 'ipv4-truncated');
    assert.equal(decodeFrame(1, plain, 14 + 19).kind, DecodeKind.Truncated);
    const withOptions = ethernet(ipv4({ options: new Array<number>(20).fill(1), payload: segment }));
    const view = decodeFrame(1, withOptions, 14 + 30);
    assert.equal(view.kind, DecodeKind.Truncated);
    assert.equal(view.problem, 'ipv4-truncated');
  });

  it('takes the payload length from the IP header when snaplen cut the payload', () => {
    const frame = ethernet(ipv4({ payload: tcp({ payload: 1400 }) }));
    const view = decodeFrame(1, frame, 14 + 20 + 20 + 10);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.ipTotalLength, 1440);
    assert.equal(view.payloadLength, 1400);
    assert.equal(view.capturedPayloadLength, 10);
  });

  it('does not count Ethernet padding as payload', () => {
    const frame = ethernet(ipv4({ payload: tcp({ flags: TCP_ACK }) }), { pad: true });
    assert.equal(frame.length, 60);
    const view = decodeFrame(1, frame);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.payloadLength, 0);
    assert.equal(view.capturedPayloadLength, 0);
    const small = decodeFrame(1, ethernet(ipv4({ payload: tcp({ payload: 2 }) }), { pad: true }));
    assert.equal(small.payloadLength, 2);
    assert.equal(small.capturedPayloadLength, 2);
  });

  it('uses the captured length when total length is 0 (TSO on the sending host) and notes it', () => {
    const frame = ethernet(ipv4({ totalLength: 0, payload: tcp({ payload: 3000 }) }));
    const view = decodeFrame(1, frame);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.anomalies & ANOMALY_IPV4_TOTAL_LENGTH_ZERO, ANOMALY_IPV4_TOTAL_LENGTH_ZERO);
    assert.equal(view.ipTotalLength, 3040);
    assert.equal(view.payloadLength, 3000);
    assert.equal(view.capturedPayloadLength, 3000);
  });

  it('takes a TSO length-0 packet cut by snaplen from the wire length', () => {
    const frame = ethernet(ipv4({ totalLength: 0, payload: tcp({ payload: 30_000 }) }));
    const view = decodeFrame(1, frame, 96, frame.length);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.payloadLength, 30_000);
    assert.equal(view.capturedPayloadLength, 96 - 14 - 40);
  });

  it('clamps a total length longer than the wire frame, and notes it', () => {
    // 66 bytes on the wire and captured, but the header claims 820: not a snaplen cut (Wireshark
    // says "IPv4 total length exceeds packet length" and uses the frame).
    const frame = ethernet(ipv4({ totalLength: 820, payload: tcp({ payload: 12 }) }));
    const view = decodeFrame(1, frame, frame.length, frame.length);
    assert.equal(view.kind, DecodeKind.Tcp, view.problem);
    assert.equal(view.anomalies & ANOMALY_IP_LENGTH_EXCEEDS_FRAME, ANOMALY_IP_LENGTH_EXCEEDS_FRAME);
    assert.equal(view.ipTotalLength, 52);
    assert.equal(view.payloadLength, 12);
    // Without the original length the same bytes read as a snaplen cut.
    const unknown = decodeFrame(1, frame);
    assert.equal(unknown.payloadLength, 780);
    assert.equal(unknown.anomalies, 0);
  });

  it('keeps a snaplen cut that fits the wire length', () => {
    const frame = ethernet(ipv4({ payload: tcp({ payload: 1400 }) }));
    const view = decodeFrame(1, frame, 100, frame.length);
    assert.equal(view.payloadLength, 1400);
    assert.equal(view.anomalies, 0);
  });

  it('trusts the captured bytes when the wire length is below the captured length', () => {
    const frame = ethernet(ipv4({ payload: tcp({ payload: 40 }) }));
    const view = decodeFrame(1, frame, frame.length, 10);
    assert.equal(view.kind, DecodeKind.Tcp);
    assert.equal(view.payloadLength, 40);
    assert.equal(view.anomalies, 0);
  });

  const kindRows: Array<[string, number, Buffer, DecodeKind]> = [
    ['UDP', 17, udp({ payload: 20 }), DecodeKind.Udp],
    ['ICMP', 1, Buffer.from([8, 0, 0, 0, 0, 1, 0, 1]), DecodeKind.Icmp],
    ['GRE', 47, Buffer.alloc(8), DecodeKind.OtherIp],
    ['ESP', 50, Buffer.alloc(16), DecodeKind.OtherIp],
    ['SCTP', 132, Buffer.alloc(16), DecodeKind.OtherIp],
  ];
  for (const [name, protocol, payload, kind] of kindRows) {
    it(`counts ${name} by kind`, () => {
      const view = decodeFrame(1, ethernet(ipv4({ protocol, payload })));
      assert.equal(view.kind, kind);
      assert.equal(view.ipProtocol, protocol);
      assert.equal(view.ipVersion, 4);
    });
  }
});
