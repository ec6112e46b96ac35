// Text a capture carries (pcapng section and interface comments, if_name, if_description) reaches
// terminals, CSV and Markdown. A crafted file puts escape sequences (clear the screen, move the
// cursor, set the window title), bidi overrides (Trojan Source) and line breaks in them; no output
// format of `finscope report` may pass any of it through raw.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { FORMATS } from '../../src/report/write.js';
import { tcpPacket } from '../helpers/frames.js';
import { CLI } from '../helpers/measured-run.js';
import { comment, ifDescription, ifName, writePcapng } from '../helpers/pcap-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'finscope-sanitize-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE = [
  '\u001b[2J\u001b[H', // clear the screen, cursor home
  '\u001b[31mred\u001b[0m', // colour
  '\u001b]0;pwned title\u0007', // OSC: window title
  '\u001b]8;;http://evil.example/\u001b\\link\u001b]8;;\u001b\\', // OSC 8 hyperlink
  '\u009b2J', // 8-bit CSI
  'line one\nline two\r\nline three\tend', // breaks a CSV row, a Markdown table, a text line
  '\u202egnp.exe', // RIGHT-TO-LEFT OVERRIDE
  '\u2066isolate\u2069 \u200f mark', // isolates and RLM
  'nul\u0000bell\u0007backspace\u0008del\u007f',
].join(' ');

/** Everything but LF (and CR, in CSV's RFC 4180 line ends): C0, DEL, C1, bidi controls. */
const RAW_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function hostileCapture(): string {
  const syn = tcpPacket({ src: '10.9.0.1', dst: '10.9.0.2', tcp: { flags: 0x02, srcPort: 40000, dstPort: 80 } });
  const rst = tcpPacket({ src: '10.9.0.2', dst: '10.9.0.1', tcp: { flags: 0x14, srcPort: 80, dstPort: 40000, seq: 0, ack: 1001 } });
  const { bytes } = writePcapng([
    { type: 'shb', options: [comment(`section ${HOSTILE}`)] },
    { type: 'idb', linkType: 1, options: [ifName(`eth0 ${HOSTILE}`), ifDescription(`uplink ${HOSTILE}`), comment(`idb ${HOSTILE}`)] },
    { type: 'epb', interfaceId: 0, timestamp: 1_700_000_000_000_000n, data: syn, options: [comment(`packet ${HOSTILE}`)] },
    { type: 'epb', interfaceId: 0, timestamp: 1_700_000_000_020_000n, data: rst },
  ]);
  const path = join(dir, 'hostile.pcapng');
  writeFileSync(path, bytes);
  return path;
}

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
  return out;
}

it('no report format passes a capture\'s control characters, escape sequences or bidi overrides through', () => {
  const path = hostileCapture();
  const seen = new Map<string, string>();
  for (const format of [...FORMATS, 'default']) {
    const args = format === 'default' ? [path] : ['report', '-f', format, '--all', path];
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${format}: ${r.stderr}`);
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      const m = RAW_CONTROL.exec(text);
      assert.equal(m, null, `${format} ${stream}: raw U+${m?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} at ${m?.index}: ${JSON.stringify(text.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`);
    }
    seen.set(format, r.stdout);
  }
  // JSON escapes C0 controls itself, so look inside: the decoded strings must be clean too.
  const doc = JSON.parse(seen.get('json')!);
  for (const s of strings(doc)) assert.doesNotMatch(s, RAW_CONTROL, JSON.stringify(s));
  // And the text did arrive (sanitised), so the test looked at something.
  const input = doc.inputs[0];
  // Sequences go whole (an OSC's title with it); line breaks become spaces.
  assert.match(input.interfaces[0].name, /^eth0 +red +link +line one line two line three end gnp\.exe isolate +mark nulbellbackspacedel$/);
  assert.ok(input.comments.some((c: string) => c.startsWith('section ')));
  assert.match(seen.get('markdown')!, /eth0 +red +link/);
  assert.ok(doc.connections.length === 1);
  // The CSV stays one header row and one row per connection: no line break got into a field.
  assert.equal(seen.get('csv')!.split('\r\n').filter((l) => l !== '').length, 2);
});
