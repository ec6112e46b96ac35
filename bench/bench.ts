// The benchmark of issue 7: finscope's whole `report --format json` against tshark, tcptrace and
// tcpdump on the same captures in the same run, with packets per second, wall and CPU time, peak
// memory (the child's max RSS) and the ratios; then the same capture gzipped, 1 job against 2 jobs
// on two files, and peak memory when the capture grows ten times at the same number of live
// connections.
//
//   npm run bench                         # everything, 3 M packets
//   npm run bench -- --packets 1000000 --runs 3 --skip scale
//   npm run bench -- --real               # only the real capture (--synthetic: only the synthetic)
//
// Options: --packets N (default 3000000), --runs N (best of N, default 1), --scale N (the growth
// factor for the memory check, default 10), --skip real,synthetic,flood,bulk,tools,text,gzip,jobs,scale,archive.
//
// Captures (bench/data/, gitignored; made once and reused):
//   real-<N>.pcap            nginx (or a small Node server) under wrk with `Connection: close` on
//                            loopback, snaplen 160, made by bench/real-traffic.sh when run as root
//                            with tcpdump and wrk installed; skipped (with a note) otherwise
//   synthetic-<N>-*.pcap     bench/generate.ts: deterministic, every finding present
//   flood-<N>.pcap           bench/generate.ts generateFlood: a SYN flood from N/2 spoofed sources,
//                            every connection live until the live-connection cap evicts it
//   bulk-<N>.pcap            bench/generate.ts generateBulk: 16 bulk transfers at a time, a few
//                            dozen connections in all: the cost per packet, not per connection
//   <capture>.gz             the real capture (else the synthetic one) gzipped at zlib's default level
//   archive-2000/            2000 small captures: captures/*.pcap copied round-robin (an archive
//                            of per-incident captures: the cost per file, not per packet)
//
// Peak memory is the child's max RSS from GNU time (`apt-get install time`), or else from polling
// /proc/<pid>/status (VmHWM) while it runs. CPU time is user + system (GNU time only): on a busy
// machine wall time stretches while CPU time does not, so both are printed.

import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { generate, generateBulk, generateFlood } from './generate.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'bench', 'data');
// The CLI of the same build as this file (dist/, or a private build directory).
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const GNU_TIME = '/usr/bin/time';

interface Options { packets: number; runs: number; scale: number; skip: Set<string> }

function parseArgs(argv: string[]): Options {
  const o: Options = { packets: 3_000_000, runs: 1, scale: 10, skip: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--packets') { o.packets = Number(v); i++; }
    else if (k === '--runs') { o.runs = Number(v); i++; }
    else if (k === '--scale') { o.scale = Number(v); i++; }
    else if (k === '--skip') { for (const s of v.split(',')) o.skip.add(s.trim()); i++; }
    else if (k === '--real') { o.skip.add('synthetic'); }
    else if (k === '--synthetic') { o.skip.add('real'); }
    else throw new Error(`bench: unknown argument ${k}`);
  }
  return o;
}

interface Measure { wall: number; cpu: number | null; rssMb: number; exit: number; head: string }

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs a command with stdout to /dev/null (or, with `head`, its first 4 KiB kept); wall time, CPU
 * time and max RSS of the child.
 */
function measureOnce(argv: string[], head = false): Promise<Measure> {
  const gnu = existsSync(GNU_TIME);
  const cmd = gnu ? [GNU_TIME, '-f', '@@bench %e %U %S %M %x', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', head ? 'pipe' : 'ignore', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { if (out.length < 4096) out += d.toString(); });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); if (stderr.length > 1 << 20) stderr = stderr.slice(-65536); });
    let hwmKb = 0;
    // Without GNU time: the child's high-water mark, read until it exits.
    const poll = gnu ? null : setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch { /* exited */ }
    }, 10);
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll !== null) clearInterval(poll);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      if (gnu) {
        const m = /@@bench (\S+) (\S+) (\S+) (\d+) (\d+)/.exec(stderr);
        if (m === null) { reject(new Error(`no timing from ${argv.join(' ')}: ${stderr.slice(-500)}`)); return; }
        resolve({ wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, exit: Number(m[5]), head: out });
      } else {
        resolve({ wall, cpu: null, rssMb: hwmKb / 1024, exit: code ?? -1, head: out });
      }
    });
  });
}

/** Best (lowest wall) of `runs` runs; the peak memory is the highest seen. */
async function measure(argv: string[], runs: number, head = false): Promise<Measure> {
  let best: Measure | null = null;
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const m = await measureOnce(argv, head);
    rss = Math.max(rss, m.rssMb);
    if (best === null || m.wall < best.wall) best = m;
  }
  return { ...best!, rssMb: rss };
}

