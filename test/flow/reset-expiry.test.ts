// A connection closed by a RST is over once its 4-tuple has been quiet for 5 s (any later segment
// would start a new connection), so the table finishes it then instead of keeping it for the
// whole TIME_WAIT span like a connection closed by FINs: a port scan (a reset connection per port)
// otherwise kept every connection of its last minute live. Real packets: captures/abortive-close.pcap
// (SO_LINGER 0, one RST) followed, some seconds later, by captures/four-way-close.pcap (FINs).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../src/capture/index.js';
import { DecodeKind, decodePacket, PacketView } from '../../src/decode/index.js';
import { FlowTable, type Connection } from '../../src/flow/index.js';

const CAPTURES = join(process.cwd(), 'captures');

interface Packet { linkType: number; data: Buffer; us: number }

async function packets(file: string): Promise<Packet[]> {
  const out: Packet[] = [];
  await readCapture(join(CAPTURES, file), (r) => {
    out.push({ linkType: r.linkType, data: Buffer.from(r.data.subarray(r.offset, r.offset + r.capturedLength)), us: r.tsSec * 1_000_000 + Math.floor(r.tsNsec / 1000) });
  }, { file });
  return out;
}

interface Seen { id: number; endReason: string; observedUntilUs: number; whileFeeding: boolean }

/** The reset connection, then the FIN-closed one starting `gapUs` after its last packet. */
async function run(gapUs: number, recycle: boolean, firstFile = 'abortive-close.pcap'): Promise<{ seen: Seen[]; live: number[]; secondStartUs: number; resetLastUs: number }> {
  const first = await packets(firstFile);
  const second = await packets('four-way-close.pcap');
  const seen: Seen[] = [];
  let feeding = true;
  const table = new FlowTable((c: Connection) => seen.push({ id: c.id, endReason: c.endReason, observedUntilUs: c.observedUntilUs, whileFeeding: feeding }), { recycle });
  const view = new PacketView();
  const live: number[] = [];
  let n = 0;
  const feed = (p: Packet, us: number): void => {
    if (decodePacket(view, p.linkType, p.data, 0, p.data.length) === DecodeKind.Tcp) table.add(view, us, ++n);
    live.push(table.live);
  };
  for (const p of first) feed(p, p.us);
  const resetLastUs = first[first.length - 1].us;
  const shift = resetLastUs + gapUs - second[0].us;
  for (const p of second) feed(p, p.us + shift);
  feeding = false;
  table.flush();
  return { seen, live, secondStartUs: second[0].us + shift, resetLastUs };
}

test('a reset connection quiet for more than 5 s is finished then; one closed by FINs stays for TIME_WAIT', async () => {
  for (const recycle of [false, true]) {
    const { seen, secondStartUs } = await run(6_000_000, recycle);
    assert.equal(seen.length, 2);
    const [reset, fins] = seen.sort((a, b) => a.id - b.id);
    assert.equal(reset.endReason, 'closed-quiet');
    assert.ok(reset.whileFeeding, 'finished while the capture went on, not at its end');
    assert.equal(reset.observedUntilUs, secondStartUs, 'watched until the packet that found it quiet');
    assert.equal(fins.endReason, 'capture-end', 'closed by FINs: kept through TIME_WAIT (60 s), to the end');
    assert.ok(!fins.whileFeeding);
  }
});

test('a reset connection heard from within 5 s is still live', async () => {
  const { seen, live, resetLastUs } = await run(4_000_000, true);
  const reset = seen.find((s) => s.id === 1)!;
  assert.equal(reset.endReason, 'capture-end');
  assert.ok(!reset.whileFeeding);
  assert.ok(reset.observedUntilUs > resetLastUs + 4_000_000);
  assert.equal(Math.max(...live), 2, 'both connections were live at once');
});

test('a RST after both FINs (one ignored in TIME_WAIT, tcp_rfc1337=1) keeps the TIME_WAIT span', async () => {
  // time-wait-rfc1337.pcap: both FINs, then RSTs that the client's TIME_WAIT survives. Forgotten
  // 5 s after the RST, its TIME_WAIT would have been cut short (a bug a first version had).
  const { seen } = await run(6_000_000, true, 'time-wait-rfc1337.pcap');
  const first = seen.find((s) => s.id === 1)!;
  assert.equal(first.endReason, 'capture-end');
  assert.ok(!first.whileFeeding, 'still live 6 s after its last packet');
});
