// The tcpdump corpus (../shared/corpus/tcpdump, 830 captures, many deliberately malformed) through
// the same guarded runner as scripts/corpus-run.ts: no file may crash the reader or hang it, and
// every problem must say what (kind), where (offset) and in which file.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_CORPUS_DIR, formatResult, runCorpus, slowFiles } from '../../scripts/corpus-run.js';

describe('tcpdump corpus', () => {
  it('reads every file without crash or hang, and every problem has kind, offset and file', { timeout: 600_000 }, async (t) => {
    if (!existsSync(DEFAULT_CORPUS_DIR)) {
      t.skip(`${DEFAULT_CORPUS_DIR} not present`);
      return;
    }
    const summary = await runCorpus(DEFAULT_CORPUS_DIR, { timeoutMs: 5000 });
    assert.ok(summary !== null);
    assert.ok(summary.results.length > 0);
    const crashes = summary.results.filter((r) => r.status === 'crash' || r.status === 'timeout');
    assert.deepEqual(crashes.map(formatResult), []);
    assert.deepEqual(slowFiles(summary, 5000).map(formatResult), []);
    for (const r of summary.results) {
      if (r.status !== 'error' && r.status !== 'warning') continue;
      const problem = r.problem!;
      assert.equal(typeof problem.kind, 'string', r.file);
      assert.ok(problem.kind.length > 0, r.file);
      assert.ok(Number.isInteger(problem.offset) && problem.offset >= 0, r.file);
      assert.equal(problem.file, r.file);
    }
    t.diagnostic(`files ${summary.results.length}: fully read ${summary.fullyRead}, with warning ${summary.withWarning}, ` +
      `ended with error ${summary.withError}, crashed ${summary.crashed}, timed out ${summary.timedOut}`);
  });
});
