// The whole capture at a glance: the `ss -tan` histogram at an instant, findings by code and by
// endpoint, close-duration distributions, and the capture-wide findings no single connection shows.

import { stateAt, SEVERITY, type Finding, type SideDurations, type TcpState, type Verdict, type Vantage } from '../close/index.js';
import { formatDuration } from '../common/duration.js';

export interface SummaryOptions {
  /** Instant for the histogram (epoch us); default the capture's end. */
  atUs?: number;
  /** Only sockets of this host; default the capture host when the vantage makes it clear. */
  host?: string;
  /** Ephemeral port range for ephemeral-port-pressure. */
  portRange: [number, number];
}

export interface Distribution { count: number; median: number; p90: number; p99: number; max: number }

export interface Summary {
  connections: number;
  startUs: number;
  endUs: number;
  atUs: number;
  /** Host whose sockets the histogram counts, or null for every endpoint. */
  host: string | null;
  hostReason: 'option' | 'vantage' | null;
  vantage: Vantage;
  vantageVotes: Record<Vantage, number>;
  /** Sockets per state at `atUs`, as `ss -tan` would count them (LISTEN and CLOSED left out). */
  histogram: Partial<Record<TcpState, number>>;
  activeClosers: { client: number; server: number; both: number; none: number };
  findingsByCode: Record<string, { severity: string; count: number }>;
  findingsBySeverity: { error: number; warning: number; info: number };
  /** Endpoints behind the most findings: the finding's side (server ip:port, client ip). */
  findingsByEndpoint: { endpoint: string; count: number; codes: Record<string, number> }[];
  durations: Record<keyof SideDurations, Distribution | null>;
  /** Findings about the capture as a whole (ephemeral-port-pressure). */
  findings: Finding[];
  zeekConnStates: Record<string, number>;
}

const DURATION_KEYS: (keyof SideDurations)[] = ['finWait1', 'finWait2', 'closing', 'timeWait', 'closeWait', 'lastAck'];

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function distribution(values: number[]): Distribution | null {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const arr = Array.from(sorted);
  return { count: arr.length, median: percentile(arr, 50), p90: percentile(arr, 90), p99: percentile(arr, 99), max: arr[arr.length - 1] };
}

function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

function captureHost(verdicts: Verdict[], vantage: Vantage): string | null {
  if (vantage !== 'client' && vantage !== 'server') return null;
  const counts = new Map<string, number>();
  for (const v of verdicts) {
    const ip = vantage === 'client' ? v.client.ip : v.server.ip;
    counts.set(ip, (counts.get(ip) ?? 0) + 1);
  }
  let best: string | null = null, bestCount = 0;
  for (const [ip, n] of counts) if (n > bestCount) { best = ip; bestCount = n; }
  return bestCount >= 0.9 * verdicts.length ? best : null;
}

/**
 * Client-side TIME_WAIT sockets toward each server ip:port, swept over time. Past half the
 * ephemeral range, connect() starts failing or reusing (tcp_tw_reuse) under load.
 */
function portPressure(verdicts: Verdict[], range: [number, number]): Finding[] {
  const size = range[1] - range[0] + 1;
  const limit = size / 2;
  const byServer = new Map<string, number[][]>();
  for (const v of verdicts) {
    const ch = v.sides.client.changes;
    for (let i = 0; i < ch.length; i++) {
      if (ch[i].state !== 'TIME_WAIT') continue;
      const end = i + 1 < ch.length ? ch[i + 1].atUs : Infinity;
      const key = v.family === 6 ? `[${v.server.ip}]:${v.server.port}` : `${v.server.ip}:${v.server.port}`;
      let list = byServer.get(key);
      if (list === undefined) byServer.set(key, list = []);
      list.push([ch[i].atUs, end]);
    }
  }
  const out: Finding[] = [];
  for (const [server, intervals] of byServer) {
    if (intervals.length <= limit) continue;
    const events: [number, number][] = [];
    for (const [a, b] of intervals) { events.push([a, 1]); events.push([b, -1]); }
    // Leaving before entering at the same instant: a reused port is not two sockets.
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let live = 0, peak = 0, peakAt = 0;
    for (const [t, d] of events) {
      live += d;
      if (live > peak) { peak = live; peakAt = t; }
    }
    if (peak > limit) {
      out.push({
        code: 'ephemeral-port-pressure', severity: SEVERITY['ephemeral-port-pressure'], side: 'client', atUs: peakAt,
        detail: `${peak} client sockets in TIME_WAIT toward ${server} at once, more than half of the ${size} ports in ${range[0]}-${range[1]}`,
      });
    }
  }
  return out;
}

