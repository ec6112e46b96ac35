// One input on two cores: the main thread reads, decodes and tracks connections (the flow stage)
// and a worker thread judges them (the close stage) and encodes the verdicts (close-worker.ts).
// On the 3 M-packet loopback capture the flow stage is ~2.3 s of one core and judging, encoding
// and storing ~2.8 s, so with both on one thread the second core idled through the analysis.
//
// Finished connections are packed (connection-codec.ts) into batches in a few slots of shared
// memory; the worker judges a slot's batch and writes the records into the slot's records buffer.
// The main thread never waits for it: when every slot is out, it judges the connection itself,
// so a slow or still starting worker costs nothing and memory stays at a few slots. Records from
// both threads are copied into the same VerdictStore, which orders them by key, so the report
// does not depend on which thread judged what.
//
// Nothing is lost if the worker fails (it cannot start, it dies, or it throws): the batches still
// out are in shared memory, and the main thread judges them and everything after.
//
// What made the first version of this no faster than one thread (7.6-7.8 s against 7.4-7.6 s):
// records arriving in new 1 MiB buffers, which V8 counts as external memory and answers with full
// collections on the main thread, and the capture-host tally decoding every record's addresses
// again there. The slots' buffers are reused, and the worker counts the tally.

import { Worker } from 'node:worker_threads';
import { analyzeConnection, VerdictScratch, type CloseOptions, type Verdict } from '../close/index.js';
import { WorkerFailure } from '../common/worker-failure.js';
import { PackedConnection, packConnection, packedSize } from '../flow/connection-codec.js';
import type { FlowConnection } from '../flow/connection.js';
import { encodeVerdict, RecordWriter } from '../store/record.js';
import type { VerdictStore } from '../store/verdict-store.js';
import { RECORD_BATCH, recordKey, type OffloadReply, type OffloadRequest, type OffloadSetup } from './protocol.js';

/** Numbers a batch holds (1 MiB, ~700 connections): about what one 1 MiB read of packets finishes. */
const BATCH_WORDS = 1 << 17;
/** Slots: batches the worker may have in hand; past that the main thread judges connections itself. */
const SLOTS = 4;
/** A slot's records buffer: a batch's records are ~0.6 of its packed connections. */
const RECORDS_PER_WORD = 2;
/**
 * Connections judged here before the worker is started: a capture of a few long connections (a
 * bulk transfer: 2 M packets, 9 connections) never pays its start, ~40 ms; on one of many short
 * connections these are ~20 ms of this thread's time.
 */
export const START_AFTER = 2000;

interface Slot {
  /** Its place in slots (the worker's name for it). */
  index: number;
  conns: Float64Array;
  records: Buffer;
  /** The batch's length in numbers while the worker has it, else -1. */
  out: number;
  /** Whether the worker has the slot's buffers already. */
  known: boolean;
}

export class CloseOffload {
  /** Started at the offer after the first startAfter connections. */
  private worker: Worker | null = null;
  private readonly startAfter: number;
  private offers = 0;
  private readonly slots: Slot[] = [];
  /** The slot being filled, or null. */
  private filling: Slot | null = null;
  private used = 0;
  private out = 0;
  private failure: Error | null = null;
  private drained: (() => void) | null = null;
  /** waitForRoom()'s callers, woken by the next answer (or failure). */
  private roomWaiters: (() => void)[] = [];
  /** Verdicts judged here, encoded as the worker encodes them and copied into the store in batches. */
  private readonly local = new RecordWriter(RECORD_BATCH + 64 * 1024);
  private readonly batchWords: number;
  private readonly maxSlots: number;
  /** For the batches a failed worker left: judged here. */
  private recovery: { conn: PackedConnection; scratch: VerdictScratch } | null = null;
  /** Connections judged by the worker, and here (tests). */
  offloaded = 0;
  judgedHere = 0;

  /**
   * `index`: the input the connections come from, for their store keys (recordKey): 0 for --merge,
   * whose ids are unique across inputs. `tuning` (batch size in numbers, slots, connections judged
   * here before the worker starts: 0 starts it now) is for the tests.
   */
  constructor(private readonly index: number, private readonly close: CloseOptions, private readonly store: VerdictStore,
    tuning: { batchWords?: number; slots?: number; startAfter?: number } = {}) {
    this.batchWords = tuning.batchWords ?? BATCH_WORDS;
    this.maxSlots = tuning.slots ?? SLOTS;
    this.startAfter = tuning.startAfter ?? START_AFTER;
    if (this.startAfter === 0) this.start();
  }

  /** Whether the worker was started (see START_AFTER). */
  get started(): boolean { return this.worker !== null; }

  private start(): void {
    const setup: OffloadSetup = { index: this.index, close: this.close };
    const worker = this.worker = new Worker(new URL('./close-worker.js', import.meta.url), { workerData: setup });
    worker.on('message', (m: OffloadReply) => this.onReply(m));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', () => this.fail(new Error('the close-stage worker thread exited')));
  }

