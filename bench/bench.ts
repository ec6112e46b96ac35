// npm run bench [-- --packets 3000000] [--real] [--keep]
//
// Times finscope's whole `report --format json` on a capture against the tools people would
// otherwise use, in one run, when they are installed: tshark -q -z conv,tcp, tcptrace -n, and
// `tcpdump -r file -w /dev/null` (libpcap reading and writing records: the floor). Prints packets
// per second, wall time, peak memory (max RSS, from /usr/bin/time) and the ratios.
//
// Captures: a deterministic synthetic one written by bench/generate.ts (default), reused from
// bench/data/ when it exists; with --real, bench/data/real-<packets>.pcap made by
// bench/real-traffic.sh (nginx under wrk on loopback; needs root, nginx, wrk, tcpdump).
// Never part of npm test.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { generate } from './generate.js';

const ROOT = process.cwd();
const DATA = join(ROOT, 'bench', 'data');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

interface Timing { name: string; wallS: number; maxRssMb: number | null; ok: boolean }

/** Runs a shell command with stdout to /dev/null, measuring wall time and (with /usr/bin/time) max RSS. */
function measure(name: string, command: string): Timing {
  const useTime = existsSync('/usr/bin/time');
  const full = useTime ? `/usr/bin/time -f '%M' sh -c ${JSON.stringify(`${command} > /dev/null`)}` : `${command} > /dev/null`;
  const start = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', full], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const lines = (r.stderr ?? '').trim().split('\n');
  const rss = useTime ? Number(lines[lines.length - 1]) / 1024 : NaN;
  return { name, wallS, maxRssMb: Number.isFinite(rss) ? rss : null, ok: r.status === 0 };
}

async function main(): Promise<void> {
  const packets = Number(arg('--packets') ?? 3_000_000);
  mkdirSync(DATA, { recursive: true });
  let capture: string;
  if (process.argv.includes('--real')) {
    capture = join(DATA, `real-${packets}.pcap`);
    if (!existsSync(capture)) {
      const r = spawnSync('bash', [join(ROOT, 'bench', 'real-traffic.sh'), String(packets), capture], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error('bench/real-traffic.sh failed (needs root, nginx, wrk, tcpdump)');
    }
  } else {
    capture = join(DATA, `synthetic-${packets}.pcap`);
    if (!existsSync(capture)) {
      process.stdout.write(`generating ${capture} ... `);
      const g = await generate(capture, packets);
      process.stdout.write(`${g.packets} packets, ${g.connections} connections\n`);
    }
  }
  const size = statSync(capture).size;
  // The text report names the counts (the JSON of 300 000 connections is too big for one string).
  const text = spawnSync(process.execPath, [CLI, 'report', '-j', '1', '--limit', '1', capture], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;
  const n = Number(/, (\d+) packets \(/.exec(text)?.[1] ?? NaN);
  const connections = Number(/(\d+) TCP connections/.exec(text)?.[1] ?? NaN);
  process.stdout.write(`capture ${capture}: ${(size / 1e6).toFixed(0)} MB, ${n} packets, ${connections} connections\n`);
  process.stdout.write(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n\n`);

  const runs: Timing[] = [measure('finscope report --format json (1 core)', `"${process.execPath}" "${CLI}" report -f json -j 1 "${capture}"`)];
  runs.push(measure('finscope report (text, 1 core)', `"${process.execPath}" "${CLI}" report -j 1 "${capture}"`));
  if (has('tcpdump')) runs.push(measure('tcpdump -r file -w /dev/null', `tcpdump -r "${capture}" -w /dev/null 2>/dev/null`));
  if (has('tshark')) runs.push(measure('tshark -q -z conv,tcp', `tshark -r "${capture}" -q -z conv,tcp`));
  if (has('tcptrace')) runs.push(measure('tcptrace -n', `tcptrace -n "${capture}"`));

  const finscope = runs[0];
  process.stdout.write(`${'tool'.padEnd(42)} ${'wall s'.padStart(8)} ${'Mpkt/s'.padStart(8)} ${'max RSS MB'.padStart(11)} ${'vs finscope'.padStart(12)}\n`);
  for (const r of runs) {
    const ratio = r === finscope ? '' : `${(r.wallS / finscope.wallS).toFixed(2)}x`;
    process.stdout.write(`${r.name.padEnd(42)} ${r.wallS.toFixed(2).padStart(8)} ${(n / r.wallS / 1e6).toFixed(2).padStart(8)} ` +
      `${(r.maxRssMb === null ? '-' : r.maxRssMb.toFixed(0)).padStart(11)} ${ratio.padStart(12)}${r.ok ? '' : '  (failed)'}\n`);
  }
  process.stdout.write('\n(vs finscope: the tool\'s time divided by finscope\'s JSON report time; above 1 means finscope is faster)\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
