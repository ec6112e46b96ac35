// Every capture in captures/ and in the tcpdump corpus (../shared/corpus/tcpdump, 830 files, many
// malformed on purpose) through the whole pipeline and every report format, each in a guarded
// worker (scripts/corpus-run.ts in pipeline mode): no exception, no hang, no memory blow-up, no
// broken invariant (scripts/pipeline-check.ts); each file fully read or stopped by one placed error.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_CORPUS_DIR, failedFiles, formatResult, looksLikeCapture, runCorpus } from '../../scripts/corpus-run.js';

const TIMEOUT_MS = 5000;

describe('whole pipeline over real captures', () => {
  it('captures/: every capture read to its end (truncated.pcap with its one warning)', { timeout: 300_000 }, async (t) => {
    const summary = await runCorpus(join(process.cwd(), 'captures'), { mode: 'pipeline', recursive: true, select: looksLikeCapture, timeoutMs: TIMEOUT_MS });
    assert.ok(summary !== null && summary.results.length >= 40, 'captures/ holds the shipped captures');
    assert.deepEqual(failedFiles(summary, TIMEOUT_MS).map(formatResult), []);
    assert.deepEqual(summary.results.filter((r) => r.status === 'error').map(formatResult), []);
    assert.deepEqual(summary.results.filter((r) => r.status === 'warning').map((r) => [r.file, r.problem?.kind]), [['truncated.pcap', 'truncated-record']]);
    t.diagnostic(`${summary.results.length} captures: fully read ${summary.fullyRead}, with warning ${summary.withWarning}`);
  });

  it('the tcpdump corpus: no crash, hang or blow-up, every problem placed', { timeout: 600_000 }, async (t) => {
    if (!existsSync(DEFAULT_CORPUS_DIR)) {
      t.skip(`${DEFAULT_CORPUS_DIR} not present`);
      return;
    }
    const summary = await runCorpus(DEFAULT_CORPUS_DIR, { mode: 'pipeline', timeoutMs: TIMEOUT_MS });
    assert.ok(summary !== null && summary.results.length > 0);
    assert.deepEqual(failedFiles(summary, TIMEOUT_MS).map(formatResult), []);
    for (const r of summary.results) {
      if (r.problem === null) continue;
      assert.ok(r.problem.kind.length > 0 && Number.isInteger(r.problem.offset) && r.problem.offset >= 0, formatResult(r));
      assert.equal(r.problem.file, join(DEFAULT_CORPUS_DIR, r.file));
    }
    t.diagnostic(`${summary.results.length} files: fully read ${summary.fullyRead}, with warning ${summary.withWarning}, ` +
      `ended with error ${summary.withError}, ${summary.results.reduce((n, r) => n + (r.connections ?? 0), 0)} TCP connections`);
  });
});
