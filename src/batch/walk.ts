// Turns the command line's paths into the list of inputs, in a stable order:
//
//   - a file named on the command line is analysed whatever it holds (if it is not a capture,
//     its entry in the report says so);
//   - a directory is walked recursively, names sorted by code point in each directory, depth first;
//     files in it are kept when their first bytes are a capture's (gzip: inside the gzip);
//   - an argument that does not exist but has glob characters is expanded (glob.ts); what it
//     matches is treated like a directory's entries (files sniffed, directories walked);
//   - '-' is stdin.
//
// Symlinks are followed. A directory already on the walk's path is a loop and is not entered; a
// file or directory reached a second time through a link is not analysed twice. Nothing here reads
// a FIFO or device met while walking (that could block forever); named explicitly, it is read.

import { sanitizeText } from '../capture/index.js';
import { lstat, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expandGlob, hasGlobMagic } from './glob.js';
import { sniffFile } from './sniff.js';
import type { InputSpec, ResolvedInputs, SkippedEntry } from './types.js';

function code(error: unknown): string {
  const c = (error as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

function sortNames(names: string[]): string[] {
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

class Walker {
  readonly inputs: InputSpec[] = [];
  readonly skipped: SkippedEntry[] = [];
  /** dev:ino of every directory and file taken by a walk or glob (arguments are not deduplicated). */
  private readonly seen = new Set<string>();

  skip(path: string, reason: SkippedEntry['reason'], message: string): void {
    this.skipped.push({ path: sanitizeText(path), reason, message: sanitizeText(message) });
  }

  async argument(arg: string): Promise<void> {
    if (arg === '-') {
      this.inputs.push({ path: '-', origin: 'stdin', size: null });
      return;
    }
    let st;
    try {
      st = await stat(arg);
    } catch (error) {
      if (code(error) === 'ENOENT' && hasGlobMagic(arg)) {
        await this.glob(arg);
        return;
      }
      // The reader reports it in the input's entry (not found, permission denied, loop).
      this.inputs.push({ path: arg, origin: 'argument', size: null });
      return;
    }
    if (st.isDirectory()) {
      await this.directory(arg, new Set(), `${st.dev}:${st.ino}`);
    } else {
      this.inputs.push({ path: arg, origin: 'argument', size: st.isFile() ? st.size : null });
    }
  }

  private async glob(pattern: string): Promise<void> {
    const { matches, problems } = await expandGlob(pattern);
    for (const p of problems) this.skip(p.path, 'unreadable', p.message);
    if (matches.length === 0) {
      this.skip(pattern, 'no-match', 'no file matches this pattern');
      return;
    }
    for (const m of matches) await this.entry(m, new Set(), 'glob');
  }

  private async directory(dir: string, ancestors: Set<string>, key: string): Promise<void> {
    if (this.seen.has(key)) {
      this.skip(dir, 'duplicate', 'directory already walked through another path');
      return;
    }
    this.seen.add(key);
    let names: string[];
    try {
      names = sortNames(await readdir(dir));
    } catch (error) {
      this.skip(dir, 'unreadable', `cannot list the directory: ${code(error)}`);
      return;
    }
    ancestors.add(key);
    for (const name of names) await this.entry(join(dir, name), ancestors, 'directory');
    ancestors.delete(key);
  }

  /** A path met while walking or globbing. */
  private async entry(path: string, ancestors: Set<string>, origin: 'directory' | 'glob'): Promise<void> {
    let st;
    try {
      st = await stat(path);
    } catch (error) {
      const c = code(error);
      if (c === 'ELOOP') { this.skip(path, 'symlink-loop', 'symbolic links that point at each other'); return; }
      if (c === 'ENOENT') {
        const isLink = await lstat(path).then((l) => l.isSymbolicLink(), () => false);
        if (isLink) { this.skip(path, 'broken-symlink', 'symbolic link to nothing'); return; }
        return; // removed while we walked: nothing to report
      }
      this.skip(path, 'unreadable', `cannot examine: ${c}`);
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.isDirectory()) {
      if (ancestors.has(key)) { this.skip(path, 'symlink-loop', 'link back to a directory being walked'); return; }
      await this.directory(path, ancestors, key);
      return;
    }
    if (!st.isFile()) {
      this.skip(path, 'special-file', 'not a regular file (FIFO, socket or device): name it explicitly to read it');
      return;
    }
    if (this.seen.has(key)) { this.skip(path, 'duplicate', 'same file as one already taken (a link)'); return; }
    this.seen.add(key);
    if (st.size === 0) { this.skip(path, 'empty', 'empty file'); return; }
    let sniffed;
    try {
      sniffed = await sniffFile(path);
    } catch {
      // Unreadable (EACCES, EIO): an input, so that its entry in the report carries the error.
      this.inputs.push({ path, origin, size: st.size });
      return;
    }
    switch (sniffed.kind) {
      case 'capture':
      case 'damaged-gzip':
        this.inputs.push({ path, origin, size: st.size });
        return;
      case 'empty':
        this.skip(path, 'empty', sniffed.gzip ? 'gzip of nothing' : 'empty file');
        return;
      case 'not-a-capture':
        this.skip(path, 'not-a-capture', sniffed.gzip ? 'gzip of something that is not pcap or pcapng' : 'not pcap or pcapng (by its first bytes)');
    }
  }
}

/** Resolves paths, directories, globs and '-' into inputs, in the order given then walked. */
export async function resolveInputs(args: string[]): Promise<ResolvedInputs> {
  const walker = new Walker();
  for (const arg of args) await walker.argument(arg);
  return { inputs: walker.inputs, skipped: walker.skipped };
}
