// runUi's refusals, before it touches the terminal: no terminal on stdout, a bad --filter.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';

import { DEFAULT_CLOSE_OPTIONS } from '../../src/close/index.js';
import { runUi } from '../../src/ui/index.js';

function sink(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  let out = '';
  s.on('data', (c: Buffer) => { out += c.toString(); });
  (s as { isTTY: boolean }).isTTY = isTTY;
  s.text = () => out;
  return s;
}

const options = { close: DEFAULT_CLOSE_OPTIONS, flow: {}, portRange: [32768, 60999] as [number, number] };

describe('runUi', () => {
  it('refuses an --at that is not a time', async () => {
    const stdout = sink(true), stderr = sink(false);
    assert.equal(await runUi(['captures/busy.pcap'], { ...options, at: 'yesterday-ish' }, { stdout, stderr, env: {} }), 2);
    assert.match(stderr.text(), /--at: "yesterday-ish" is not a time/);
  });

  it('needs a terminal on stdout (the CLI prints the text report instead)', async () => {
    const stdout = sink(false), stderr = sink(false);
    assert.equal(await runUi(['captures/busy.pcap'], options, { stdout, stderr, env: {} }), 2);
    assert.match(stderr.text(), /needs a terminal/);
    assert.equal(stdout.text(), '');
  });

  it('refuses a bad --filter with the place marked, before drawing anything', async () => {
    const stdout = sink(true), stderr = sink(false);
    assert.equal(await runUi(['captures/busy.pcap'], { ...options, filter: 'port 80 and stat X' }, { stdout, stderr, env: {} }), 2);
    assert.match(stderr.text(), /--filter: unknown condition "stat"/);
    assert.match(stderr.text(), /\n {2}port 80 and stat X\n {14}\^/);
    assert.equal(stdout.text(), '');
  });
});