  /** The first failure of the worker, if any (its batches were judged here, nothing was lost). */
  get workerFailure(): Error | null { return this.failure; }

  /**
   * Takes `c` (a copy: the flow table reuses it once this returns) when the worker has room for
   * it; false when the caller must judge it itself.
   */
  offer(c: FlowConnection): boolean {
    if (this.failure !== null) return false;
    if (this.worker === null) {
      if (++this.offers <= this.startAfter) return false;
      this.start();
    }
    const n = packedSize(c);
    if (n > this.batchWords) return false;
    if (this.filling !== null && this.used + n > this.batchWords) this.send();
    if (this.filling === null) {
      const slot = this.freeSlot();
      if (slot === null) return false;
      this.filling = slot;
      this.used = 0;
    }
    this.used = packConnection(c, this.filling.conns, this.used);
    this.offloaded++;
    return true;
  }

  /**
   * For a caller that finishes many connections at once (the end of the input: every live
   * connection) and can wait: a promise that resolves once the worker has room again, or null when
   * it has room now (or has failed). Without waiting, all but the first few slots' worth would be
   * judged here while the worker idled: 30 000 of the synthetic capture's 32 000 live at its end.
   */
  waitForRoom(): Promise<void> | null {
    if (this.failure !== null || this.worker === null) return null;
    if (this.filling !== null && this.used < this.batchWords * 0.9) return null;
    if (this.slots.length < this.maxSlots || this.slots.some((slot) => slot.out < 0 && slot !== this.filling)) return null;
    if (this.filling !== null && this.used > 0) this.send();
    if (this.out === 0) return null;
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Stores a verdict judged on this thread (by the caller, after offer() said no). */
  keep(v: Verdict): void {
    encodeVerdict(this.local, v, recordKey(this.index, v.id));
    this.judgedHere++;
    if (this.local.length >= RECORD_BATCH) this.flushLocal();
  }

  /** Sends what is left, waits for the worker's last records (or judges them here), and stops it. */
  async finish(): Promise<void> {
    if (this.filling !== null && this.used > 0) this.send();
    if (this.out > 0) await new Promise<void>((resolve) => { this.drained = resolve; });
    if (this.local.length > 0) this.flushLocal();
    const worker = this.worker;
    if (worker === null) return;
    worker.removeAllListeners('exit');
    await worker.terminate();
  }

  private freeSlot(): Slot | null {
    for (const s of this.slots) if (s.out < 0) return s;
    if (this.slots.length >= this.maxSlots) return null;
    const slot: Slot = {
      index: this.slots.length,
      conns: new Float64Array(new SharedArrayBuffer(this.batchWords * 8)),
      records: Buffer.from(new SharedArrayBuffer(this.batchWords * 8 * RECORDS_PER_WORD)),
      out: -1,
      known: false,
    };
    this.slots.push(slot);
    return slot;
  }

  private send(): void {
    const slot = this.filling!;
    this.filling = null;
    slot.out = this.used;
    this.out++;
    const m: OffloadRequest = {
      type: 'batch', slot: slot.index, length: this.used,
      buffers: slot.known ? null : { conns: slot.conns, records: slot.records },
    };
    slot.known = true;
    this.worker!.postMessage(m);
  }

  private onReply(m: OffloadReply): void {
    if (m.type === 'failed') return this.fail(new WorkerFailure(`while judging connections: ${m.message}`, m.stack));
    const slot = this.slots[m.slot];
    if (slot === undefined || slot.out < 0) return this.fail(new Error(`the close-stage worker answered for slot ${m.slot}, which it did not have`));
    this.store.copyRecords(m.overflow !== null ? Buffer.from(m.overflow.buffer, m.overflow.byteOffset, m.overflow.byteLength)
      : slot.records.subarray(0, m.recordsLength), true);
    for (const t of m.tallies) this.store.addTally(t);
    slot.out = -1;
    this.out--;
    this.wakeWaiters();
    if (this.out === 0) this.wake();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    // A worker that threw may go on answering: its batches are judged here from now on.
    void this.worker?.terminate();
    this.recover();
  }

  /** Judges here every batch the worker had not answered for (and the one being filled). */
  private recover(): void {
    const r = this.recovery ??= { conn: new PackedConnection(), scratch: new VerdictScratch() };
    const judge = (conns: Float64Array, length: number): void => {
      for (let at = 0; at < length;) {
        at = r.conn.load(conns, at);
        this.keep(analyzeConnection(r.conn, this.close, false, r.scratch));
        this.offloaded--;
      }
    };
    for (const slot of this.slots) {
      if (slot.out < 0) continue;
      judge(slot.conns, slot.out);
      slot.out = -1;
      this.out--;
    }
    if (this.filling !== null) {
      judge(this.filling.conns, this.used);
      this.filling = null;
    }
    this.wake();
  }

  private flushLocal(): void {
    const w = this.local;
    this.store.copyRecords(w.buf.subarray(0, w.length));
    w.length = 0;
  }

  private wake(): void {
    const drained = this.drained;
    this.drained = null;
    drained?.();
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }
}
