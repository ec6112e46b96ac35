// Every output format written from a real tree of captures and read back with an independent
// parser: JSON, NDJSON per line, CSV (RFC 4180), Markdown tables, text. Capture-derived strings
// (pcapng comments and interface names, file names) with '|', quotes, commas and newlines must not
// break CSV or Markdown.

import { sanitizeText } from '../../src/capture/index.js';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCapture } from '../../src/capture/index.js';
import { CSV_COLUMNS } from '../../src/report/csv.js';
import { buildTree, capture, run } from '../batch/fixtures.js';
import { comment, ifName, writePcapng } from '../helpers/pcap-writer.js';
import { markdownTables, parseCsv, unescapeMarkdown } from './parse.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RANK: Record<string, number> = { error: 3, warning: 2, info: 1 };

/** The worst connections, ranked here independently: severity, then warnings and errors, then id. */
function expectedWorst(connections: Json[]): number[] {
  const scored = connections.map((c) => ({
    id: c.id as number,
    rank: Math.max(0, ...c.findings.map((f: Json) => RANK[f.severity])),
    serious: c.findings.filter((f: Json) => f.severity !== 'info').length,
  })).filter((x) => x.serious > 0);
  scored.sort((a, b) => b.rank - a.rank || b.serious - a.serious || a.id - b.id);
  return scored.slice(0, 10).map((x) => x.id);
}

/** close-client-first.pcap as pcapng with hostile text in its comment and interface name. */
async function hostilePcapng(path: string): Promise<void> {
  const blocks: Parameters<typeof writePcapng>[0] = [
    { type: 'shb', options: [comment('incident | 42, "edge" *router* <b>')] },
    { type: 'idb', linkType: 1, options: [ifName('eth|0 _x_ [a](b)')] },
  ];
  await readCapture(capture('close-client-first.pcap'), (r) => {
    blocks.push({ type: 'epb', interfaceId: 0, timestamp: BigInt(r.tsSec) * 1_000_000n + BigInt(Math.floor(r.tsNsec / 1000)),
      data: Buffer.from(r.data.subarray(r.offset, r.offset + r.capturedLength)), originalLength: r.originalLength });
  }, { file: 'x' });
  writeFileSync(path, writePcapng(blocks).bytes);
}

/** A tree plus a capture whose file name and pcapng text are hostile. */
async function fixture(): Promise<{ args: string[]; hostileName: string }> {
  const tree = buildTree();
  const hostileName = join(tree.root, 'sub', 'odd, "name" | with\nnewline.pcapng');
  await hostilePcapng(hostileName);
  return { args: [tree.root, capture('busy.pcap')], hostileName };
}

