// Random and mutated bytes must never make the decoder throw, hang, or report offsets outside the
// record. A seeded generator keeps failures reproducible.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { DecodeKind, decodePacket, PacketView } from '../../src/decode/index.js';
import { ethernet, ipv4, ipv6, linkFrame, tcp, xorshift32 } from '../helpers/frames.js';

const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9];
const FRAMES_PER_LINK_TYPE = 100_000;

function checkView(view: PacketView, kind: DecodeKind, start: number, end: number): void {
  assert.ok(kind >= DecodeKind.Tcp && kind <= DecodeKind.UnsupportedLink, `kind ${kind}`);
  assert.equal(view.kind, kind);
  // decodePacket's catch-all is a safety net, not a code path: hitting it means a bounds check is wrong.
  assert.notEqual(view.problem, 'decoder-error');
  if (kind === DecodeKind.Tcp) {
    // The fixed header was in the record; options may be cut by the capture, payload bytes may not
    // be claimed beyond it.
    assert.ok(view.tcpOffset >= start && view.tcpOffset + 20 <= end);
    assert.ok(view.tcpHeaderLength >= 20 && view.tcpHeaderLength <= 60);
    assert.ok(view.capturedPayloadLength >= 0 && view.capturedPayloadLength <= view.payloadLength);
    if (view.capturedPayloadLength > 0) {
      assert.ok(view.tcpOffset + view.tcpHeaderLength + view.capturedPayloadLength <= end);
    }
    assert.ok(view.seq >= 0 && view.ack >= 0);
    assert.ok(view.sackBlockCount <= 4);
  }
}

/** Valid frames of every shape, to mutate: mutations of real structure reach deeper code than noise. */
function seeds(linkType: number): Buffer[] {
  const segment = tcp({ options: [{ kind: 'mss', value: 1460 }, { kind: 'sack-permitted' }, { kind: 'timestamps', tsVal: 1, tsEcr: 2 }, { kind: 'nop' }, { kind: 'window-scale', shift: 7 }], payload: 30 });
  const v4 = ipv4({ options: [1, 1, 1, 0], payload: segment });
  const v6 = ipv6({ extensions: [{ type: 'hop-by-hop' }, { type: 'routing' }, { type: 'fragment', more: true }, { type: 'ah' }, { type: 'destination' }], payload: segment });
  if (linkType === 9) return [v4];
  const out = [];
  if (linkType !== 229) out.push(linkFrame(linkType === 228 ? 101 : linkType, v4));
  if (linkType !== 228) out.push(linkFrame(linkType === 229 ? 101 : linkType, v6));
  if (linkType === 1) out.push(ethernet(v4, { vlans: [{ id: 1, tpid: 0x88a8 }, { id: 2 }] }));
  return out;
}

describe('decoder fuzz', () => {
  for (const linkType of LINK_TYPES) {
    it(`survives ${FRAMES_PER_LINK_TYPE} random and mutated frames on link type ${linkType}`, () => {
      const next = xorshift32(0x9e3779b9 ^ (linkType * 7919));
      const view = new PacketView();
      const buffer = Buffer.alloc(512);
      const templates = seeds(linkType);
      for (let n = 0; n < FRAMES_PER_LINK_TYPE; n++) {
        let length: number;
        if (n % 2 === 0) {
          // Pure noise, mostly short.
          length = next() % (n % 8 === 0 ? 400 : 80);
          for (let i = 0; i < length; i++) buffer[i] = next() & 0xff;
        } else {
          // A valid frame with a few bytes flipped and a random cut.
          const template = templates[n % templates.length];
          template.copy(buffer, 0);
          const flips = 1 + (next() % 4);
          for (let f = 0; f < flips; f++) buffer[next() % template.length] = next() & 0xff;
          length = next() % 3 === 0 ? next() % (template.length + 1) : template.length;
        }
        // Sometimes place the record at an offset, sometimes claim more bytes than the buffer has.
        const offset = n % 5 === 0 ? 0 : next() % 16;
        const claimed = n % 97 === 0 ? length + 1000 : length;
        if (offset > 0) buffer.copyWithin(offset, 0, length);
        // Wire length: unknown, equal, larger (snaplen) or nonsense (smaller than captured).
        const wire = n % 4 === 0 ? undefined : n % 4 === 1 ? length : next() % 3000;
        const kind = decodePacket(view, linkType, buffer, offset, claimed, wire);
        checkView(view, kind, offset, Math.min(offset + claimed, buffer.length));
      }
    });
  }

  it('survives nonsense offsets and lengths', () => {
    const view = new PacketView();
    const frame = linkFrame(1, ipv4({ payload: tcp() }));
    for (const [offset, length] of [[-1, 10], [0, -5], [NaN, 10], [0, NaN], [1e9, 10], [frame.length, 10], [3, Infinity]]) {
      assert.doesNotThrow(() => decodePacket(view, 1, frame, offset, length));
    }
    assert.equal(decodePacket(view, 1, Buffer.alloc(0), 0, 0), DecodeKind.Truncated);
  });
});
