// Buffered, backpressure-aware output. A report of 300 000 connections is hundreds of megabytes:
// it is written piece by piece, never built as one string. A closed pipe (`| head`) ends quietly.

import { chmodSync, createWriteStream, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class Sink {
  private buffer: string[] = [];
  private size = 0;
  private closed = false;
  private readonly stream: NodeJS.WritableStream;
  private readonly tempPath: string | null;
  private readonly finalPath: string | null;
  private failure: Error | null = null;
  private keepMode: number | null = null;

  /**
   * Writes to `path` atomically (a temporary file renamed at the end), or to stdout. Only a regular
   * file (or a new one) is replaced that way: a device, FIFO or socket (`-o /dev/null`, a named
   * pipe) is written in place, since renaming over it would destroy it, and a symbolic link keeps
   * pointing where it did while the file it names is replaced.
   */
  constructor(path: string | null) {
    if (path === null || path === '-') {
      this.stream = process.stdout;
      this.tempPath = this.finalPath = null;
    } else {
      const existing = statSync(path, { throwIfNoEntry: false });
      if (existing !== undefined && !existing.isFile()) {
        this.tempPath = this.finalPath = null;
        this.stream = createWriteStream(path);
      } else {
        const target = existing === undefined ? path : realpathSync(path);
        this.finalPath = target;
        this.tempPath = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
        this.stream = createWriteStream(this.tempPath, existing === undefined ? {} : { mode: existing.mode & 0o7777 });
        // The umask narrows `mode`; a report that replaces a file keeps that file's permissions.
        if (existing !== undefined) this.keepMode = existing.mode & 0o7777;
      }
    }
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      // The reader went away (`finscope report x | head`): stop writing, not an error.
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') this.closed = true;
      else this.failure = err;
    });
  }

  /** True once the reader has gone away: callers may stop producing. */
  get isClosed(): boolean { return this.closed; }

  async write(text: string): Promise<void> {
    if (this.closed) return;
    if (this.failure !== null) throw this.failure;
    this.buffer.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  /**
   * Bytes as they are (UTF-8 text already encoded), after the text written before them. Resolves
   * once the stream is done with them, so that the caller may fill the same buffer again.
   */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    if (this.closed) return;
    if (this.failure !== null) throw this.failure;
    await this.flush();
    if (this.closed || bytes.length === 0) return;
    // The callback comes when the bytes are written out, or with the error that stopped them.
    await new Promise<void>((resolve) => { this.stream.write(bytes, () => resolve()); });
    if (this.failure !== null) throw this.failure;
  }

  async flush(): Promise<void> {
    if (this.size === 0 || this.closed) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    await this.send(chunk);
  }

  private async send(chunk: string | Uint8Array): Promise<void> {
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => { this.stream.off('drain', done); this.stream.off('error', done); this.stream.off('close', done); resolve(); };
        this.stream.on('drain', done);
        this.stream.on('error', done);
        this.stream.on('close', done);
      });
    }
    if (this.failure !== null) throw this.failure;
  }

  /** Flushes; for a file, closes it and renames it into place. */
  async end(): Promise<void> {
    await this.flush();
    if (this.stream === process.stdout) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      (this.stream as NodeJS.WritableStream & { end(cb: () => void): void }).end(() => resolve());
    });
    if (this.failure !== null) throw this.failure;
    if (this.tempPath === null || this.finalPath === null) return;
    if (this.keepMode !== null) chmodSync(this.tempPath, this.keepMode);
    renameSync(this.tempPath, this.finalPath);
  }

  /** Drops a half-written output file (the run failed or was interrupted). */
  abort(): void {
    if (this.tempPath === null) return;
    try { unlinkSync(this.tempPath); } catch { /* already gone */ }
  }
}
