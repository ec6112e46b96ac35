// Worker thread: the close stage of one input whose flow stage runs on the main thread
// (offload.ts). Connections come packed (src/flow/connection-codec.ts) in shared buffers, are
// judged as on the main thread, and their verdicts go back as compact records (src/store/record.ts)
// in the slot's shared records buffer, with what the store counts of them.

import { parentPort, workerData } from 'node:worker_threads';
import { analyzeConnection, VerdictScratch } from '../close/index.js';
import { PackedConnection } from '../flow/connection-codec.js';
import { InputTallies } from '../store/host-votes.js';
import { encodeVerdict, RecordWriter } from '../store/record.js';
import { recordKey, type OffloadReply, type OffloadRequest, type OffloadSetup } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/batch/close-worker.js runs only as a worker thread');

const setup = workerData as OffloadSetup;
const scratch = new VerdictScratch();
const conn = new PackedConnection();
const writer = new RecordWriter(0);
const slots: { conns: Float64Array; records: Buffer }[] = [];

function reply(m: OffloadReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(m, transfer);
}

port.on('message', (m: OffloadRequest) => {
  try {
    if (m.buffers !== null) {
      const r = m.buffers.records;
      slots[m.slot] = { conns: m.buffers.conns, records: Buffer.from(r.buffer, r.byteOffset, r.byteLength) };
    }
    const slot = slots[m.slot];
    writer.use(slot.records);
    // Counted here rather than decoded again from the records on the main thread.
    const tallies = new InputTallies();
    for (let at = 0; at < m.length;) {
      at = conn.load(slot.conns, at);
      const v = analyzeConnection(conn, setup.close, false, scratch);
      encodeVerdict(writer, v, recordKey(setup.index, v.id));
      tallies.add(v.input, v.id, v.vantage, v.client.ip, v.server.ip);
    }
    // Records that outgrew the slot's buffer are in a buffer of their own: it goes across whole.
    const overflow = writer.buf === slot.records ? null : writer.buf.subarray(0, writer.length);
    reply({ type: 'done', slot: m.slot, recordsLength: writer.length, overflow, tallies: tallies.toData() },
      overflow === null ? [] : [overflow.buffer as ArrayBuffer]);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply({ type: 'failed', message: e.message, stack: e.stack ?? '' });
  }
});
