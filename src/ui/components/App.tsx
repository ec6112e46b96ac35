// The interactive UI once the capture is loaded. Keys go through one useInput: key -> action ->
// reduce(state); the screen is frame(state), drawn by <Lines>. Nothing here decides what is shown.

import { useEffect, useMemo, useRef, useState } from 'react';
import { useInput } from 'ink';
import type { UiData } from '../data.js';
import { keyToAction, splitKeys } from '../keys.js';
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
  onExit: (how: 'quit' | 'interrupt') => void;
}

export function App({ data, size, colour, initial, onExit }: AppProps) {
  const derived = useMemo(() => new Derived(data), [data]);
  const [state, setState] = useState<UiState>(() => initial ?? initialState());
  const f = frame(derived, state, size);
  // The reducer needs the context of the frame on screen (list length, page sizes).
  const context = useRef(f.context);
  context.current = f.context;

  useInput((input, key) => {
    setState((s) => {
      let next = s;
      for (const [text, k] of splitKeys(input, key, s.filter.editing)) {
        const action = keyToAction(text, k, next);
        if (action !== null) next = reduce(next, action, context.current);
      }
      return next;
    });
  });

  useEffect(() => {
    if (state.exit !== null) onExit(state.exit);
  }, [state.exit, onExit]);

  return <Lines lines={f.lines} theme={themeFor(colour)} />;
}
