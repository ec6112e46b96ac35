// The loading screen; Ctrl-C or q stops the reading. Other keys are kept for the views (type-ahead:
// Tab or / pressed while a big capture loads act as soon as it is ready).

import { useInput, type Key } from 'ink';
import type { LoadingState } from '../loading.js';
import { loadingFrame, type Size } from '../screen.js';
import { themeFor } from '../theme.js';
import { Lines } from './Lines.js';

export interface LoadingProps {
  state: LoadingState;
  size: Size;
  colour: boolean;
  onInterrupt: () => void;
  onKey?: (input: string, key: Key) => void;
}

export function Loading({ state, size, colour, onInterrupt, onKey }: LoadingProps) {
  useInput((input, key) => {
    if ((key.ctrl && input === 'c') || input === 'q') onInterrupt();
    else onKey?.(input, key);
  });
  return <Lines lines={loadingFrame(state, size)} theme={themeFor(colour)} />;
}
