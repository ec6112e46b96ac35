// A temporary file that sorted runs are appended to and read back from, by position. It is
// unlinked as soon as it is open (Linux and macOS keep the data until the descriptor closes), so
// nothing is left behind whatever way the process ends. FINSCOPE_TMPDIR, else the system's
// temporary directory, says where it goes.

import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class SpillFile {
  private fd: number;
  /** Bytes written so far: where the next run starts. */
  size = 0;
  private readonly path: string | null;

  constructor(prefix: string) {
    const dir = mkdtempSync(join(process.env.FINSCOPE_TMPDIR ?? tmpdir(), `finscope-${prefix}-`));
    const path = join(dir, 'spill');
    this.fd = openSync(path, 'w+');
    let kept: string | null = null;
    try {
      unlinkSync(path);
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Windows cannot remove an open file: remove it on close().
      kept = dir;
    }
    this.path = kept;
  }

  append(buf: Uint8Array, start = 0, end = buf.length): void {
    let at = start;
    while (at < end) {
      const n = writeSync(this.fd, buf, at, end - at, this.size);
      at += n;
      this.size += n;
    }
  }

  /** Reads up to `length` bytes at `position` into buf[offset..]; returns the count. */
  read(buf: Uint8Array, offset: number, length: number, position: number): number {
    let total = 0;
    while (total < length) {
      const n = readSync(this.fd, buf, offset + total, length - total, position + total);
      if (n === 0) break;
      total += n;
    }
    return total;
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    if (this.path !== null) rmSync(this.path, { recursive: true, force: true });
  }
}
