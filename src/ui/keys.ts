// Ink key events to actions. The only place that knows which key does what; the help screen lists
// the same bindings (help.ts) and the reducer (state.ts) decides what an action means in each view.

import type { Key } from 'ink';
import type { Action, UiState } from './state.js';

/** The subset of Ink's Key the mapping reads (tests build these by hand). */
export type KeyInfo = Pick<Key, 'upArrow' | 'downArrow' | 'leftArrow' | 'rightArrow' | 'pageUp' | 'pageDown' | 'home' | 'end' |
  'return' | 'escape' | 'ctrl' | 'shift' | 'tab' | 'backspace' | 'delete' | 'meta'>;

const NO_KEY: Partial<KeyInfo> = {};

/**
 * Ink hands over a burst of typed characters ("jjj\r" when keys come faster than a frame, or a
 * paste) as one input. Outside the filter line each character is a key of its own.
 */
export function splitKeys(input: string, key: Partial<KeyInfo>, editing: boolean): [string, Partial<KeyInfo>][] {
  // Esc and the next key typed together arrive as "\x1b?", which Ink reads as Alt-?. Nothing here
  // uses Alt, so it is the two keys.
  if (key.meta && !key.escape && !key.ctrl && input.length === 1 && !(key.upArrow || key.downArrow || key.leftArrow || key.rightArrow)) {
    return [['', { escape: true }], [input, NO_KEY]];
  }
  const special = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown ||
    key.home || key.end || key.escape || key.ctrl || key.meta;
  if (special || input.length <= 1) return [[input, key]];
  const out: [string, Partial<KeyInfo>][] = [];
  let text = '';
  const flush = (): void => { if (text !== '') { out.push([text, NO_KEY]); text = ''; } };
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') { flush(); out.push(['', { return: true }]); continue; }
    if (ch === '\t') { flush(); out.push(['', { tab: true }]); continue; }
    if (ch === '\x7f' || ch === '\b') { flush(); out.push(['', { backspace: true }]); continue; }
    // In the filter line a pasted run of text stays one insertion.
    if (editing) text += ch; else out.push([ch, NO_KEY]);
  }
  flush();
  return out;
}

export function keyToAction(input: string, key: Partial<KeyInfo>, state: UiState): Action | null {
  if (key.ctrl === true && input === 'c') return { type: 'interrupt' };
  if (state.filter.editing) {
    if (key.return) return { type: 'edit', edit: { type: 'submit' } };
    if (key.escape) return { type: 'edit', edit: { type: 'cancel' } };
    // Terminals send DEL (0x7f) for Backspace, which Ink reports as "delete": both erase backwards.
    if (key.backspace || key.delete) return { type: 'edit', edit: { type: 'backspace' } };
    if (key.leftArrow) return { type: 'edit', edit: { type: 'left' } };
    if (key.rightArrow) return { type: 'edit', edit: { type: 'right' } };
    if (key.home || (key.ctrl && input === 'a')) return { type: 'edit', edit: { type: 'home' } };
    if (key.end || (key.ctrl && input === 'e')) return { type: 'edit', edit: { type: 'end' } };
    if (key.ctrl && input === 'u') return { type: 'edit', edit: { type: 'kill' } };
    if (key.ctrl && input === 'w') return { type: 'edit', edit: { type: 'wordBack' } };
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.pageUp || key.pageDown) return null;
    return input === '' ? null : { type: 'edit', edit: { type: 'insert', text: input } };
  }
  if (key.tab) return { type: key.shift ? 'prevView' : 'nextView' };
  if (key.upArrow) return { type: 'up' };
  if (key.downArrow) return { type: 'down' };
  if (key.leftArrow) return { type: 'left' };
  if (key.rightArrow) return { type: 'right' };
  if (key.pageUp) return { type: 'pageUp' };
  if (key.pageDown) return { type: 'pageDown' };
  if (key.home) return { type: 'home' };
  if (key.end) return { type: 'end' };
  if (key.return) return { type: 'enter' };
  if (key.escape) return { type: 'escape' };
  if (key.ctrl || key.meta) return null;
  switch (input) {
    case 'k': return { type: 'up' };
    case 'j': return { type: 'down' };
    case 'h': return { type: 'left' };
    case 'l': return { type: 'right' };
    case 'g': return { type: 'home' };
    case 'G': return { type: 'end' };
    case '/': return { type: 'filter' };
    case 's': return { type: 'sort' };
    case 'S': return { type: 'reverse' };
    case '?': return { type: 'help' };
    case 'q': return { type: 'quit' };
    case 'H': return { type: 'hosts' };
    case 'n': return { type: 'nextConnection' };
    case 'p': return { type: 'prevConnection' };
    case '1': return { type: 'view', view: 'overview' };
    case '2': return { type: 'view', view: 'connections' };
    case '3': return { type: 'view', view: 'detail' };
    default: return null;
  }
}
