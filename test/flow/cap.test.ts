// The live-connection cap (--max-connections) under pressure: every connection is handed on exactly
// once, whatever order eviction, 4-tuple reuse and timestamps going backwards come in. (Found by
// the fuzzer: a connection evicted as it was created, or evicted and then finished again as
// reused, came out twice, and the batch stage stopped with exit 4.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeKind, decodePacket, PacketView, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/index.js';
import { FlowTable, type Connection } from '../../src/flow/index.js';
import { tcpPacket } from '../helpers/frames.js';

interface P { client: boolean; flags: number; seq: number; ack: number; us: number; port?: number }

interface Finished { id: number; endReason: string; reusedById: number | null; previousId: number | null }

/** The finished connections' facts are copied: with recycle on, the objects are reused. */
function run(packets: P[], maxLive: number, recycle: boolean): { finished: Finished[]; table: FlowTable } {
  const finished: Finished[] = [];
  const table = new FlowTable((c: Connection) => finished.push({ id: c.id, endReason: c.endReason, reusedById: c.reusedById, previousId: c.previousId }),
    { maxLive, recycle });
  const view = new PacketView();
  packets.forEach((p, i) => {
    const port = p.port ?? 40000;
    const frame = tcpPacket({
      src: p.client ? '10.0.0.1' : '10.0.0.2', dst: p.client ? '10.0.0.2' : '10.0.0.1',
      tcp: { srcPort: p.client ? port : 80, dstPort: p.client ? 80 : port, flags: p.flags, seq: p.seq, ack: p.ack },
    });
    assert.equal(decodePacket(view, 1, frame, 0, frame.length), DecodeKind.Tcp);
    table.add(view, p.us, i + 1);
  });
  table.flush();
  return { finished, table };
}

function assertEachOnce(finished: Finished[], table: FlowTable): void {
  const ids = finished.map((c) => c.id).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: table.stats.connections }, (_, i) => i + 1));
}

describe('the live-connection cap', () => {
  it('a 4-tuple reused at the cap finishes the old connection once, as reused', () => {
    const closeThenReuse: P[] = [
      { client: true, flags: TCP_SYN, seq: 100, ack: 0, us: 0 },
      { client: false, flags: TCP_SYN | TCP_ACK, seq: 500, ack: 101, us: 10 },
      { client: true, flags: TCP_ACK, seq: 101, ack: 501, us: 20 },
      { client: true, flags: TCP_FIN | TCP_ACK, seq: 101, ack: 501, us: 30 },
      { client: false, flags: TCP_FIN | TCP_ACK, seq: 501, ack: 102, us: 40 },
      { client: true, flags: TCP_ACK, seq: 102, ack: 502, us: 50 },
      { client: true, flags: TCP_SYN, seq: 90_000, ack: 0, us: 60 },
    ];
    for (const [maxLive, recycle] of [[1, false], [2, false], [10, false], [1, true], [2, true]] as const) {
      const { finished, table } = run(closeThenReuse, maxLive, recycle);
      assertEachOnce(finished, table);
      const first = finished.find((c) => c.id === 1)!;
      assert.equal(first.endReason, 'reused', `maxLive ${maxLive}`);
      assert.equal(first.reusedById, 2);
      assert.equal(finished.find((c) => c.id === 2)!.previousId, 1);
      assert.equal(table.stats.evicted, 0, 'the reused connection leaves on its own: nothing to evict');
    }
  });

  for (const recycle of [false, true]) it(`a connection created with an earlier timestamp than the live ones is not evicted as it is created${recycle ? ' (recycling)' : ''}`, () => {
    const { finished, table } = run([
      { client: true, flags: TCP_ACK, seq: 1, ack: 1, us: 1_000_000 },
      { client: true, flags: TCP_RST | TCP_ACK, seq: 1, ack: 1, us: 100, port: 40000 },
      { client: true, flags: TCP_ACK, seq: 1, ack: 1, us: 500_000, port: 40001 },
      { client: true, flags: TCP_ACK, seq: 2, ack: 1, us: 500_001, port: 40001 },
    ], 1, recycle);
    assertEachOnce(finished, table);
    assert.equal(table.stats.evicted, 1);
    assert.deepEqual(finished.map((c) => [c.id, c.endReason]), [[1, 'evicted'], [2, 'capture-end']]);
    assert.ok(table.stats.peakLive <= 1);
  });
});
