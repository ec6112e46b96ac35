// A multiset of numbers read back in ascending order, in bounded memory: the values behind the
// report's percentiles (close durations) and its port-pressure sweep (TIME_WAIT entries and exits).
// Values are held in Float64Arrays; when all the bags that share a MemoryBudget hold more than
// it allows, the largest bag sorts what it holds and writes it to a temporary file as one run.
// Reading merges the runs and what is left in memory.

import { sortValues } from '../common/radix-sort.js';
import { SpillFile } from './spill.js';

const READ_BUFFER = 64 * 1024;
/** Values held in memory by the bags sharing it, and where they spill. */
export class MemoryBudget {
  used = 0;
  private readonly bags = new Set<NumberBag>();
  private file: SpillFile | null = null;

  /** `values`: most values held in memory by all bags together (8 bytes each). */
  constructor(readonly values = 1024 * 1024) {}

  /** @internal */
  register(bag: NumberBag): void { this.bags.add(bag); }
  /** @internal */
  unregister(bag: NumberBag): void { this.bags.delete(bag); }

  /** @internal the spill file, opened on first use. */
  spill(): SpillFile {
    this.file ??= new SpillFile('numbers');
    return this.file;
  }

  /** @internal called when a bag grew: spills the largest bags until the budget holds. */
  enforce(): void {
    while (this.used > this.values) {
      let largest: NumberBag | null = null;
      for (const b of this.bags) if (largest === null || b.inMemory > largest.inMemory) largest = b;
      if (largest === null || largest.inMemory === 0) return;
      largest.spillNow();
    }
  }

  close(): void {
    this.file?.close();
    this.file = null;
  }
}

interface Run { start: number; count: number }

export class NumberBag {
  private values = new Float64Array(16);
  inMemory = 0;
  private readonly runs: Run[] = [];
  /** Values added. */
  count = 0;
  /** Largest value added (-Infinity when empty). */
  max = -Infinity;

  constructor(private readonly budget: MemoryBudget) {
    budget.register(this);
  }

  push(x: number): void {
    if (this.inMemory === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.inMemory++] = x;
    this.count++;
    if (x > this.max) this.max = x;
    this.budget.used++;
    if (this.budget.used > this.budget.values) this.budget.enforce();
  }

  /** @internal writes the values in memory, sorted, as one run. */
  spillNow(): void {
    if (this.inMemory === 0) return;
    const held = this.values.subarray(0, this.inMemory);
    sortValues(held);
    const file = this.budget.spill();
    const start = file.size;
    file.append(new Uint8Array(held.buffer, held.byteOffset, held.byteLength));
    this.runs.push({ start, count: this.inMemory });
    this.budget.used -= this.inMemory;
    this.inMemory = 0;
    this.values = new Float64Array(16);
  }

  /**
   * Every value in ascending order (reads spilled runs back; call once the bag is complete), from
   * a reader's take(): a generator made an iterator result, and often a number, for every value.
   */
  sorted(): SortedValues {
    const held = this.values.subarray(0, this.inMemory);
    sortValues(held);
    return new SortedValues(held, this.runs.length === 0 ? null : this.budget.spill(), this.runs);
  }

  /** Forgets the bag (its memory goes back to the budget). */
  release(): void {
    this.budget.used -= this.inMemory;
    this.inMemory = 0;
    this.values = new Float64Array(0);
    this.budget.unregister(this);
  }
}

/** Reads a bag's values in ascending order: take() gives the next, NaN once there are no more. */
export class SortedValues implements Iterable<number> {
  private i = 0;
  /** With spilled runs: the next value of each source (NaN: exhausted), memory first. */
  private readonly heads: Float64Array | null = null;
  private readonly sources: (() => number)[] = [];

  constructor(private readonly held: Float64Array, file: SpillFile | null, runs: readonly Run[]) {
    if (file === null) return;
    this.sources.push(() => (this.i < held.length ? held[this.i++] : NaN));
    for (const run of runs) {
      const buf = new Float64Array(READ_BUFFER / 8);
      const bytes = new Uint8Array(buf.buffer);
      let pos = 0, have = 0, k = 0;
      this.sources.push(() => {
        if (k === have) {
          if (pos >= run.count) return NaN;
          const n = Math.min(buf.length, run.count - pos);
          file.read(bytes, 0, n * 8, run.start + pos * 8);
          pos += n;
          have = n;
          k = 0;
        }
        return buf[k++];
      });
    }
    this.heads = Float64Array.from(this.sources, (next) => next());
  }

  /** The next value, or NaN when every value has been read (values are never NaN). */
  take(): number {
    const heads = this.heads;
    if (heads === null) return this.i < this.held.length ? this.held[this.i++] : NaN;
    // A small k-way merge over memory and the spilled runs.
    let best = -1;
    for (let s = 0; s < heads.length; s++) {
      const h = heads[s];
      if (h === h && (best < 0 || h < heads[best])) best = s;
    }
    if (best < 0) return NaN;
    const x = heads[best];
    heads[best] = this.sources[best]();
    return x;
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let x = this.take(); x === x; x = this.take()) yield x;
  }
}
