// The loading screen; Ctrl-C or q stops the reading.

import { useInput } from 'ink';
import type { LoadingState } from '../loading.js';
import { loadingFrame, type Size } from '../screen.js';
import { themeFor } from '../theme.js';
import { Lines } from './Lines.js';

export interface LoadingProps {
  state: LoadingState;
  size: Size;
  colour: boolean;
  onInterrupt: () => void;
}

export function Loading({ state, size, colour, onInterrupt }: LoadingProps) {
  useInput((input, key) => {
    if ((key.ctrl && input === 'c') || input === 'q') onInterrupt();
  });
  return <Lines lines={loadingFrame(state, size)} theme={themeFor(colour)} />;
}
