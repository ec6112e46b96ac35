// Mutation fuzzer for the whole pipeline. Seeds are the captures under captures/ (and a few built
// ones, scripts/fuzz-seeds.ts); each input is a seed mutated by scripts/mutate.ts, written to a
// temporary file and checked by scripts/pipeline-check.ts in a worker thread under a time limit and
// a memory bound (scripts/guarded.ts). A failure is any exception out of the pipeline (the CLI's
// exit code 4), a violated invariant, an input taking longer than the limit, or memory past the
// bound. Each distinct failure is confirmed by a second run, shrunk, and saved under
// test/fixtures/fuzz/ as a reproducer that test/robustness/fuzz-reproducers.test.ts replays.
//
//   npm run fuzz -- --seconds 600              # by hand, as long as you like
//   node dist/scripts/fuzz.js --seconds 90     # what .ci/run does after npm test
//   node dist/scripts/fuzz.js --replay file... # one line per file: what the check says
//
// Options: --seconds N (60), --jobs N (worker threads, default 2), --seed N (printed; same seed, same
// inputs), --max-inputs N, --timeout-ms N (5000), --out DIR (test/fixtures/fuzz), --seeds DIR (more
// seed captures; repeatable), --no-save.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CAPTURES_DIR, listFiles, looksLikeCapture } from './corpus-run.js';
import { builtSeeds, captureSeeds, type Seed } from './fuzz-seeds.js';
import { DEFAULT_LIMITS, GuardedWorker, type GuardedOutcome, type GuardLimits } from './guarded.js';
import { encode, layout, mutate, Random } from './mutate.js';
import type { CheckRequest, CheckResult } from './pipeline-check.js';

export const FIXTURES_DIR = fileURLToPath(new URL('../../test/fixtures/fuzz', import.meta.url));

/** Seeds above this are cut to their first units most of the time: small inputs, more of them. */
const TRIM_SEEDS_ABOVE = 64 * 1024;
/** Most runs the shrinker may spend on one failure. */
const SHRINK_BUDGET = 200;

interface FuzzOptions {
  seconds: number;
  jobs: number;
  seed: number;
  maxInputs: number;
  timeoutMs: number;
  outDir: string;
  seedDirs: string[];
  save: boolean;
}

interface Failure {
  signature: string;
  count: number;
  example: string;
  steps: string[];
  saved: string | null;
  /** Happened again when run alone (a timeout or memory alarm under load may not). */
  confirmed: boolean;
  /** The check's options the failure happened with (merge, chunked read, flow options). */
  options: Omit<CheckRequest, 'path' | 'name'>;
}

/** The check options written in a reproducer's note, or the defaults the replay uses. */
export function noteOptions(note: string): Omit<CheckRequest, 'path' | 'name'> {
  const line = note.split('\n').find((l) => l.startsWith('check options: '));
  return line !== undefined ? JSON.parse(line.slice('check options: '.length)) as Omit<CheckRequest, 'path' | 'name'> : { merge: true, chunkSeed: 7 };
}

