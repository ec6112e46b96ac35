// The filter language: what it accepts and how it prints it back, where it says an expression is
// wrong, and which connections each condition keeps (on real verdicts from the pipeline).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import type { Verdict } from '../../src/close/index.js';
import { formatFilter, type FilterNode } from '../../src/filter/ast.js';
import { describeFilterProblem, parseFilter } from '../../src/filter/index.js';
import { SCENARIOS, syntheticVerdicts, type Scenario } from '../ui/synthetic-capture.js';

function normalized(text: string): string {
  const r = parseFilter(text);
  assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error.message}`);
  return r.normalized;
}

function problem(text: string): { message: string; position: number } {
  const r = parseFilter(text);
  assert.ok(!r.ok, `${text} should not parse`);
  return r.error;
}

describe('parseFilter: accepted expressions and their canonical text', () => {
  const rows: [string, string][] = [
    ['', ''],
    ['   ', ''],
    ['host 10.0.0.1', 'host 10.0.0.1'],
    ['HOST 10.0.0.1', 'host 10.0.0.1'],
    ['host 10.0.0.1:8080', 'host 10.0.0.1:8080'],
    ['host FD00:0:0::0001', 'host fd00::1'],
    ['host [fd00::1]', 'host fd00::1'],
    ['host [fd00::1]:443', 'host [fd00::1]:443'],
    ['host ::ffff:10.0.0.1', 'host ::ffff:10.0.0.1'],
    ['client host 10.0.0.1', 'client host 10.0.0.1'],
    ['server port 80', 'server port 80'],
    ['port 8000-8080', 'port 8000-8080'],
    ['port 80-80', 'port 80'],
    ['net 10.0.0.0/8', 'net 10.0.0.0/8'],
    ['net 10.1.2.3', 'net 10.1.2.3/32'],
    ['net fd00:0::/64', 'net fd00::/64'],
    ['state time-wait', 'state TIME_WAIT'],
    ['state TIME_WAIT', 'state TIME_WAIT'],
    ['state estab', 'state ESTABLISHED'],
    ['state syn-recv', 'state SYN_RECEIVED'],
    ['server state close_wait', 'server state CLOSE_WAIT'],
    ['finding Lost-Final-Ack', 'finding lost-final-ack'],
    ['client finding long-fin-wait-2', 'client finding long-fin-wait-2'],
    ['severity error', 'severity error'],
    ['severity >= warning', 'severity >= warning'],
    ['severity==info', 'severity info'],
    ['closer client', 'closer client'],
    ['closer none', 'closer none'],
    ['id 42', 'id 42'],
    ['id > 100', 'id > 100'],
    ['fin-wait-2 > 30s', 'fin-wait-2 > 30s'],
    ['FIN_WAIT_2>30s', 'fin-wait-2 > 30s'],
    ['fin-wait2 >= 0.5s', 'fin-wait-2 >= 500ms'],
    ['close-wait > 1.5m', 'close-wait > 90s'],
    ['time-wait < 2m', 'time-wait < 2m'],
    ['last-ack != 250ms', 'last-ack != 250ms'],
    ['client fin-wait-1 > 1h', 'client fin-wait-1 > 1h'],
    ['closing = 10', 'closing = 10s'],
    ['duration < 100ms', 'duration < 100ms'],
    ['duration > 1500us', 'duration > 1500us'],
    // Operators, precedence, and only the parentheses it needs.
    ['host 10.0.0.1 and port 80', 'host 10.0.0.1 and port 80'],
    ['host 10.0.0.1 && port 80', 'host 10.0.0.1 and port 80'],
    ['host 10.0.0.1 port 80', 'host 10.0.0.1 and port 80'],
    ['port 80 or port 443', 'port 80 or port 443'],
    ['port 80 || port 443', 'port 80 or port 443'],
    ['not port 80', 'not port 80'],
    ['!port 80', 'not port 80'],
    ['not not port 80', 'not not port 80'],
    ['host 10.0.0.1 and (port 80 or port 443)', 'host 10.0.0.1 and (port 80 or port 443)'],
    ['(host 10.0.0.1 and port 80) or port 443', 'host 10.0.0.1 and port 80 or port 443'],
    ['host 10.0.0.1 and port 80 or port 443', 'host 10.0.0.1 and port 80 or port 443'],
    ['port 1 or port 2 and port 3', 'port 1 or port 2 and port 3'],
    ['not (port 80 or port 443)', 'not (port 80 or port 443)'],
    ['not (port 80 and port 443)', 'not (port 80 and port 443)'],
    ['((port 80))', 'port 80'],
    ['(port 1 or port 2) or (port 3 or port 4)', 'port 1 or port 2 or port 3 or port 4'],
    ['(port 1 and port 2) and port 3', 'port 1 and port 2 and port 3'],
    ['finding lost-final-ack or(state TIME_WAIT)', 'finding lost-final-ack or state TIME_WAIT'],
  ];
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalized(input), expected);
      // The canonical text is itself a filter that prints the same.
      assert.equal(normalized(expected), expected);
    });
  }
});

describe('parseFilter: errors say what and where', () => {
  const rows: [string, RegExp, number][] = [
    ['hots 10.0.0.1', /unknown condition "hots".*did you mean "host"/, 0],
    ['host', /expected an IP address after "host", found the end/, 4],
    ['host 10.0.0.300', /"10.0.0.300" is not an IP address/, 5],
    ['host 010.0.0.1', /not an IP address/, 5],
    ['host fd00:::1', /not an IP address/, 5],
    ['host 10.0.0.1:70000', /70000 is not a port/, 14],
    ['port 70000', /70000 is not a port/, 5],
    ['port 90-80', /ends before it starts/, 5],
    ['port 80-70000', /70000 is not a port/, 8],
    ['port http', /"http" is not a port/, 5],
    ['net 10.0.0.0/33', /"\/33" is not a prefix length for IPv4/, 12],
    ['net fd00::/129', /prefix length for IPv6/, 10],
    ['net banana/8', /"banana" is not an IP address/, 4],
    ['state TIME_WIAT', /not a TCP state.*did you mean "TIME_WAIT"/, 6],
    ['state', /expected a state/, 5],
    ['finding lost-final-akc', /not a finding code.*did you mean "lost-final-ack"/, 8],
    ['finding', /expected a finding code/, 7],
    ['severity fatal', /"fatal" is not a severity/, 9],
    ['closer nobody', /not one of client, server, both, none/, 7],
    ['client closer client', /takes no "client"/, 7],
    ['server severity error', /takes no "server"/, 7],
    ['client duration > 1s', /takes no "client"/, 7],
    ['id x', /not a connection number/, 3],
    ['fin-wait-2 30s', /expected a comparison .* found "30s"/, 11],
    ['fin-wait-2 >', /expected a duration .* after "fin-wait-2", found the end/, 12],
    ['fin-wait-2 > 30x', /"30x" is not a duration/, 13],
    ['established > 1s', /times only the close states.*"state ESTABLISHED"/, 0],
    ['port 80 and', /ends where a condition should be/, 11],
    ['port 80 or or port 81', /unexpected "or"; expected a condition/, 11],
    ['(port 80', /"\(" at 1 is never closed/, 8],
    ['port 80)', /"\)" without a "\(" before it/, 7],
    ['()', /empty parentheses/, 1],
    ['port 80 & port 81', /"&" alone is not an operator/, 8],
    ['> 3', /unexpected ">"; expected a condition/, 0],
    ['client', /expected a condition after "client"/, 6],
    ['client 10.0.0.1', /unknown condition "10.0.0.1"/, 7],
    ['not', /ends where a condition should be/, 3],
  ];
  for (const [input, message, position] of rows) {
    it(`${JSON.stringify(input)} fails at ${position}`, () => {
      const p = problem(input);
      assert.match(p.message, message);
      assert.equal(p.position, position, `position of: ${p.message}`);
      assert.ok(p.position >= 0 && p.position <= input.length);
    });
  }

  it('draws a caret under the place', () => {
    const p = problem('host 10.0.0.1 and stat TIME_WAIT');
    assert.equal(describeFilterProblem('host 10.0.0.1 and stat TIME_WAIT', p).split('\n')[1].indexOf('^'), 18);
  });
});

describe('parseFilter: which connections each condition keeps', () => {
  let verdicts: Verdict[] = [];
  const byScenario = (id: number): Scenario => SCENARIOS[id - 1];
  before(async () => { verdicts = (await syntheticVerdicts()).verdicts; });

  function kept(text: string): Scenario[] {
    const r = parseFilter(text);
    assert.ok(r.ok, text);
    return verdicts.filter(r.predicate).map((v) => byScenario(v.id));
  }

  it('has one real verdict per scenario to test against', () => {
    assert.equal(verdicts.length, SCENARIOS.length);
  });

  const rows: [string, Scenario[]][] = [
    ['', [...SCENARIOS]],
    ['host 10.1.0.1', ['client-close']],
    ['host 10.1.0.1:30000', ['client-close']],
    ['host 10.1.0.1:30001', []],
    ['host 10.2.0.1', [...SCENARIOS]],
    ['client host 10.2.0.1', []],
    ['server host 10.2.0.1:80', [...SCENARIOS]],
    ['host ::ffff:10.1.0.2', ['server-close']],
    ['port 30003', ['long-close-wait']],
    ['client port 30001-30002', ['server-close', 'lost-final-ack']],
    ['server port 30001', []],
    ['server port 80', [...SCENARIOS]],
    ['net 10.1.0.0/24', [...SCENARIOS]],
    ['net 10.1.0.4/31', ['long-close-wait', 'reset']],
    ['client net 10.2.0.0/16', []],
    ['net fd00::/8', []],
    ['finding lost-final-ack', ['lost-final-ack']],
    ['finding long-close-wait', ['long-close-wait']],
    ['server finding long-close-wait', ['long-close-wait']],
    ['client finding long-close-wait', []],
    ['finding connection-refused or finding syn-unanswered', ['refused', 'syn-unanswered']],
    ['severity none', ['client-close', 'server-close', 'long-transfer']],
    ['severity info', ['refused', 'open']],
    ['severity >= warning', ['lost-final-ack', 'long-close-wait', 'reset', 'syn-unanswered']],
    ['severity > none and severity < warning', ['refused', 'open']],
    ['closer client', ['client-close', 'lost-final-ack', 'long-close-wait', 'reset', 'long-transfer']],
    ['closer server', ['server-close', 'refused']],
    ['closer none', ['open', 'syn-unanswered']],
    ['state ESTABLISHED', ['open']],
    ['client state SYN_SENT', ['syn-unanswered']],
    ['server state LISTEN', []],
    ['state TIME_WAIT', ['long-close-wait']],
    ['close-wait > 60s', ['long-close-wait']],
    ['server close-wait > 60s', ['long-close-wait']],
    ['client close-wait > 60s', []],
    ['fin-wait-2 > 30s', ['long-close-wait']],
    ['fin-wait-2 < 30s', ['client-close', 'server-close', 'lost-final-ack', 'long-transfer']],
    ['not fin-wait-2 < 30s', ['long-close-wait', 'reset', 'refused', 'open', 'syn-unanswered']],
    ['duration > 60s', ['long-close-wait']],
    ['duration < 30ms', ['refused']],
    ['id 3', ['lost-final-ack']],
    ['id >= 8', ['syn-unanswered', 'long-transfer']],
    ['id != 1 and id <= 2', ['server-close']],
    ['not (closer client or closer server)', ['open', 'syn-unanswered']],
    ['closer client and not finding lost-final-ack and severity >= warning', ['long-close-wait', 'reset']],
  ];
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)} keeps ${expected.length === SCENARIOS.length ? 'all' : expected.join(', ') || 'none'}`, () => {
      assert.deepEqual(kept(input), expected);
      // Its canonical text keeps the same connections.
      assert.deepEqual(kept(normalized(input)), expected);
    });
  }
});

