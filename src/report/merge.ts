// `finscope merge`: reports made on separate machines (shards of an archive) combined into the
// report one run over all their inputs would give. The JSON carries every connection with its
// times and close-state durations at full (microsecond) resolution, so nothing is estimated: the
// verdicts are read back (verdict-json.ts), renumbered as one run numbers them (shard order, then
// id), and the aggregate, percentiles included, is recomputed from them exactly.
//
// Reports are read line by line in the layout writeJsonReport writes, so a report larger than one
// JSON.parse can take still merges; any other layout (say, pretty-printed by jq) is parsed whole.

import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { shiftVerdictIds } from '../store/verdict-store.js';
import type { BatchAnalysis, SkippedEntry } from '../batch/types.js';
import type { Verdict } from '../close/index.js';
import type { FlowStats } from '../flow/index.js';
import type { InputResult } from '../pipeline/index.js';
import { SCHEMA_VERSION } from './json.js';
import { settingsFromJson, settingsJson, type ReportSettings } from './model.js';
import { inputFromJson, verdictFromJson } from './verdict-json.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ShardReport {
  file: string;
  settings: ReportSettings;
  inputs: InputResult[];
  /** Ids as in the shard (1-based over the shard's inputs); `input` indexes the shard's inputs. */
  verdicts: Verdict[];
  merged: FlowStats | null;
  skipped: SkippedEntry[];
}

export type ShardRead = { ok: true; shard: ShardReport } | { ok: false; file: string; message: string };

class NotOurLayout extends Error {}

/** Largest report parsed whole when it is not in the streamed layout (V8's string limit is ~512 MiB). */
const WHOLE_PARSE_LIMIT = 400 * 1024 * 1024;

function shardFromParts(file: string, head: Json, connections: Json[]): ShardReport {
  if (head.schema !== SCHEMA_VERSION) {
    throw new Error(head.schema === undefined ? 'not a finscope JSON report (no "schema")' : `report schema ${String(head.schema)}, expected ${SCHEMA_VERSION}`);
  }
  const inputs = (head.inputs as Json[]).map((x, k) => inputFromJson(x, k));
  const byName = new Map<string, number>();
  inputs.forEach((r, k) => { if (!byName.has(r.file)) byName.set(r.file, k); });
  const verdicts = connections.map((c) => verdictFromJson(c, typeof c.inputIndex === 'number' ? c.inputIndex : byName.get(c.input) ?? 0));
  return { file, settings: settingsFromJson(head.options ?? {}), inputs, verdicts, merged: head.merged ?? null, skipped: head.skipped ?? [] };
}

async function readStreamed(file: string): Promise<ShardReport> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let state: 'head' | 'open' | 'connections' | 'summary' | 'end' = 'head';
  let head: Json = {};
  const connections: Json[] = [];
  try {
    for await (const line of lines) {
      if (state === 'head') {
        if (!line.startsWith('{') || !line.endsWith(',')) throw new NotOurLayout();
        head = JSON.parse(`${line.slice(0, -1)}}`) as Json;
        state = 'open';
      } else if (state === 'open') {
        if (line !== '"connections":[') throw new NotOurLayout();
        state = 'connections';
      } else if (state === 'connections') {
        if (line === '],') { state = 'summary'; continue; }
        connections.push(JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line) as Json);
      } else if (state === 'summary') {
        // Recomputed from the connections; only its presence is checked.
        if (!line.startsWith('"summary":')) throw new NotOurLayout();
        state = 'end';
      } else if (line.trim() !== '') {
        throw new NotOurLayout();
      }
    }
  } catch (error) {
    if (error instanceof SyntaxError) throw new NotOurLayout();
    throw error;
  } finally {
    lines.close();
  }
  if (state !== 'end') throw new NotOurLayout();
  return shardFromParts(file, head, connections);
}

/** Reads one shard report. Problems with the file are returned, never thrown. */
export async function readShard(file: string): Promise<ShardRead> {
  try {
    await stat(file);
    try {
      return { ok: true, shard: await readStreamed(file) };
    } catch (error) {
      if (!(error instanceof NotOurLayout)) throw error;
    }
    const size = (await stat(file)).size;
    if (size > WHOLE_PARSE_LIMIT) return { ok: false, file, message: 'not in the layout finscope writes, and too large to parse whole' };
    let doc: Json;
    try {
      doc = JSON.parse(await readFile(file, 'utf8')) as Json;
    } catch (error) {
      return { ok: false, file, message: `not JSON: ${(error as Error).message}` };
    }
    if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.connections) || !Array.isArray(doc.inputs)) {
      return { ok: false, file, message: 'not a finscope JSON report (no inputs and connections)' };
    }
    const { connections, ...head } = doc;
    return { ok: true, shard: shardFromParts(file, head, connections as Json[]) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return { ok: false, file, message };
  }
}

/** The option that differs between two shards' settings, or null when they agree. */
export function settingsDifference(a: ReportSettings, b: ReportSettings): string | null {
  const ja = settingsJson(a), jb = settingsJson(b);
  for (const k of Object.keys(ja)) if (JSON.stringify(ja[k]) !== JSON.stringify(jb[k])) return k;
  return null;
}

/**
 * Combines shards in the order given: inputs concatenated, connection ids shifted by the
 * connections of the shards before (as one sequential run numbers them). With --merge shards, a
 * connection that crosses a shard boundary stays two connections: shard at rotation gaps.
 */
export function combineShards(shards: ShardReport[]): BatchAnalysis {
  const inputs: InputResult[] = [];
  const verdicts: Verdict[] = [];
  const skipped: SkippedEntry[] = [];
  let idOffset = 0;
  let merged: FlowStats | null = null;
  for (const shard of shards) {
    const inputOffset = inputs.length;
    for (const r of shard.inputs) inputs.push({ ...r, index: r.index + inputOffset });
    for (const v of shard.verdicts) {
      shiftVerdictIds(v, idOffset);
      v.input += inputOffset;
      verdicts.push(v);
    }
    skipped.push(...shard.skipped);
    // A shard's ids run over all its connections, filtered out or not.
    idOffset += shard.merged !== null ? shard.merged.connections : shard.inputs.reduce((n, r) => n + r.flow.connections, 0);
    if (shard.merged !== null) {
      const m: FlowStats = merged ?? { connections: 0, reused: 0, evicted: 0, idleFinished: 0, peakLive: 0, timeWentBackwards: 0 };
      merged = {
        connections: m.connections + shard.merged.connections, reused: m.reused + shard.merged.reused, evicted: m.evicted + shard.merged.evicted,
        idleFinished: m.idleFinished + shard.merged.idleFinished, peakLive: Math.max(m.peakLive, shard.merged.peakLive),
        timeWentBackwards: m.timeWentBackwards + shard.merged.timeWentBackwards,
      };
    }
  }
  verdicts.sort((a, b) => a.id - b.id);
  return { inputs, verdicts, merged, skipped };
}
