// Glob patterns expanded by finscope itself, so that `finscope report 'archive/**/*.pcap*'` means
// the same on every shell (and on none: cron, CI runners, xargs). Node 20 has no fs.glob.
//
//   *      any characters except '/'          ?      one character except '/'
//   [abc]  one of them; [a-z] a range; [!a] or [^a] none of them
//   **     as a whole segment: zero or more directories
//   \x     the character x itself
//
// As in shells, a leading '.' in a name is matched only by a pattern segment that starts with '.',
// and ** does not descend into dot directories.

import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether the text contains an unescaped glob character. */
export function hasGlobMagic(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') { i++; continue; }
    if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/** Compiles one path segment (no '/') to an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '\\' && i + 1 < segment.length) {
      re += escapeRegExp(segment[++i]);
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = classEnd(segment, i);
      if (end < 0) { re += '\\['; continue; }
      let body = segment.slice(i + 1, end);
      let negate = false;
      if (body[0] === '!' || body[0] === '^') { negate = true; body = body.slice(1); }
      // Inside a class only '\', ']', '^' and '-' at the edges need care; escape all but the range dash.
      let cls = '';
      for (let k = 0; k < body.length; k++) {
        const b = body[k];
        if (b === '\\' && k + 1 < body.length) cls += escapeClass(body[++k]);
        else if (b === '-' && k > 0 && k < body.length - 1) cls += '-';
        else cls += escapeClass(b);
      }
      re += negate ? `[^/${cls}]` : `[${cls}]`;
      i = end;
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`, 'su');
}

/** Index of the ']' closing the class opened at `open`, or -1 ('[' is then literal). */
function classEnd(s: string, open: number): number {
  let i = open + 1;
  if (s[i] === '!' || s[i] === '^') i++;
  if (s[i] === ']') i++; // a leading ']' is a member
  for (; i < s.length; i++) {
    if (s[i] === '\\') { i++; continue; }
    if (s[i] === ']') return i;
  }
  return -1;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

function escapeClass(c: string): string {
  return /[\\\]^[-]/.test(c) ? `\\${c}` : c;
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/gs, '$1');
}

/** Matches a name against one segment pattern, with the shell's rule for leading dots. */
export function matchSegment(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.') && !pattern.startsWith('\\.')) return false;
  return segmentRegExp(pattern).test(name);
}

/** Whether a whole relative path (with '/') matches a pattern; for tests and filters. */
export function matchPath(pattern: string, path: string): boolean {
  const ps = pattern.split('/').filter((s) => s !== '');
  const ns = path.split('/').filter((s) => s !== '');
  const go = (i: number, j: number): boolean => {
    if (i === ps.length) return j === ns.length;
    if (ps[i] === '**') {
      for (let k = j; k <= ns.length; k++) {
        if (k > j && ns[k - 1].startsWith('.')) break;
        if (go(i + 1, k)) return true;
      }
      return false;
    }
    return j < ns.length && matchSegment(ps[i], ns[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

export interface GlobProblem { path: string; message: string }

/**
 * Expands a pattern against the file system. Matches come in the directory walk's order (depth
 * first, names sorted by code point), never depending on the file system or the locale. Directories
 * that cannot be listed are returned as problems; symlinked directories are followed by `**` only
 * once per real directory on the current path (a loop ends there).
 */
export async function expandGlob(pattern: string): Promise<{ matches: string[]; problems: GlobProblem[] }> {
  const absolute = pattern.startsWith('/');
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  // The literal prefix is used as is: no listing needed for it.
  let k = 0;
  while (k < segments.length - 1 && !hasGlobMagic(segments[k])) k++;
  const prefixParts = segments.slice(0, k).map(unescape);
  const base = absolute ? '/' + prefixParts.join('/') : prefixParts.join('/');
  const matches: string[] = [];
  const problems: GlobProblem[] = [];
  const rest = segments.slice(k);

  const list = async (dir: string): Promise<{ name: string; isDir: boolean }[] | null> => {
    try {
      const entries = await readdir(dir === '' ? '.' : dir, { withFileTypes: true });
      const out: { name: string; isDir: boolean }[] = [];
      for (const e of entries) {
        let isDir = e.isDirectory();
        if (e.isSymbolicLink()) {
          try { isDir = (await stat(join(dir === '' ? '.' : dir, e.name))).isDirectory(); } catch { isDir = false; }
        }
        out.push({ name: e.name, isDir });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') problems.push({ path: dir === '' ? '.' : dir, message: `cannot list: ${code ?? String(error)}` });
      return null;
    }
  };

  const walk = async (dir: string, i: number, ancestors: Set<string>): Promise<void> => {
    if (i === rest.length) {
      matches.push(dir);
      return;
    }
    const seg = rest[i];
    if (seg === '**') {
      // A trailing ** names the directory itself: directories are walked whole anyway.
      if (i === rest.length - 1) {
        matches.push(dir === '' ? '.' : dir);
        return;
      }
      // Zero directories, then each subdirectory (not dot ones) with ** still pending.
      await walk(dir, i + 1, ancestors);
      const entries = await list(dir);
      if (entries === null) return;
      for (const e of entries) {
        if (!e.isDir || e.name.startsWith('.')) continue;
        const child = dir === '' ? e.name : join(dir, e.name);
        let key: string;
        try { const st = await stat(child); key = `${st.dev}:${st.ino}`; } catch { continue; }
        if (ancestors.has(key)) continue;
        ancestors.add(key);
        await walk(child, i, ancestors);
        ancestors.delete(key);
      }
      return;
    }
    if (!hasGlobMagic(seg)) {
      const child = dir === '' ? unescape(seg) : join(dir, unescape(seg));
      if (i === rest.length - 1) {
        try { await stat(child); matches.push(child); } catch { /* no match */ }
      } else {
        await walk(child, i + 1, ancestors);
      }
      return;
    }
    const entries = await list(dir);
    if (entries === null) return;
    const last = i === rest.length - 1;
    for (const e of entries) {
      if (!matchSegment(seg, e.name)) continue;
      if (!last && !e.isDir) continue;
      await walk(dir === '' ? e.name : join(dir, e.name), i + 1, ancestors);
    }
  };

  const ancestors = new Set<string>();
  try { const st = await stat(base === '' ? '.' : base); ancestors.add(`${st.dev}:${st.ino}`); } catch { /* no match below */ }
  await walk(base, 0, ancestors);
  // Walk order (pre-order, names by code point): the order of the paths' segment lists. `a/**/b`
  // can reach the same path by two routes only through links; keep it once.
  const unique = [...new Set(matches)];
  const keyed = unique.map((m) => ({ m, parts: m.split('/') }));
  keyed.sort((x, y) => {
    const n = Math.min(x.parts.length, y.parts.length);
    for (let k = 0; k < n; k++) if (x.parts[k] !== y.parts[k]) return x.parts[k] < y.parts[k] ? -1 : 1;
    return x.parts.length - y.parts.length;
  });
  return { matches: keyed.map((k) => k.m), problems };
}
