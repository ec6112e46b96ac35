// One input on two cores: the main thread reads, decodes and rebuilds connections (the flow stage),
// and a worker thread judges them (the close stage) and encodes the verdicts as store records. The
// two stages cost about the same, so a lone input (the common case: one big capture) takes about
// the longer of the two instead of their sum. The verdicts are the ones the main thread alone
// would make: a connection crosses over whole (src/flow/wire.ts) and is judged by the same code.
//
// Memory stays bounded: at most SPLIT_MAX_IN_FLIGHT buffers of packed connections wait for the
// worker. When the flow stage gets that far ahead, the main thread blocks (Atomics.wait) until the
// worker frees one; a failed worker raises a shared flag so that wait cannot last for ever.

import { Worker } from 'node:worker_threads';
import type { FlowConnection } from '../flow/connection.js';
import { packConnection, packedSize } from '../flow/wire.js';
import { readInput, type InputResult } from '../pipeline/index.js';
import type { VerdictStore } from '../store/verdict-store.js';
import {
  SPLIT_FAILED, SPLIT_IN_FLIGHT, WorkerFailure,
  type CloseWorkerData, type FromCloseWorker, type ToCloseWorker,
} from './protocol.js';
import type { ParallelOptions } from './parallel.js';

/** Numbers per buffer of packed connections (1 MiB: ~700 connections of a web capture). */
const SPLIT_BATCH = 1 << 17;
/** Buffers sent and not yet judged before the main thread waits. */
const SPLIT_MAX_IN_FLIGHT = 4;
/** With no buffer judged for this long while the main thread waits, the worker is taken for dead. */
const STALL_MS = 60_000;

/**
 * Analyses input `index` at `path` with its close stage on a worker thread; verdicts go into
 * `store`. `batch`: numbers per buffer of packed connections (tests make it small).
 */
export async function analyzeSplit(path: string, index: number, options: ParallelOptions, store: VerdictStore, batch = SPLIT_BATCH): Promise<InputResult> {
  const shared = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const data: CloseWorkerData = { index, close: options.close, shared };
  const worker = new Worker(new URL('./close-worker.js', import.meta.url), { workerData: data });
  const spare: Float64Array[] = [];
  let failure: Error | null = null;
  let finished = false;
  const settled = new Promise<void>((resolve) => {
    const fail = (error: Error): void => {
      failure ??= error;
      Atomics.store(shared, SPLIT_FAILED, 1);
      resolve();
    };
    worker.on('message', (m: FromCloseWorker) => {
      if (m.type === 'records') store.addRecords(Buffer.from(m.records.buffer, m.records.byteOffset, m.records.byteLength));
      else if (m.type === 'free') spare.push(m.packed);
      else if (m.type === 'done') { finished = true; resolve(); }
      else fail(new WorkerFailure(`while judging the connections of ${path}: ${m.message}`, m.stack));
    });
    worker.on('error', fail);
    worker.on('exit', () => { if (!finished) fail(new Error('the close worker thread exited while analysing an input')); });
  });

  let packed: Float64Array = new Float64Array(batch);
  let used = 0;
  const post = (m: ToCloseWorker, transfer: ArrayBuffer[] = []): void => worker.postMessage(m, transfer);
  const send = (): void => {
    if (used === 0) return;
    // Room first: the worker must not fall further behind than SPLIT_MAX_IN_FLIGHT buffers.
    while (Atomics.load(shared, SPLIT_FAILED) === 0) {
      const inFlight = Atomics.load(shared, SPLIT_IN_FLIGHT);
      if (inFlight < SPLIT_MAX_IN_FLIGHT) break;
      if (Atomics.wait(shared, SPLIT_IN_FLIGHT, inFlight, STALL_MS) === 'timed-out') {
        Atomics.store(shared, SPLIT_FAILED, 1);
        failure ??= new Error(`the close worker thread judged nothing for ${STALL_MS / 1000} s`);
      }
    }
    if (Atomics.load(shared, SPLIT_FAILED) !== 0) { used = 0; return; }
    Atomics.add(shared, SPLIT_IN_FLIGHT, 1);
    post({ type: 'connections', packed, length: used }, [packed.buffer as ArrayBuffer]);
    packed = spare.pop() ?? new Float64Array(batch);
    used = 0;
  };
  const onConnection = (c: FlowConnection): void => {
    const size = packedSize(c);
    if (used + size > packed.length) {
      send();
      // A connection bigger than a buffer (thousands of logged segments) gets one of its own.
      if (size > packed.length) packed = new Float64Array(size);
    }
    used = packConnection(packed, used, c);
  };

  let result: InputResult;
  try {
    result = await readInput(path, index, onConnection, {
      close: options.close, flow: options.flow, firstId: 1, signal: options.signal,
      onProgress: (p) => options.onProgress?.({ index, sourceBytes: p.sourceBytes, done: false }),
    });
    send();
    post({ type: 'end' });
    await settled;
  } finally {
    await worker.terminate();
  }
  if (failure !== null) throw failure;
  options.onProgress?.({ index, sourceBytes: result.info.sourceBytesRead, done: true });
  return result;
}
