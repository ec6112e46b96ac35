#!/usr/bin/env node
// A stand-alone entry for the UI until cli.ts calls runUi: `node dist/src/ui/main.js [--filter F]
// [--host IP] [--at TIME] capture...`. The tmux test runs it; it goes once the CLI's default action is wired.

import { DEFAULT_CLOSE_OPTIONS } from '../close/index.js';
import { runUi } from './index.js';

const args = process.argv.slice(2);
const files: string[] = [];
let filter: string | undefined;
let host: string | undefined;
let at: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--filter') filter = args[++i];
  else if (args[i] === '--host') host = args[++i];
  else if (args[i] === '--at') at = args[++i];
  else files.push(args[i]);
}
runUi(files, { close: DEFAULT_CLOSE_OPTIONS, flow: {}, portRange: [32768, 60999], filter, host, at })
  .then((code) => { process.exitCode = code; }, (err: Error) => {
    process.stderr.write(`finscope: internal error: ${err.message}\n${err.stack ?? ''}\n`);
    process.exitCode = 4;
  });