function packetsIn(file: string): number {
  // Both kinds of capture here are classic pcap: count records by walking the headers.
  const buf = readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  let at = 24, n = 0;
  while (at + 16 <= buf.length) {
    at += 16 + (le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8));
    n++;
  }
  return n;
}

const fmt = (x: number, digits = 2): string => x.toFixed(digits);
const mpps = (packets: number, seconds: number): string => `${fmt(packets / seconds / 1e6)} M/s`;

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  console.log(row(header, widths));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(row(r, widths));
}

function machine(): string {
  const cpu = cpus();
  const kernel = spawnSync('uname', ['-sr'], { encoding: 'utf8' }).stdout.trim();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB, ${kernel}, Node ${process.version}; load average at start ${load}`;
}

function version(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').find((l) => /\d+\.\d+/.test(l))?.trim() ?? '?';
}

async function syntheticCapture(packets: number, seed: number): Promise<string> {
  const file = join(DATA, `synthetic-${packets}-ethernet${seed === 1 ? '' : `-seed${seed}`}.pcap`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${relative(ROOT, file)} ... `);
    const r = generate({ packets, link: 'ethernet', rate: 500, seed, snaplen: 160, out: file });
    console.log(`${r.connections} connections over ${fmt(r.seconds, 0)} s`);
  }
  return file;
}

async function generatedCapture(name: string, packets: number, make: typeof generateFlood): Promise<string> {
  const file = join(DATA, `${name}-${packets}.pcap`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${relative(ROOT, file)} ... `);
    const r = make({ packets, seed: 1, out: file });
    console.log(`${r.connections} connections over ${fmt(r.seconds, 0)} s`);
  }
  return file;
}

function realCapture(packets: number): string | null {
  const file = join(DATA, `real-${packets}.pcap`);
  if (existsSync(file)) return file;
  const missing = ['tcpdump', 'wrk'].filter((t) => !has(t));
  if (process.getuid?.() !== 0 || missing.length > 0) {
    console.log(`real capture: skipped (${missing.length > 0 ? `${missing.join(', ')} not installed` : 'needs root for tcpdump on lo'}); ` +
      `make it with: sudo bash bench/real-traffic.sh ${packets}`);
    return null;
  }
  console.log(`capturing ${relative(ROOT, file)} (nginx or Node under wrk on loopback) ...`);
  const r = spawnSync('bash', [join(ROOT, 'bench', 'real-traffic.sh'), String(packets), file], { stdio: 'inherit' });
  return r.status === 0 && existsSync(file) ? file : null;
}

const finscope = (files: string[], jobs: number): string[] =>
  [process.execPath, CLI, 'report', '-f', 'json', '--no-progress', '--jobs', String(jobs), ...files];
const finscopeText = (files: string[]): string[] =>
  [process.execPath, CLI, 'report', '--limit', '1', '--no-progress', '--jobs', '1', ...files];

async function compareTools(name: string, file: string, o: Options): Promise<void> {
  const packets = packetsIn(file);
  const mb = statSync(file).size / 1e6;
  const tools: [string, string[]][] = [['finscope report -f json (1 job)', finscope([file], 1)]];
  // The default --jobs (the cores): one input's connections judged on a second thread
  // (src/batch/offload.ts), and a large JSON report written on two.
  const cores = availableParallelism();
  if (cores > 1) tools.push([`finscope report -f json (-j ${cores})`, finscope([file], cores)]);
  if (!o.skip.has('text')) tools.push(['finscope report (text, 1 job)', finscopeText([file])]);
  if (!o.skip.has('tools')) {
    if (has('tshark')) tools.push(['tshark -q -z conv,tcp', ['tshark', '-q', '-z', 'conv,tcp', '-r', file]]);
    if (has('tcptrace')) tools.push(['tcptrace -n', ['tcptrace', '-n', file]]);
    // As root, tcpdump drops to its own user and chowns its output file to it: -Z root keeps
    // /dev/null as it was.
    const asRoot = process.getuid?.() === 0 ? ['-Z', 'root'] : [];
    if (has('tcpdump')) tools.push(['tcpdump -r file -w /dev/null', ['tcpdump', ...asRoot, '-r', file, '-w', '/dev/null']]);
  }
  const results: Measure[] = [];
  for (const [label, argv] of tools) results.push(await measure(argv, o.runs, label.includes('text')));
  const connections = /(\d+) TCP connections/.exec(results.find((_m, i) => tools[i][0].includes('text'))?.head ?? '')?.[1];
  console.log(`\n## ${name}: ${relative(ROOT, file)} (${packets} packets${connections ? `, ${connections} connections` : ''}, ${fmt(mb, 0)} MB)\n`);
  const ours = results[0];
  const rows = tools.map(([label], i) => {
    const m = results[i];
    const ratio = (x: number): string => `${fmt(x, x < 0.1 ? 3 : 1)}x`;
    const vs = i === 0 ? '1' : ratio(m.wall / ours.wall);
    const vsCpu = i === 0 || m.cpu === null || ours.cpu === null ? (i === 0 ? '1' : '-') : ratio(m.cpu / ours.cpu);
    return [label, mpps(packets, m.wall), `${fmt(m.wall)} s`, m.cpu === null ? '-' : `${fmt(m.cpu)} s`, `${fmt(m.rssMb, 0)} MB`, vs, vsCpu, m.exit === 0 ? '' : `exit ${m.exit}`];
  });
  table(['tool', 'packets/s', 'wall', 'CPU', 'peak RSS', 'wall / finscope', 'CPU / finscope', ''], rows);
  const dump = tools.findIndex(([l]) => l.startsWith('tcpdump'));
  if (dump > 0) {
    const d = results[dump];
    console.log(`\nfinscope's JSON report takes ${fmt(ours.wall / d.wall, 1)}x the wall time of tcpdump -r -w /dev/null` +
      (ours.cpu !== null && d.cpu !== null ? ` (${fmt(ours.cpu / d.cpu, 1)}x its CPU time)` : ''));
  }
}

/** `file` gzipped beside it (made once): archives of captures are usually compressed. */
async function gzipped(file: string): Promise<string> {
  const out = `${file}.gz`;
  if (!existsSync(out)) {
    process.stdout.write(`gzipping ${relative(ROOT, file)} ... `);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(`${out}.part`));
    renameSync(`${out}.part`, out);
    console.log(`${fmt(statSync(out).size / 1e6, 0)} MB`);
  }
  return out;
}