describe('parseFilter: printing and parsing agree on random trees', () => {
  // A small deterministic generator: random and/or/not trees over a few terms. Printing a tree and
  // parsing the text must give back a tree that prints the same and keeps the same connections.
  let seed = 12345;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const TERMS = ['port 30001', 'closer client', 'severity >= warning', 'state CLOSED', 'finding not-closed',
    'fin-wait-2 > 10ms', 'id > 4', 'server host 10.2.0.1', 'net 10.1.0.0/30'];
  const termNode = (text: string): FilterNode => {
    const r = parseFilter(text);
    assert.ok(r.ok);
    return r.tree;
  };
  const tree = (depth: number): FilterNode => {
    const k = depth === 0 ? 3 : rand(4);
    if (k === 0) return { kind: 'and', items: [tree(depth - 1), tree(depth - 1)] };
    if (k === 1) return { kind: 'or', items: [tree(depth - 1), tree(depth - 1)] };
    if (k === 2) return { kind: 'not', item: tree(depth - 1) };
    return termNode(TERMS[rand(TERMS.length)]);
  };
  const evaluate = (n: FilterNode, v: Verdict): boolean => {
    switch (n.kind) {
      case 'and': return n.items.every((c) => evaluate(c, v));
      case 'or': return n.items.some((c) => evaluate(c, v));
      case 'not': return !evaluate(n.item, v);
      default: {
        const r = parseFilter(formatFilter(n));
        assert.ok(r.ok);
        return r.predicate(v);
      }
    }
  };
  let verdicts: Verdict[] = [];
  before(async () => { verdicts = (await syntheticVerdicts()).verdicts; });

  it('500 random trees round-trip', () => {
    for (let i = 0; i < 500; i++) {
      const t = tree(4);
      const text = formatFilter(t);
      const r = parseFilter(text);
      assert.ok(r.ok, `${text}: ${r.ok ? '' : r.error.message}`);
      assert.equal(r.normalized, text);
      for (const v of verdicts) assert.equal(r.predicate(v), evaluate(t, v), `${text} on #${v.id}`);
    }
  });
});
