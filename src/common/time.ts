// Timestamps at the edge: finscope keeps epoch microseconds inside and formats them only here.
// Captures are compared across hosts, so times are shown in UTC.

// Per function, not the package index: the index loads all of date-fns (~250 modules, ~110 ms of
// every run's start, against ~35 ms for these two).
import { addMinutes } from 'date-fns/addMinutes';
import { format } from 'date-fns/format';

/**
 * Latest instant a Date holds (ECMA-262 21.4.1.1: 8.64e15 ms), less a day for the time-zone shift
 * in utc(). A pcapng if_tsoffset or a 64-bit timestamp can put packets far beyond it, and date-fns
 * throws on such a Date.
 */
const MAX_DATE_US = 8.64e18 - 86_400e6;

/** Times a Date cannot hold are shown as epoch seconds instead. */
function beyondDates(us: number): string {
  return `epoch ${(us / 1e6).toFixed(6)}s`;
}

function utc(us: number): Date {
  const local = new Date(Math.floor(us / 1000));
  return addMinutes(local, local.getTimezoneOffset());
}

/** "2026-11-24 08:46:08.123456Z" */
export function formatTimestamp(us: number): string {
  if (!Number.isFinite(us) || us < 0) return '-';
  if (us > MAX_DATE_US) return beyondDates(us);
  return `${format(utc(us), 'yyyy-MM-dd HH:mm:ss.SSS')}${String(Math.floor(us) % 1000).padStart(3, '0')}Z`;
}

/** "08:46:08.123456" (time of day, UTC), for dense tables. */
export function formatTimeOfDay(us: number): string {
  if (!Number.isFinite(us) || us < 0) return '-';
  if (us > MAX_DATE_US) return beyondDates(us);
  return `${format(utc(us), 'HH:mm:ss.SSS')}${String(Math.floor(us) % 1000).padStart(3, '0')}`;
}

/** Epoch seconds as a JSON number with microsecond precision. */
export function epochSeconds(us: number): number {
  return Math.round(us) / 1e6;
}

/**
 * Parses an instant for --at: epoch seconds ("1700000000.5"), an ISO time ("2026-11-24T08:46:08Z"),
 * or an offset from the capture start ("+30s", "+2m"). Returns epoch us, or null.
 */
export function parseInstant(text: string, captureStartUs: number, parseOffset: (s: string) => number | null): number | null {
  const t = text.trim();
  if (t.startsWith('+')) {
    const off = parseOffset(t.slice(1));
    return off === null ? null : captureStartUs + off;
  }
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1e6);
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms * 1000;
}