/** finscope on a gzipped capture against the same capture plain, and gzip -dc alone (the floor). */
async function compareGzip(file: string, o: Options): Promise<void> {
  const gz = await gzipped(file);
  const packets = packetsIn(file);
  const runs: [string, string[]][] = [
    ['finscope report -f json (1 job), plain', finscope([file], 1)],
    ['finscope report -f json (1 job), gzipped', finscope([gz], 1)],
  ];
  if (has('gzip')) runs.push(['gzip -dc (decompression alone)', ['gzip', '-dc', gz]]);
  const results: Measure[] = [];
  for (const [, argv] of runs) results.push(await measure(argv, o.runs));
  console.log(`\n## Gzipped input: ${relative(ROOT, gz)} (${fmt(statSync(gz).size / 1e6, 0)} MB, ${packets} packets)\n`);
  table(['run', 'packets/s', 'wall', 'CPU', 'peak RSS'], runs.map(([label], i) => {
    const m = results[i];
    return [label, mpps(packets, m.wall), `${fmt(m.wall)} s`, m.cpu === null ? '-' : `${fmt(m.cpu)} s`, `${fmt(m.rssMb, 0)} MB`];
  }));
  console.log(`\nthe gzipped capture takes ${fmt(results[1].wall / results[0].wall)} of the time of the plain one`);
}

/** ARCHIVE_FILES small captures (made once): the real ones in captures/, copied round-robin. */
const ARCHIVE_FILES = 2000;
/** Files tshark reads in the archive section: one process per file, so the time is per file anyway. */
const TSHARK_SAMPLE = 100;

function archiveDir(): string | null {
  const dir = join(DATA, `archive-${ARCHIVE_FILES}`);
  const done = join(dir, '.complete');
  if (existsSync(done)) return dir;
  const source = join(ROOT, 'captures');
  const names = existsSync(source) ? readdirSync(source).filter((f) => f.endsWith('.pcap')).sort() : [];
  if (names.length === 0) return null;
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < ARCHIVE_FILES; k++) {
    const name = names[k % names.length];
    copyFileSync(join(source, name), join(dir, `${String(k).padStart(4, '0')}-${name}`));
  }
  writeFileSync(done, '');
  return dir;
}

