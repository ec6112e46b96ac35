// Time to an interactive UI for the largest capture in captures/ (or the files given): what runUi
// does between its first and its first interactive frame, step by step: reading and analysing the
// capture (the loading screen's time), preparing the views (summary, endpoint widths), and the
// first Overview frame (the state timeline).
//
//   npm run build && node dist/bench/ui-open.js [capture...]

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Verdict } from '../src/close/index.js';
import { analyzeInput } from '../src/pipeline/index.js';
import { prepareData } from '../src/ui/data.js';
import { Derived, frame } from '../src/ui/screen.js';
import { initialState } from '../src/ui/state.js';

function largestCapture(): string {
  const dir = join(process.cwd(), 'captures');
  const files = readdirSync(dir).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f)).map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

const files = process.argv.length > 2 ? process.argv.slice(2) : [largestCapture()];
for (const file of files) {
  const verdicts: Verdict[] = [];
  let t = performance.now();
  const input = await analyzeInput(file, 0, (v) => verdicts.push(v), { keepSegments: true });
  const readMs = performance.now() - t;
  t = performance.now();
  const data = prepareData([input], verdicts, { portRange: [32768, 60999] });
  const prepareMs = performance.now() - t;
  t = performance.now();
  frame(new Derived(data), initialState(), { columns: 80, rows: 23 });
  const frameMs = performance.now() - t;
  console.log(`${file}: ${(statSync(file).size / 1e6).toFixed(1)} MB, ${input.info.packets} packets, ${verdicts.length} connections`);
  console.log(`  read + analyse ${readMs.toFixed(0)} ms (loading screen), prepare ${prepareMs.toFixed(0)} ms, first Overview frame ${frameMs.toFixed(0)} ms`);
  console.log(`  interactive ${(prepareMs + frameMs).toFixed(0)} ms after loading ends`);
}
