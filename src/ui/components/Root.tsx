// Loading, then the App: which one shows follows a small store that runUi feeds (progress while
// reading, then the prepared data). The terminal size comes from stdout and follows resizes.

import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useStdout, type Key } from 'ink';
import type { UiData } from '../data.js';
import type { LoadingState } from '../loading.js';
import type { Size } from '../screen.js';
import type { UiState } from '../state.js';
import { App } from './App.js';
import { Loading } from './Loading.js';

export interface Snapshot {
  loading: LoadingState;
  data: UiData | null;
  /** The state the views open in, when it depends on the data (an --at offset from the start). */
  initial?: UiState;
}

/** A value that changes over time, with subscribers (what useSyncExternalStore wants). */
export class Store<T> {
  private listeners = new Set<() => void>();
  constructor(private value: T) {}
  get = (): T => this.value;
  set(value: T): void {
    this.value = value;
    for (const l of this.listeners) l();
  }
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  };
}

/** The terminal's size less one row: a frame as tall as the terminal makes Ink clear and redraw it on every update. */
export function useDrawingArea(): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || 80, rows: Math.max(5, (stdout.rows || 24) - 1) });
  const [size, setSize] = useState<Size>(read);
  useEffect(() => {
    const onResize = (): void => {
      const next = read();
      setSize((s) => (s.columns === next.columns && s.rows === next.rows ? s : next));
    };
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout]);
  return size;
}

export interface RootProps {
  store: Store<Snapshot>;
  colour: boolean;
  initial?: UiState;
  onExit: (how: 'quit' | 'interrupt') => void;
}

export function Root({ store, colour, initial, onExit }: RootProps) {
  const snapshot = useSyncExternalStore(store.subscribe, store.get);
  const size = useDrawingArea();
  const typedAhead = useRef<[string, Partial<Key>][]>([]);
  if (snapshot.data === null) {
    const keep = (input: string, key: Key): void => { if (typedAhead.current.length < 64) typedAhead.current.push([input, key]); };
    return <Loading state={snapshot.loading} size={size} colour={colour} onInterrupt={() => onExit('interrupt')} onKey={keep} />;
  }
  return <App data={snapshot.data} size={size} colour={colour} initial={snapshot.initial ?? initial} pending={typedAhead.current} onExit={onExit} />;
}
