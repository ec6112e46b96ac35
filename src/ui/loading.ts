// The loading screen: a progress bar with bytes and packets done, packets per second and the time
// left while a file is read; for stdin (size unknown) a spinner and running counts instead.

import { fitHeight, fitLine, span, type Line } from './lines.js';
import { formatBytes, groupDigits } from './text.js';
import { formatDuration } from '../common/duration.js';

export interface LoadingState {
  files: readonly string[];
  /** Index of the input being read. */
  input: number;
  packets: number;
  sourceBytes: number;
  totalBytes: number | null;
  connections: number;
  /** When reading this input began, and now (ms, any clock). */
  startedMs: number;
  nowMs: number;
  /** 'preparing' once every input is read and the views are being computed. */
  phase: 'reading' | 'preparing';
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

export function progressBar(fraction: number, width: number): string {
  const w = Math.max(1, width);
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.floor(f * w);
  return '█'.repeat(full) + '░'.repeat(w - full);
}

/** Seconds left at the current byte rate, or null before there is a rate. */
export function timeLeftUs(s: LoadingState): number | null {
  const elapsedMs = s.nowMs - s.startedMs;
  if (s.totalBytes === null || s.sourceBytes <= 0 || elapsedMs < 200) return null;
  const rate = s.sourceBytes / elapsedMs;
  return Math.max(0, ((s.totalBytes - s.sourceBytes) / rate) * 1000);
}

export function loadingLines(s: LoadingState, width: number, height: number): Line[] {
  const name = s.files[s.input] ?? '';
  const which = s.files.length > 1 ? ` (${s.input + 1} of ${s.files.length})` : '';
  const elapsedS = Math.max(0.001, (s.nowMs - s.startedMs) / 1000);
  const pps = s.packets / elapsedS;
  const body: Line[] = [];
  if (s.phase === 'preparing') {
    body.push([span('finscope', 'bold'), span(` read ${groupDigits(s.packets)} packets, ${groupDigits(s.connections)} connections`)]);
    body.push([]);
    body.push([span('Preparing the views…', 'dim')]);
  } else if (s.totalBytes !== null && s.totalBytes > 0) {
    const fraction = s.sourceBytes / s.totalBytes;
    const barWidth = Math.max(10, Math.min(60, width - 12));
    const left = timeLeftUs(s);
    body.push([span('finscope', 'bold'), span(` reading ${name === '-' ? 'stdin' : name}${which}`)]);
    body.push([]);
    body.push([span(progressBar(fraction, barWidth), 'accent'), span(` ${String(Math.floor(fraction * 100)).padStart(3)}%`, 'bold')]);
    body.push([span(`${formatBytes(s.sourceBytes)} of ${formatBytes(s.totalBytes)} · ${groupDigits(s.packets)} packets · ${groupDigits(pps)} packets/s · ${left === null ? 'estimating time left' : left < 1e6 ? 'under a second left' : `about ${formatDuration(Math.ceil(left / 1e6) * 1e6)} left`}`)]);
    body.push([span(`${groupDigits(s.connections)} connections so far`, 'dim')]);
  } else {
    const frame = SPINNER[Math.floor(s.nowMs / 100) % SPINNER.length];
    body.push([span(`${frame} `, 'accent'), span('finscope', 'bold'), span(` reading ${name === '-' ? 'stdin' : name}${which}`)]);
    body.push([]);
    body.push([span(`${groupDigits(s.packets)} packets · ${formatBytes(s.sourceBytes)} · ${groupDigits(pps)} packets/s`)]);
    body.push([span(`${groupDigits(s.connections)} connections so far`, 'dim')]);
  }
  body.push([]);
  body.push([span('Ctrl-C', 'key'), span(' stops and leaves the terminal as it was', 'dim')]);
  const top = Math.max(0, Math.floor((height - body.length) / 2));
  const lines: Line[] = [];
  for (let i = 0; i < top; i++) lines.push([]);
  for (const l of body) lines.push(fitLine([span('  '), ...l], width));
  return fitHeight(lines, height);
}
