// Connection ids that do not depend on the number of jobs. Every input is analysed standing alone
// with ids 1..n (in order of first packet); after collection, input k's ids are shifted by the
// connections of the inputs before it. The result is what one sequential run over all inputs
// numbers, whichever worker finished first.

import type { Verdict } from '../close/index.js';
import { shiftVerdictIds, type VerdictStore } from '../store/verdict-store.js';
import type { InputResult } from '../pipeline/index.js';

export interface CollectedInput {
  result: InputResult;
  /** Its verdicts with ids local to the input (1..result.flow.connections), in any order. */
  verdicts: Verdict[];
}

/**
 * Renumbers in place and returns every verdict sorted by id. Inputs must be in report order.
 * Throws when an input's verdicts do not number 1..n: that is a bug upstream, not an input problem.
 */
export function renumber(collected: CollectedInput[]): Verdict[] {
  const out: Verdict[] = [];
  let offset = 0;
  for (const c of collected) {
    const n = c.result.flow.connections;
    c.verdicts.sort((a, b) => a.id - b.id);
    if (c.verdicts.length !== n || (n > 0 && (c.verdicts[0].id !== 1 || c.verdicts[n - 1].id !== n))) {
      throw new Error(`input ${c.result.file}: expected connections 1..${n}, got ${c.verdicts.length}`);
    }
    for (const v of c.verdicts) {
      shiftVerdictIds(v, offset);
      out.push(v);
    }
    offset += n;
  }
  return out;
}

/**
 * The same numbering for a VerdictStore whose verdicts were added keyed (input, id within the
 * input): checks each input's verdicts number 1..n, and sets the store to shift ids by the
 * connections of the inputs before. `results` are the inputs read to the end, in report order;
 * verdicts of any other input (an abort cut it short) are left out.
 */
export function renumberStore(store: VerdictStore, results: InputResult[], inputCount: number): void {
  const ids = store.idsByInput();
  const offsets = new Array<number>(inputCount).fill(0);
  const kept = new Set<number>();
  let offset = 0;
  for (const r of results) {
    const n = r.flow.connections;
    const got = ids.get(r.index) ?? { count: 0, min: 1, max: 0 };
    if (got.count !== n || (n > 0 && (got.min !== 1 || got.max !== n))) {
      throw new Error(`input ${r.file}: expected connections 1..${n}, got ${got.count}`);
    }
    offsets[r.index] = offset;
    kept.add(r.index);
    offset += n;
  }
  const dropped = [...ids.keys()].filter((k) => !kept.has(k));
  if (dropped.length > 0) store.excludeInputs(new Set(dropped));
  store.setIdOffsets(offsets);
}
