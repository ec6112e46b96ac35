// Durations as people write them ("30s", "1.5m", "250ms") and as finscope prints them.

const UNITS_US: Record<string, number> = {
  us: 1, µs: 1, ms: 1_000, s: 1_000_000, sec: 1_000_000, m: 60_000_000, min: 60_000_000,
  h: 3_600_000_000,
};

/** Parses "30s", "1.5m", "250ms", "2h", or a bare number of seconds; returns microseconds or null. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(us|µs|ms|s|sec|m|min|h)?\s*$/i.exec(text);
  if (m === null) return null;
  const unit = (m[2] ?? 's').toLowerCase();
  const scale = UNITS_US[unit];
  if (scale === undefined) return null;
  return Math.round(Number(m[1]) * scale);
}

/** Formats microseconds compactly: "850 µs", "40.2 ms", "3.21 s", "2 m 05 s", "1 h 02 m". */
export function formatDuration(us: number): string {
  const a = Math.abs(us);
  const sign = us < 0 ? '-' : '';
  if (a < 1_000) return `${sign}${Math.round(a)} µs`;
  if (a < 1_000_000) return `${sign}${trim(a / 1_000)} ms`;
  if (a < 60_000_000) return `${sign}${trim(a / 1_000_000)} s`;
  const totalS = Math.round(a / 1_000_000);
  if (totalS < 3600) return `${sign}${Math.floor(totalS / 60)} m ${String(totalS % 60).padStart(2, '0')} s`;
  const totalM = Math.round(totalS / 60);
  return `${sign}${Math.floor(totalM / 60)} h ${String(totalM % 60).padStart(2, '0')} m`;
}

const SCALE = [1, 10, 100];

/**
 * Three significant digits at most, without trailing zeros: String(Number(v.toFixed(digits))) for
 * 0 <= v < 1000, which formats finding details by the million, without the two string round trips.
 * n / scale is the double Number() reads from toFixed's text (division rounds correctly), so only
 * the rounding to n must agree with toFixed's: it does unless v * scale, itself rounded, lies
 * within a hair of a half, where toFixed decides on v's exact value.
 */
function trim(v: number): string {
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  const scale = SCALE[digits];
  const scaled = v * scale;
  const fraction = scaled - Math.floor(scaled);
  if (Math.abs(fraction - 0.5) < 1e-6) return String(Number(v.toFixed(digits)));
  return String(Math.round(scaled) / scale);
}
