// A framer cuts a byte stream into records. It is fed whatever bytes are available and says how far
// it got; the window (frame-window.ts) keeps the unconsumed tail and feeds it again with more bytes.
// This keeps framers free of I/O and lets the same code run on 7-byte and 1 MiB chunks.

export interface Framer {
  /**
   * Frames every complete unit (file header, record, block) in buf[start, end) and calls the record
   * handler for packets. `base` is the stream offset of buf[start]. Returns the index of the first
   * byte not consumed: the start of an incomplete unit, or where a problem stopped the file.
   */
  frame(buf: Buffer, start: number, end: number, base: number): number;
  /**
   * The input ended; buf[start, end) is what was left unconsumed (possibly nothing). Reports a cut
   * last record as a warning, or an error when the leftovers cannot be a cut record.
   */
  finish(buf: Buffer, start: number, end: number, base: number): void;
}