export function summarize(verdicts: Verdict[], startUs: number, endUs: number, options: SummaryOptions): Summary {
  const votes: Record<Vantage, number> = { client: 0, server: 0, between: 0, unknown: 0 };
  for (const v of verdicts) votes[v.vantage]++;
  const known = (['client', 'server', 'between'] as Vantage[]).sort((a, b) => votes[b] - votes[a]);
  const vantage: Vantage = votes[known[0]] > 0 && votes[known[0]] >= 0.6 * (votes.client + votes.server + votes.between) ? known[0] : 'unknown';
  const atUs = options.atUs ?? endUs;
  let host: string | null = options.host ?? null;
  let hostReason: Summary['hostReason'] = host !== null ? 'option' : null;
  if (host === null) {
    host = captureHost(verdicts, vantage);
    if (host !== null) hostReason = 'vantage';
  }

  const histogram: Partial<Record<TcpState, number>> = {};
  const closers = { client: 0, server: 0, both: 0, none: 0 };
  const byCode: Summary['findingsByCode'] = {};
  const bySeverity = { error: 0, warning: 0, info: 0 };
  const byEndpoint = new Map<string, { count: number; codes: Record<string, number> }>();
  const durationValues: Record<string, number[]> = {};
  const zeek: Record<string, number> = {};
  for (const k of DURATION_KEYS) durationValues[k] = [];

  const countFinding = (f: Finding, v: Verdict | null): void => {
    byCode[f.code] ??= { severity: f.severity, count: 0 };
    byCode[f.code].count++;
    bySeverity[f.severity]++;
    if (v === null) return;
    const endpoint = f.side === 'client' ? v.client.ip : v.family === 6 ? `[${v.server.ip}]:${v.server.port}` : `${v.server.ip}:${v.server.port}`;
    let e = byEndpoint.get(endpoint);
    if (e === undefined) byEndpoint.set(endpoint, e = { count: 0, codes: {} });
    e.count++;
    bump(e.codes, f.code);
  };

  for (const v of verdicts) {
    for (const [role, side] of [['client', v.sides.client], ['server', v.sides.server]] as const) {
      const ip = role === 'client' ? v.client.ip : v.server.ip;
      if (host === null || ip === host) {
        // At the capture's end, each side's final state already allows for its one-way delay.
        const s = atUs === endUs ? side.finalState : atUs >= v.startUs ? stateAt(side.changes, atUs) : null;
        if (s !== null && s !== 'CLOSED' && s !== 'LISTEN') histogram[s] = (histogram[s] ?? 0) + 1;
      }
      for (const k of DURATION_KEYS) {
        const d = side.durations[k];
        if (d !== null) durationValues[k].push(d);
      }
    }
    closers[v.activeCloser ?? 'none']++;
    for (const f of v.findings) countFinding(f, v);
    bump(zeek, v.zeek.connState);
  }
  const findings = portPressure(verdicts, options.portRange);
  for (const f of findings) countFinding(f, null);

  const durations = {} as Record<keyof SideDurations, Distribution | null>;
  for (const k of DURATION_KEYS) durations[k] = distribution(durationValues[k]);
  return {
    connections: verdicts.length,
    startUs, endUs, atUs, host, hostReason, vantage, vantageVotes: votes,
    histogram, activeClosers: closers, findingsByCode: byCode, findingsBySeverity: bySeverity,
    findingsByEndpoint: [...byEndpoint].map(([endpoint, e]) => ({ endpoint, ...e }))
      .sort((a, b) => b.count - a.count || (a.endpoint < b.endpoint ? -1 : 1)).slice(0, 20),
    durations, findings, zeekConnStates: zeek,
  };
}

export function describeDistribution(d: Distribution | null): string {
  if (d === null) return '-';
  return `median ${formatDuration(d.median)}, p90 ${formatDuration(d.p90)}, p99 ${formatDuration(d.p99)}, max ${formatDuration(d.max)} (${d.count})`;
}
