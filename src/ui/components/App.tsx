// The interactive UI once the capture is loaded. Keys go through one useInput: key -> action ->
// reduce(state); the screen is frame(state), drawn by <Lines>. Nothing here decides what is shown.

import { useMemo, useRef, useState } from 'react';
import { useInput } from 'ink';
import type { UiData } from '../data.js';
import { keyToAction, splitKeys, type KeyInfo } from '../keys.js';
import { Derived, frame, type Size } from '../screen.js';
import { initialState, reduce, type UiState } from '../state.js';
import { themeFor } from '../theme.js';
import { Lines } from './Lines.js';

export interface AppProps {
  data: UiData;
  /** The area to draw in (the terminal less its last row). */
  size: Size;
  colour: boolean;
  initial?: UiState;
  /** Keys typed while the capture loaded, applied in order before the first frame. */
  pending?: [string, Partial<KeyInfo>][];
  onExit: (how: 'quit' | 'interrupt') => void;
}

export function App({ data, size, colour, initial, pending, onExit }: AppProps) {
  const derived = useMemo(() => new Derived(data), [data]);
  const [state, setState] = useState<UiState>(() => {
    let s = initial ?? initialState();
    for (const [input, key] of pending ?? []) {
      for (const [text, k] of splitKeys(input, key, s.filter.editing)) {
        const action = keyToAction(text, k, s);
        if (action !== null) s = reduce(s, action, frame(derived, s, size).context);
      }
    }
    return s;
  });
  const f = frame(derived, state, size);
  // Keys reduce the state on screen, with the context of the frame on screen (list length, pages).
  const current = useRef({ state, context: f.context });
  current.current = { state, context: f.context };

  useInput((input, key) => {
    let next = current.current.state;
    for (const [text, k] of splitKeys(input, key, next.filter.editing)) {
      const action = keyToAction(text, k, next);
      if (action !== null) next = reduce(next, action, current.current.context);
    }
    if (next === current.current.state) return;
    // Several keys may arrive before the next render: each builds on the last.
    current.current = { state: next, context: current.current.context };
    setState(next);
    if (next.exit !== null) onExit(next.exit);
  });

  return <Lines lines={f.lines} theme={themeFor(colour)} />;
}
