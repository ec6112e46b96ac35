// The window between a byte source and a framer. Bytes are framed where they land: file reads go
// straight into the window's buffer, and a stream chunk is framed in place when no record is pending.
// Only the tail of a record that straddles two chunks is copied. The buffer grows (by doubling) only
// when one record is larger than the free space, so memory stays at about chunk size + one record
// however large the input is.

import type { Framer } from './framer.js';
import type { ReaderState } from './reader-state.js';

const EMPTY = Buffer.alloc(0);

export class FrameWindow {
  private buf: Buffer;
  /** Unconsumed bytes are buf[start, end). */
  private start = 0;
  private end = 0;
  /** Stream offset (uncompressed) of buf[start]. */
  private base = 0;

  /**
   * The buffer is made by the first reserve(), as large as it asks: a file of a few kilobytes
   * gets a buffer of a few kilobytes. (A batch over thousands of small captures spent a third of
   * its time collecting the megabyte each one was given.)
   */
  constructor(
    private readonly framer: Framer,
    private readonly state: ReaderState,
  ) {
    this.buf = EMPTY;
  }

  /** Uncompressed bytes handed to the window so far. */
  get received(): number {
    return this.base + (this.end - this.start);
  }

  /**
   * Makes room for `length` bytes after the unconsumed tail and returns the buffer to read into at
   * `writeOffset`. Call commit() with the count actually written.
   */
  reserve(length: number): Buffer {
    if (this.buf.length - this.end >= length) return this.buf;
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.buf.length - this.end < length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + length));
      this.buf.copy(grown, 0, 0, this.end);
      this.buf = grown;
    }
    return this.buf;
  }

  get writeOffset(): number {
    return this.end;
  }

  /** Frames after `length` bytes were written at writeOffset. */
  commit(length: number): void {
    this.end += length;
    this.frameWindow();
  }

  /**
   * Read-ahead support: makes `next`, whose bytes [at, at + length) follow the unconsumed tail, the
   * window's buffer, copying the tail into the `at` bytes of headroom in front of them. Returns the
   * buffer now free for the next read. Framing is left to frame(), so that the caller can start the
   * next read first. A tail longer than the headroom (one huge record) is rare: then the new bytes
   * are appended to our buffer instead and `next` itself is returned.
   */
  adopt(next: Buffer, at: number, length: number): Buffer {
    const tail = this.end - this.start;
    if (tail > at) {
      next.copy(this.reserve(length), this.end, at, at + length);
      this.end += length;
      return next;
    }
    this.buf.copy(next, at - tail, this.start, this.end);
    const free = this.buf;
    this.buf = next;
    this.start = at - tail;
    this.end = at + length;
    return free;
  }

  /** Frames what is in the window (after adopt). */
  frame(): void {
    this.frameWindow();
  }

  /** Frames a chunk from a stream. The chunk is not referenced after this returns. */
  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.state.stopped) return;
    if (this.start === this.end) {
      // Nothing pending: frame the chunk in place and keep only its incomplete tail.
      const stop = this.framer.frame(chunk, 0, chunk.length, this.base);
      this.base += stop;
      this.start = 0;
      this.end = 0;
      if (stop < chunk.length && !this.state.stopped) {
        this.reserve(chunk.length - stop);
        chunk.copy(this.buf, 0, stop);
        this.end = chunk.length - stop;
      }
      return;
    }
    this.reserve(chunk.length);
    chunk.copy(this.buf, this.end);
    this.commit(chunk.length);
  }

  /** The input ended: lets the framer judge what is left. */
  finish(): void {
    if (this.state.stopped) return;
    this.framer.finish(this.buf, this.start, this.end, this.base);
  }

  private frameWindow(): void {
    if (this.state.stopped) return;
    const stop = this.framer.frame(this.buf, this.start, this.end, this.base);
    this.base += stop - this.start;
    this.start = stop;
  }
}
