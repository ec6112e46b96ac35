// Worker thread of a split input (split.ts): judges the connections the main thread's flow stage
// packs (src/flow/wire.ts) and sends the verdicts back as compact records, as a batch worker does.

import { parentPort, workerData } from 'node:worker_threads';
import { analyzeConnection } from '../close/index.js';
import { WireConnection } from '../flow/wire.js';
import { encodeVerdict, RecordWriter } from '../store/record.js';
import {
  RECORD_BATCH, recordKey, SPLIT_FAILED, SPLIT_IN_FLIGHT,
  type CloseWorkerData, type ToCloseWorker, type FromCloseWorker,
} from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('src/batch/close-worker.js runs only as a worker thread');

const { index, close, shared } = workerData as CloseWorkerData;
const post = (m: FromCloseWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
const conn = new WireConnection();
const writer = new RecordWriter(RECORD_BATCH + 64 * 1024);

function flush(): void {
  if (writer.length === 0) return;
  const records = writer.take();
  post({ type: 'records', records }, [records.buffer as ArrayBuffer]);
}

port.on('message', (m: ToCloseWorker) => {
  try {
    if (m.type === 'connections') {
      const p = m.packed;
      for (let at = 0; at < m.length;) {
        at = conn.load(p, at);
        const v = analyzeConnection(conn, close, false);
        encodeVerdict(writer, v, recordKey(index, v.id));
        if (writer.length >= RECORD_BATCH) flush();
      }
      // The buffer goes back to be filled again.
      post({ type: 'free', packed: p }, [p.buffer as ArrayBuffer]);
      Atomics.sub(shared, SPLIT_IN_FLIGHT, 1);
      Atomics.notify(shared, SPLIT_IN_FLIGHT);
    } else {
      flush();
      post({ type: 'done' });
    }
  } catch (error) {
    // The main thread may be waiting for room: it must learn of the failure without a message.
    Atomics.store(shared, SPLIT_FAILED, 1);
    Atomics.notify(shared, SPLIT_IN_FLIGHT);
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', message: e.message, stack: e.stack ?? '' });
  }
});