test('every format reads back: JSON, NDJSON, CSV, Markdown and text agree on the connections', async () => {
  const { args, hostileName } = await fixture();
  const json = run(['report', '-f', 'json', ...args]);
  assert.equal(json.code, 3, json.stderr);
  const doc = JSON.parse(json.stdout) as Json;
  const n = doc.connections.length;
  assert.ok(n > 600);
  // File names are untrusted text like capture strings: control characters go (the newline becomes a
  // space); quotes, commas and pipes stay, escaped by each format.
  assert.ok(doc.inputs.some((i: Json) => i.file === sanitizeText(hostileName) && i.comments[0].includes('incident |')));

  // JSON: the aggregate per input and in total.
  assert.equal(doc.summary.connections, n);
  assert.equal(doc.inputs.reduce((t: number, i: Json) => t + i.summary.connections, 0), n);
  assert.equal(doc.summary.findingsByInput.length, doc.inputs.length);
  assert.deepEqual(doc.summary.worst.map((w: Json) => w.id), expectedWorst(doc.connections));
  for (const [code, x] of Object.entries(doc.summary.findingsByCode) as [string, Json][]) {
    assert.equal(x.count, doc.inputs.reduce((t: number, i: Json) => t + (i.summary.findingsByCode[code]?.count ?? 0), 0), code);
  }
  assert.ok(doc.skipped.some((x: Json) => x.reason === 'symlink-loop'));

  // NDJSON: one connection per line, the same object as in the JSON report.
  const nd = run(['report', '-f', 'ndjson', ...args]);
  const lines = nd.stdout.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, n);
  lines.forEach((line, k) => assert.deepEqual(JSON.parse(line), doc.connections[k]));

  // CSV: RFC 4180, a header, one row per connection, fields matching the JSON.
  const csv = run(['report', '-f', 'csv', ...args]);
  const rows = parseCsv(csv.stdout);
  assert.deepEqual(rows[0], CSV_COLUMNS);
  assert.equal(rows.length, n + 1);
  const col = (name: string): number => CSV_COLUMNS.indexOf(name);
  rows.slice(1).forEach((row, k) => {
    const c = doc.connections[k];
    assert.equal(row.length, CSV_COLUMNS.length);
    assert.equal(Number(row[col('id')]), c.id);
    assert.equal(row[col('input')], c.input);
    assert.equal(row[col('client_ip')], c.client.ip);
    assert.equal(Number(row[col('server_port')]), c.server.port);
    assert.equal(Number(row[col('start')]), c.start);
    assert.equal(row[col('client_final')], c.finalState.client ?? '');
    assert.equal(row[col('client_time_wait')], c.durations.client.timeWait === null ? '' : String(c.durations.client.timeWait));
    assert.equal(row[col('zeek_history')], c.zeek.history);
    assert.equal(row[col('findings')], c.findings.map((f: Json) => f.code).join(';'));
  });
  assert.ok(rows.some((r) => r[col('input')] === sanitizeText(hostileName)), 'the file name with quotes and comma survives');

  // Markdown: well-formed tables whatever the capture's text holds.
  const md = run(['report', '-f', 'markdown', ...args]);
  const tables = markdownTables(md.stdout);
  for (const t of tables) for (const r of t.rows) assert.equal(r.length, t.header.length, `row of ${t.header.join(',')}`);
  const inputsTable = tables.find((t) => t.header[1] === 'input')!;
  assert.equal(inputsTable.rows.length, doc.inputs.length);
  const hostileRow = inputsTable.rows.find((r) => unescapeMarkdown(r[1]) === sanitizeText(hostileName))!;
  assert.ok(hostileRow, 'the hostile file name is one cell');
  assert.equal(unescapeMarkdown(hostileRow[3]), 'eth|0 _x_ [a](b), incident | 42, "edge" *router* <b>');
  const worst = tables.find((t) => t.header[0] === 'id' && t.header.includes('findings'));
  assert.deepEqual(worst?.rows.map((r) => Number(r[0])) ?? [], doc.summary.worst.map((w: Json) => w.id));

  // Text: the summary first, then the connections.
  const text = run(['report', ...args]).stdout;
  assert.match(text, /^finscope: \d+ inputs, \d+ TCP connections\n/);
  assert.ok(text.indexOf('Findings:') < text.indexOf('Connections with warnings or errors'));
  assert.match(text, /Skipped while walking: .*symlink-loop 1/);
});

test('the JSON layout is the streamed one merge reads line by line', () => {
  const r = run(['report', '-f', 'json', capture('close-client-first.pcap'), capture('busy.pcap')]);
  const lines = r.stdout.split('\n');
  assert.ok(lines[0].startsWith('{"schema":"finscope.report/1"') && lines[0].endsWith(','));
  assert.equal(lines[1], '"connections":[');
  const close = lines.indexOf('],');
  assert.equal(close, lines.length - 3);
  assert.ok(lines[close + 1].startsWith('"summary":'));
  assert.equal(JSON.parse(r.stdout).connections.length, close - 2);
});

test('the aggregate: close-duration percentiles are exact nearest-rank over every connection', () => {
  const doc = JSON.parse(run(['report', '-f', 'json', capture('busy.pcap'), capture('close-client-first.pcap')]).stdout) as Json;
  const values: number[] = [];
  for (const c of doc.connections) for (const side of ['client', 'server']) if (c.durations[side].lastAck !== null) values.push(c.durations[side].lastAck);
  values.sort((a, b) => a - b);
  const rank = (p: number): number => values[Math.max(1, Math.ceil((p / 100) * values.length)) - 1];
  const d = doc.summary.durations.lastAck;
  assert.deepEqual([d.count, d.median, d.p90, d.p99, d.max], [values.length, rank(50), rank(90), rank(99), values.at(-1)]);
});