/** finscope over a directory of small captures with 1 and 2 jobs; tshark on a sample of them, one process each. */
async function compareArchive(o: Options): Promise<void> {
  const dir = archiveDir();
  if (dir === null) { console.log('\n## Archive: skipped (no captures/*.pcap to copy)'); return; }
  const files = readdirSync(dir).filter((f) => f.endsWith('.pcap')).sort().map((f) => join(dir, f));
  const packets = files.reduce((n, f) => n + packetsIn(f), 0);
  const cores = availableParallelism();
  const rows: string[][] = [];
  for (const jobs of cores > 1 ? [1, cores] : [1]) {
    const m = await measure(finscope([dir], jobs), o.runs);
    rows.push([`finscope report -f json -j ${jobs} (the directory)`, String(files.length), `${fmt(m.wall)} s`,
      `${fmt(m.wall / files.length * 1000)} ms`, `${fmt(m.rssMb, 0)} MB`]);
  }
  if (!o.skip.has('tools') && has('tshark')) {
    const sample = files.slice(0, TSHARK_SAMPLE);
    let wall = 0, rss = 0;
    for (const f of sample) {
      const m = await measureOnce(['tshark', '-q', '-z', 'conv,tcp', '-r', f]);
      wall += m.wall;
      rss = Math.max(rss, m.rssMb);
    }
    rows.push([`tshark -q -z conv,tcp (one process a file, first ${sample.length})`, String(sample.length), `${fmt(wall)} s`,
      `${fmt(wall / sample.length * 1000)} ms`, `${fmt(rss, 0)} MB`]);
  }
  console.log(`\n## Archive: ${relative(ROOT, dir)} (${files.length} small captures from captures/, ${packets} packets)\n`);
  table(['run', 'files', 'wall', 'per file', 'peak RSS'], rows);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(CLI)) throw new Error(`bench: ${CLI} is missing: run npm run build (npm run bench does)`);
  console.log(`# finscope benchmark\n\nMachine: ${machine()}`);
  const versions = [['tshark', '--version'], ['tcptrace', '-v'], ['tcpdump', '--version']].filter(([t]) => has(t)).map((a) => version(a));
  if (versions.length > 0) console.log(`Tools: ${versions.join('; ')}`);
  if (!existsSync(GNU_TIME)) console.log('(GNU time not installed: peak memory from /proc polling, no CPU times; apt-get install time)');

  const synthetic = o.skip.has('synthetic') ? null : await syntheticCapture(o.packets, 1);
  const real = o.skip.has('real') ? null : realCapture(o.packets);
  if (real !== null) await compareTools('Real traffic', real, o);
  if (synthetic !== null) await compareTools('Synthetic', synthetic, o);
  // The worst case for the flow table: every connection live at once (up to the cap).
  if (!o.skip.has('flood')) await compareTools('SYN flood (synthetic)', await generatedCapture('flood', o.packets, generateFlood), o);
  // The other end: few connections, so the cost is per packet.
  if (!o.skip.has('bulk')) await compareTools('Bulk transfers (synthetic)', await generatedCapture('bulk', o.packets, generateBulk), o);
  if (!o.skip.has('gzip') && (real ?? synthetic) !== null) await compareGzip((real ?? synthetic)!, o);

  if (!o.skip.has('jobs') && synthetic !== null) {
    const second = await syntheticCapture(o.packets, 2);
    const files = [synthetic, second];
    const packets = packetsIn(synthetic) + packetsIn(second);
    console.log(`\n## Two files (${relative(ROOT, synthetic)}, ${relative(ROOT, second)}), 1 job against 2\n`);
    const one = await measure(finscope(files, 1), o.runs);
    const two = await measure(finscope(files, 2), o.runs);
    table(['jobs', 'packets/s', 'wall', 'CPU', 'peak RSS'], [one, two].map((m, i) =>
      [String(i + 1), mpps(packets, m.wall), `${fmt(m.wall)} s`, m.cpu === null ? '-' : `${fmt(m.cpu)} s`, `${fmt(m.rssMb, 0)} MB`]));
    console.log(`\n2 jobs take ${fmt(two.wall / one.wall)} of the time of 1 job`);
  }

  if (!o.skip.has('archive')) await compareArchive(o);

  if (!o.skip.has('scale') && synthetic !== null) {
    const big = await syntheticCapture(o.packets * o.scale, 1);
    console.log(`\n## Memory when the capture grows ${o.scale} times at the same number of live connections (synthetic, 500 new connections a second)\n`);
    // One job, and the default (the cores: a second thread judges the connections).
    const cores = availableParallelism();
    const rows: string[][] = [];
    const growth: string[] = [];
    for (const jobs of cores > 1 ? [1, cores] : [1]) {
      const small = await measure(finscope([synthetic], jobs), 1);
      const large = await measure(finscope([big], jobs), 1);
      for (const [f, p, m] of [[synthetic, o.packets, small], [big, o.packets * o.scale, large]] as [string, number, Measure][]) {
        rows.push([relative(ROOT, f), String(p), String(jobs), `${fmt(m.wall)} s`, `${fmt(m.rssMb, 0)} MB`]);
      }
      growth.push(`${fmt((large.rssMb / small.rssMb - 1) * 100, 0)}% with ${jobs} job${jobs === 1 ? '' : 's'}`);
    }
    table(['capture', 'packets', 'jobs', 'wall', 'peak RSS'], rows);
    console.log(`\npeak RSS grows ${growth.join(', ')} for ${o.scale}x the packets`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
