// The ladder: arrows per segment in the right direction, each side's state beside its line on the
// segment that caused it, timers on their own line, lost and resent segments marked, bulk folded.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';

import type { Verdict } from '../../src/close/index.js';
import { ladder, lostSegments, resentSegments, segmentLabel } from '../../src/ui/ladder.js';
import { lineText, lineWidth } from '../../src/ui/lines.js';
import { loadCapture, SCENARIOS, syntheticVerdicts, type Scenario } from './synthetic-capture.js';

let byScenario: Map<Scenario, Verdict>;
let clientFirst: Verdict;
before(async () => {
  const { verdicts } = await syntheticVerdicts();
  byScenario = new Map(verdicts.map((v) => [SCENARIOS[v.id - 1], v]));
  clientFirst = (await loadCapture(join(process.cwd(), 'captures', 'close-client-first.pcap'))).verdicts[0];
});

function rows(v: Verdict, width = 100): string[] {
  return ladder(v, width).rows.map(lineText);
}

/** The row whose arrow carries `label`. */
function rowWith(lines: string[], label: RegExp): string {
  const found = lines.find((l) => label.test(l));
  assert.ok(found !== undefined, `no row matches ${label}:\n${lines.join('\n')}`);
  return found;
}

describe('ladder on a real client-first close', () => {
  it('draws the textbook close: states beside the segment that caused them', () => {
    const lines = rows(clientFirst);
    assert.match(rowWith(lines, /─ SYN seq 0 ─+>/), /SYN_SENT │.*│ LISTEN/);
    assert.match(rowWith(lines, /<─+ SYN,ACK seq 0 ack 1/), /ESTABLISHED │.*│ SYN_RECEIVED/);
    assert.match(rowWith(lines, /─ FIN,ACK seq \d+ ack \d+ ─+>/), /FIN_WAIT_1 │.*│ CLOSE_WAIT/);
    assert.match(rowWith(lines, /<─+ FIN,ACK/), /FIN_WAIT_2 │.*│ LAST_ACK/);
    // The second change on the same packet goes on the line below.
    const i = lines.findIndex((l) => /<─+ FIN,ACK/.test(l));
    assert.match(lines[i + 1], /^\s+TIME_WAIT │\s+│\s*$/);
    assert.match(lines[i + 2], /─ ACK seq \d+ ack \d+ ─+>│ CLOSED/);
    // TIME_WAIT ends on its timer, after the capture.
    assert.match(lines[lines.length - 1], /^\s*60\.\d+ +\+\S+ +CLOSED │ *2 MSL timer ends \(after capture\) *│/);
  });

  it('writes times from the start and deltas from the line before', () => {
    const lines = rows(clientFirst);
    assert.match(lines[0], /^ *0\.000000 +SYN_SENT/);
    assert.match(lines[1], /^ *0\.0\d{5} +\+\d/);
  });

  it('never draws wider than the screen', () => {
    for (const width of [50, 60, 80, 100, 140, 220]) {
      for (const v of [clientFirst, ...byScenario.values()]) {
        const l = ladder(v, width);
        for (const line of [...l.header, ...l.rows, ...l.legend]) assert.ok(lineWidth(line) <= width, `${width}: ${lineText(line)}`);
      }
    }
  });
});

describe('ladder marks', () => {
  it('draws the lost final ACK stopping short, and the FIN sent again', () => {
    const v = byScenario.get('lost-final-ack') as Verdict;
    const lines = rows(v);
    const lost = rowWith(lines, /\[lost\?\]/);
    assert.match(lost, /ACK (seq )?\d+ a(ck )?\d+ \[lost\?\] ─+X +│/);
    assert.match(rowWith(lines, /\[rtx\]/), /<─+ FIN,ACK seq \d+ ack \d+ \[rtx\]/);
    assert.ok(ladder(v, 100).legend.some((l) => /\[lost\?\]/.test(lineText(l))));
  });

  it('judges which copy was lost: the unanswered SYNs, not the last one', () => {
    const v = byScenario.get('syn-unanswered') as Verdict;
    const segs = v.segments?.toArray() ?? [];
    assert.deepEqual([...resentSegments(segs)].sort(), [1, 2]);
    assert.deepEqual([...lostSegments(segs)].sort(), [0, 1]);
  });

  it('folds a long transfer into one line', () => {
    const lines = rows(byScenario.get('long-transfer') as Verdict, 120);
    const fold = rowWith(lines, /┄/);
    assert.match(fold, /84 packets/);
    assert.ok(lines.length < 15, lines.join('\n'));
  });

  it('draws a RST and a refused SYN', () => {
    assert.match(rowWith(rows(byScenario.get('reset') as Verdict), /RST,ACK/), /CLOSED │─+ RST,ACK .*>│ CLOSED/);
    assert.match(rowWith(rows(byScenario.get('refused') as Verdict), /RST,ACK/), /CLOSED │<─+ RST,ACK seq 0 ack 1/);
  });

  it('labels segments in full or in tcpdump letters', () => {
    const s = (clientFirst.segments?.toArray() ?? [])[3];
    assert.equal(segmentLabel(s, 'full'), `PSH,ACK seq ${s.seq}:${s.seq + s.len} ack ${s.ack}`);
    assert.equal(segmentLabel(s, 'short'), `PSH,ACK ${s.seq}:${s.seq + s.len} a${s.ack}`);
    assert.equal(segmentLabel(s, 'letters'), `P. ${s.seq}:${s.seq + s.len} a${s.ack}`);
    const ack = (clientFirst.segments?.toArray() ?? [])[2];
    assert.equal(segmentLabel(ack, 'letters'), `ACK ${ack.seq} a${ack.ack}`);
  });
});