/** What went wrong, with the numbers taken out, so that one bug is one failure however often met. */
export function failureSignature(outcome: GuardedOutcome<CheckResult>): string | null {
  if (outcome.kind !== 'done') return outcome.kind;
  const r = outcome.result;
  if (r.status !== 'crash') return null;
  const text = r.crash ?? '';
  const [head, ...stack] = text.split('\n');
  const frame = stack.find((l) => /\/(src|scripts)\//.test(l))?.replace(/^.*\/((src|scripts)\/[^:]+:\d+).*$/, '$1') ?? '';
  // Paths (the input's temporary name) and numbers vary from one occurrence of a bug to the next.
  const general = head.replace(/(\/[\w.-]+)+/g, '<path>').replace(/\d+/g, 'N').slice(0, 160);
  return `${general}${frame !== '' ? ` @ ${frame}` : ''}`;
}

function describe(outcome: GuardedOutcome<CheckResult>): string {
  if (outcome.kind !== 'done') return `${outcome.kind}: ${outcome.message}`;
  return outcome.result.crash?.split('\n').slice(0, 4).join(' | ') ?? outcome.result.status;
}

function extensionOf(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return '.gz';
  const lay = layout(bytes);
  return lay.format === 'pcap' ? '.pcap' : lay.format === 'pcapng' ? '.pcapng' : '.bin';
}

/** Cuts a big seed to its first units (about TRIM_SEEDS_ABOVE bytes). */
function trimmed(seed: Buffer, rnd: Random): Buffer {
  if (seed.length <= TRIM_SEEDS_ABOVE || rnd.chance(0.1)) return seed;
  const units = layout(seed).units;
  const cut = units.find((u) => u.offset + u.length > TRIM_SEEDS_ABOVE);
  return cut !== undefined ? seed.subarray(0, cut.offset) : seed.subarray(0, TRIM_SEEDS_ABOVE);
}

class Fuzzer {
  readonly failures = new Map<string, Failure>();
  readonly statuses = new Map<string, number>();
  inputs = 0;
  gzipInputs = 0;
  maxPeakMb = 0;
  maxMs = 0;
  private readonly deadline: number;
  private readonly pcapng: Seed[];

  constructor(private readonly seeds: Seed[], private readonly options: FuzzOptions, private readonly limits: GuardLimits, private readonly work: string) {
    this.deadline = Date.now() + options.seconds * 1000;
    this.pcapng = seeds.filter((s) => layout(s.bytes).format === 'pcapng');
  }

  private more(): boolean {
    return Date.now() < this.deadline && this.inputs < this.options.maxInputs;
  }

  async lane(k: number): Promise<void> {
    const guard = new GuardedWorker(this.limits);
    const rnd = new Random((this.options.seed + Math.imul(k + 1, 0x9e3779b9)) >>> 0);
    const path = join(this.work, `lane-${k}.in`);
    const others = this.seeds.map((s) => s.bytes);
    try {
      // Options follow the lane's own count, so that a seed gives the same inputs whatever the timing.
      for (let n = 0; this.more(); n++) {
        this.inputs++;
        // pcapng has more structure to get wrong than its share of the seeds says.
        const seed = rnd.chance(0.3) && this.pcapng.length > 0 ? rnd.pick(this.pcapng) : rnd.pick(this.seeds);
        const mutated = mutate(trimmed(seed.bytes, rnd), others, rnd);
        const bytes = encode(mutated, rnd);
        if (mutated.gzip) this.gzipInputs++;
        writeFileSync(path, bytes);
        const request: CheckRequest = {
          path, name: seed.name, merge: n % 3 === 0, chunkSeed: n % 2 === 0 ? rnd.next() : undefined, zeekBoundaries: n % 5 === 0, split: n % 4 === 1,
          // Rarely: two worker threads start for it, which costs more than the check itself.
          copies: n % 16 === 1 ? 2 : undefined,
          // Now and then a cap so low that eviction runs all the time.
          maxLive: n % 7 === 0 ? 1 + rnd.below(4) : undefined,
        };
        const outcome = await guard.run({ mode: 'pipeline', request });
        this.maxPeakMb = Math.max(this.maxPeakMb, outcome.peakRssGrowthMb);
        this.maxMs = Math.max(this.maxMs, outcome.ms);
        const signature = failureSignature(outcome);
        const status = outcome.kind === 'done' ? outcome.result.status : outcome.kind;
        this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
        if (signature === null) continue;
        await this.record(signature, outcome, bytes, mutated.gzip, request, [`seed ${seed.name}`, ...mutated.steps]);
      }
    } finally {
      await guard.close();
    }
  }

  private async record(signature: string, outcome: GuardedOutcome<CheckResult>, bytes: Buffer, gzip: boolean, request: CheckRequest, steps: string[]): Promise<void> {
    const known = this.failures.get(signature);
    if (known !== undefined) {
      known.count++;
      return;
    }
    const { path: _path, name: _name, ...options } = request;
    const failure: Failure = { signature, count: 1, example: describe(outcome), steps, saved: null, confirmed: false, options };
    this.failures.set(signature, failure);
    console.log(`FAILURE ${signature}\n  ${failure.example}\n  from ${steps.join(', ')}`);
    // A fresh worker on its own: a timeout or memory alarm under load must happen again to count.
    const solo = new GuardedWorker(this.limits);
    const shrinkPath = `${request.path}.shrink`;
    try {
      writeFileSync(shrinkPath, bytes);
      const again = await solo.run({ mode: 'pipeline', request: { ...request, path: shrinkPath } });
      if (failureSignature(again) !== signature) {
        failure.example += ` (did not happen again on its own: ${describe(again)})`;
        console.log('  not reproduced on its own; not saved');
        return;
      }
      failure.confirmed = true;
      const small = gzip || outcome.kind !== 'done' ? bytes : await this.shrink(solo, bytes, signature, { ...request, path: shrinkPath });
      if (this.options.save) failure.saved = this.save(small, failure);
      console.log(`  ${small.length} bytes${failure.saved !== null ? `, saved as ${failure.saved}` : ''}`);
    } finally {
      await solo.close();
      rmSync(shrinkPath, { force: true });
    }
  }

  /** Drops records/blocks and cuts the tail while the same failure keeps happening. */
  private async shrink(guard: GuardedWorker, bytes: Buffer, signature: string, request: CheckRequest): Promise<Buffer> {
    let best = bytes;
    let budget = SHRINK_BUDGET;
    const fails = async (candidate: Buffer): Promise<boolean> => {
      budget--;
      writeFileSync(request.path, candidate);
      return failureSignature(await guard.run({ mode: 'pipeline', request })) === signature;
    };
    // Shortest failing prefix at a unit boundary, then each unit left out in turn (last first).
    for (const u of layout(best).units) {
      if (budget <= 0) break;
      const prefix = best.subarray(0, u.offset + u.length);
      if (prefix.length < best.length && await fails(prefix)) { best = prefix; break; }
    }
    for (let i = layout(best).units.length - 1; i >= 1 && budget > 0; i--) {
      const u = layout(best).units[i];
      if (u === undefined) continue;
      const candidate = Buffer.concat([best.subarray(0, u.offset), best.subarray(u.offset + u.length)]);
      if (await fails(candidate)) best = candidate;
    }
    return best;
  }

  private save(bytes: Buffer, failure: Failure): string {
    mkdirSync(this.options.outDir, { recursive: true });
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
    const kind = failure.signature.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).toLowerCase();
    const name = `${kind}-${hash}${extensionOf(bytes)}`;
    writeFileSync(join(this.options.outDir, name), bytes);
    writeFileSync(join(this.options.outDir, `${name}.txt`),
      `${failure.signature}\n${failure.example}\nmutations: ${failure.steps.join(', ')}\nfuzz seed: ${this.options.seed}\n` +
      `check options: ${JSON.stringify(failure.options)}\n`);
    return name;
  }
}

