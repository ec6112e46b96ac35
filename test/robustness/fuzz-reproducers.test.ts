// Inputs the fuzzer (scripts/fuzz.ts) found breaking the pipeline, kept in test/fixtures/fuzz/ with
// a note each (<name>.txt: the failure, the mutations that made it). Each must now go through the
// whole pipeline clean. Then a short fuzz run with a fixed seed, so the fuzzer itself keeps working.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { failureSignature, noteOptions } from '../../scripts/fuzz.js';
import { DEFAULT_LIMITS, GuardedWorker } from '../../scripts/guarded.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'fuzz');

describe('fuzz reproducers', () => {
  const files = readdirSync(FIXTURES).filter((f) => !f.endsWith('.txt') && !f.endsWith('.md')).sort();

  it('there are reproducers, each with its note', () => {
    assert.ok(files.length > 0);
    for (const f of files) assert.ok(readFileSync(join(FIXTURES, `${f}.txt`), 'utf8').length > 0, `${f}.txt`);
  });

  for (const file of files) {
    const note = readFileSync(join(FIXTURES, `${file}.txt`), 'utf8');
    it(`${file} (was: ${note.split('\n')[0]})`, async () => {
      const guard = new GuardedWorker(DEFAULT_LIMITS);
      try {
        const outcome = await guard.run({ mode: 'pipeline', request: { ...noteOptions(note), path: join(FIXTURES, file), name: file } });
        assert.equal(failureSignature(outcome), null, JSON.stringify(outcome));
      } finally {
        await guard.close();
      }
    });
  }
});

it('a short fuzz run with a fixed seed is clean', { timeout: 180_000 }, () => {
  const script = fileURLToPath(new URL('../../scripts/fuzz.js', import.meta.url));
  const r = spawnSync(process.execPath, [script, '--seed', '20261124', '--max-inputs', '300', '--seconds', '120', '--jobs', '1', '--no-save'],
    { encoding: 'utf8', timeout: 170_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /fuzz: 300 inputs in .* 0 distinct failure\(s\)/s);
});
