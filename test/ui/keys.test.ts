// Key events to actions, and bursts of typed characters split into keys.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { keyToAction, splitKeys } from '../../src/ui/keys.js';
import { initialState } from '../../src/ui/state.js';

const browsing = initialState();
const editing = { ...initialState(), filter: { ...initialState().filter, editing: true } };

describe('keyToAction', () => {
  it('maps the documented keys', () => {
    const rows: [string, object, string][] = [
      ['', { upArrow: true }, 'up'], ['k', {}, 'up'], ['', { downArrow: true }, 'down'], ['j', {}, 'down'],
      ['', { pageUp: true }, 'pageUp'], ['', { pageDown: true }, 'pageDown'], ['g', {}, 'home'], ['G', {}, 'end'],
      ['', { home: true }, 'home'], ['', { end: true }, 'end'], ['', { return: true }, 'enter'], ['', { escape: true }, 'escape'],
      ['', { tab: true }, 'nextView'], ['', { tab: true, shift: true }, 'prevView'], ['/', {}, 'filter'], ['s', {}, 'sort'],
      ['S', {}, 'reverse'], ['?', {}, 'help'], ['q', {}, 'quit'], ['c', { ctrl: true }, 'interrupt'], ['H', {}, 'hosts'],
      ['', { leftArrow: true }, 'left'], ['h', {}, 'left'], ['l', {}, 'right'], ['n', {}, 'nextConnection'], ['p', {}, 'prevConnection'],
    ];
    for (const [input, key, action] of rows) assert.equal(keyToAction(input, key, browsing)?.type, action, `${input} ${JSON.stringify(key)}`);
    assert.deepEqual(keyToAction('2', {}, browsing), { type: 'view', view: 'connections' });
    assert.equal(keyToAction('x', {}, browsing), null);
  });

  it('sends typing to the filter line while it is open, q and j included', () => {
    assert.deepEqual(keyToAction('q', {}, editing), { type: 'edit', edit: { type: 'insert', text: 'q' } });
    assert.deepEqual(keyToAction('', { return: true }, editing), { type: 'edit', edit: { type: 'submit' } });
    assert.deepEqual(keyToAction('', { escape: true }, editing), { type: 'edit', edit: { type: 'cancel' } });
    assert.deepEqual(keyToAction('', { delete: true }, editing), { type: 'edit', edit: { type: 'backspace' } });
    assert.deepEqual(keyToAction('w', { ctrl: true }, editing), { type: 'edit', edit: { type: 'wordBack' } });
    assert.deepEqual(keyToAction('c', { ctrl: true }, editing), { type: 'interrupt' });
    assert.equal(keyToAction('', { upArrow: true }, editing), null);
  });
});

describe('splitKeys', () => {
  it('splits a burst into keys when browsing', () => {
    assert.deepEqual(splitKeys('jj\r', {}, false), [['j', {}], ['j', {}], ['', { return: true }]]);
    assert.deepEqual(splitKeys('j', {}, false), [['j', {}]]);
    assert.deepEqual(splitKeys('', { upArrow: true }, false), [['', { upArrow: true }]]);
  });

  it('reads Esc and a key typed together (Alt-key to Ink) as the two keys', () => {
    assert.deepEqual(splitKeys('?', { meta: true }, false), [['', { escape: true }], ['?', {}]]);
    assert.deepEqual(splitKeys('', { meta: true, escape: true }, false), [['', { meta: true, escape: true }]]);
  });

  it('keeps pasted text together in the filter line, Enter apart', () => {
    assert.deepEqual(splitKeys('port 80\r', {}, true), [['port 80', {}], ['', { return: true }]]);
  });
});