function parseArgs(argv: string[]): { options: FuzzOptions; replay: string[] } {
  const options: FuzzOptions = {
    seconds: 60, jobs: Math.max(1, Math.min(2, availableParallelism())), seed: (Date.now() % 0x7fffffff) >>> 0,
    maxInputs: Number.POSITIVE_INFINITY, timeoutMs: DEFAULT_LIMITS.timeoutMs, outDir: FIXTURES_DIR, seedDirs: [], save: true,
  };
  const replay: string[] = [];
  let replaying = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a} needs a number`);
      return n;
    };
    if (a === '--seconds') options.seconds = value();
    else if (a === '--jobs') options.jobs = Math.max(1, Math.floor(value()));
    else if (a === '--seed') options.seed = Math.floor(value()) >>> 0;
    else if (a === '--max-inputs') options.maxInputs = Math.floor(value());
    else if (a === '--timeout-ms') options.timeoutMs = value();
    else if (a === '--out') options.outDir = resolve(argv[++i]);
    else if (a === '--seeds') options.seedDirs.push(resolve(argv[++i]));
    else if (a === '--no-save') options.save = false;
    else if (a === '--replay') replaying = true;
    else if (replaying) replay.push(resolve(a));
    else throw new Error(`unknown argument ${a}`);
  }
  return { options, replay };
}

async function replayFiles(files: string[], limits: GuardLimits): Promise<number> {
  const guard = new GuardedWorker(limits);
  let failed = 0;
  try {
    for (const path of files) {
      let note = '';
      try { note = readFileSync(`${path}.txt`, 'utf8'); } catch { /* no note: the defaults */ }
      const outcome = await guard.run({ mode: 'pipeline', request: { ...noteOptions(note), path, name: path } });
      const signature = failureSignature(outcome);
      if (signature !== null) failed++;
      console.log(`${signature === null ? 'clean' : 'FAILS'} ${path}: ${describe(outcome)} (${outcome.ms.toFixed(0)} ms)`);
    }
  } finally {
    await guard.close();
  }
  return failed > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const { options, replay } = parseArgs(argv);
  const limits: GuardLimits = { ...DEFAULT_LIMITS, timeoutMs: options.timeoutMs };
  if (replay.length > 0) return replayFiles(replay, limits);

  const seeds: Seed[] = [...builtSeeds()];
  for (const dir of [CAPTURES_DIR, ...options.seedDirs]) {
    if (!existsSync(dir)) continue;
    seeds.push(...captureSeeds((listFiles(dir, true) ?? []).filter(looksLikeCapture), dir));
  }
  const work = mkdtempSync(join(tmpdir(), 'finscope-fuzz-'));
  console.log(`fuzz: ${seeds.length} seeds, ${options.jobs} worker(s), ${options.seconds} s, seed ${options.seed}, ` +
    `limits ${limits.timeoutMs} ms / heap ${limits.heapMb} MiB / resident growth ${limits.rssGrowthMb} MiB`);
  const fuzzer = new Fuzzer(seeds, options, limits, work);
  const started = Date.now();
  const ticker = setInterval(() => {
    console.log(`fuzz: ${fuzzer.inputs} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s, ${fuzzer.failures.size} distinct failures`);
  }, 15_000);
  try {
    await Promise.all(Array.from({ length: options.jobs }, (_, k) => fuzzer.lane(k)));
  } finally {
    clearInterval(ticker);
    rmSync(work, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const statuses = [...fuzzer.statuses].sort().map(([s, n]) => `${s} ${n}`).join(', ');
  console.log(`fuzz: ${fuzzer.inputs} inputs in ${seconds.toFixed(0)} s (${(fuzzer.inputs / seconds).toFixed(0)}/s; ${fuzzer.gzipInputs} gzip-wrapped): ${statuses}`);
  console.log(`fuzz: slowest input ${fuzzer.maxMs.toFixed(0)} ms, largest resident-set growth ${fuzzer.maxPeakMb} MiB`);
  const confirmed = [...fuzzer.failures.values()].filter((f) => f.confirmed);
  console.log(`fuzz: ${confirmed.length} distinct failure(s)` +
    `${fuzzer.failures.size > confirmed.length ? `, ${fuzzer.failures.size - confirmed.length} more seen once and not again on their own` : ''}`);
  for (const f of fuzzer.failures.values()) {
    console.log(`  ${f.count}x ${f.confirmed ? '' : '(unconfirmed) '}${f.signature}${f.saved !== null ? ` -> ${f.saved}` : ''}\n     ${f.example}`);
  }
  return confirmed.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    console.error(`fuzz: ${(error as Error).message}`);
    process.exitCode = 2;
  });
}
