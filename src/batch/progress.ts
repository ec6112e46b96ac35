// One status line on a terminal: files done, bytes read, time left. Drawn at most ten times a
// second and erased at the end, so the report that follows (or a redirected stdout) never sees it.

import { formatDuration } from '../common/duration.js';
import type { ProgressEvent } from './parallel.js';
import type { InputSpec } from './types.js';

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export interface ProgressOutput {
  write(text: string): unknown;
  columns?: number;
}

export class ProgressLine {
  private readonly sizes: (number | null)[];
  private readonly read: number[];
  private readonly done: boolean[];
  private readonly totalBytes: number;
  private filesDone = 0;
  private readonly startedMs: number;
  private lastDrawMs = 0;
  private drawn = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: ProgressOutput, specs: InputSpec[], private readonly now: () => number = Date.now) {
    this.sizes = specs.map((s) => s.size);
    this.read = specs.map(() => 0);
    this.done = specs.map(() => false);
    this.totalBytes = this.sizes.reduce<number>((t, s) => t + (s ?? 0), 0);
    this.startedMs = now();
    // Redraw now and then even without events, so the time left keeps moving on a slow input.
    this.timer = setInterval(() => this.draw(true), 1000);
    this.timer.unref();
  }

  update(e: ProgressEvent): void {
    this.read[e.index] = e.sourceBytes;
    if (e.done && !this.done[e.index]) {
      this.done[e.index] = true;
      this.filesDone++;
    }
    this.draw(false);
  }

  /** The text of the line (without control characters), for tests. */
  text(): string {
    let readBytes = 0;
    for (let i = 0; i < this.read.length; i++) {
      const size = this.sizes[i];
      readBytes += size === null ? 0 : this.done[i] ? size : Math.min(this.read[i], size);
    }
    const elapsedUs = (this.now() - this.startedMs) * 1000;
    let left = '';
    if (readBytes > 0 && this.totalBytes > 0 && elapsedUs > 1_000_000) {
      const leftUs = elapsedUs * (this.totalBytes - readBytes) / readBytes;
      left = `, about ${formatDuration(Math.max(0, leftUs))} left`;
    }
    const size = this.totalBytes > 0 ? ` of ${bytes(this.totalBytes)}` : '';
    return `finscope: ${this.filesDone}/${this.sizes.length} files, ${bytes(readBytes)}${size}${left}`;
  }

  private draw(force: boolean): void {
    const t = this.now();
    if (!force && t - this.lastDrawMs < 100) return;
    this.lastDrawMs = t;
    let line = this.text();
    const width = this.out.columns ?? 80;
    if (line.length > width - 1) line = line.slice(0, width - 1);
    this.out.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Erases the line. */
  end(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
