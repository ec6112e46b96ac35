// The whole capture at a glance: the `ss -tan` histogram at an instant, findings by code and by
// endpoint, close-duration distributions, and the capture-wide findings no single connection shows.

import { stateAt, SEVERITY, type Finding, type SideDurations, type TcpState, type Verdict, type Vantage } from '../close/index.js';
import { formatDuration } from '../common/duration.js';
import { HostVotes } from '../store/host-votes.js';
import type { VerdictOutline } from '../store/record.js';
import { MemoryBudget, NumberBag, type SortedValues } from '../store/number-bag.js';

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

/** The same nearest-rank percentiles over `count` values read in ascending order. */
export function distributionOfSorted(sorted: SortedValues, count: number): Distribution | null {
  if (count === 0) return null;
  const rank = (p: number): number => Math.min(count, Math.max(1, Math.ceil((p / 100) * count)));
  const r50 = rank(50), r90 = rank(90), r99 = rank(99);
  const out: Distribution = { count, median: NaN, p90: NaN, p99: NaN, max: NaN };
  for (let i = 1, x = sorted.take(); x === x; i++, x = sorted.take()) {
    if (i === r50) out.median = x;
    if (i === r90) out.p90 = x;
    if (i === r99) out.p99 = x;
    if (i === count) out.max = x;
  }
  return out;
}

function bump(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

/**
 * "10.0.0.5:80", or "[fd00::1]:443" for IPv6; the last one is kept, since most connections in a
 * row share their server (a new string for each finding was a tenth of the aggregate's pass).
 */
class ServerKeys {
  private ip = '';
  private port = -1;
  private key = '';

  of(v: VerdictOutline): string {
    const { ip, port } = v.server;
    if (ip !== this.ip || port !== this.port) {
      this.ip = ip;
      this.port = port;
      this.key = v.family === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
    }
    return this.key;
  }
}

/**
 * Client TIME_WAIT sockets toward one server ip:port, as sweep events: entering at t is 2t + 1
 * and leaving 2t (so that, sorted, a socket leaving at t counts before one entering at t: a
 * reused port is not two sockets). Times too large or not whole for that are kept as pairs.
 */
class PressureEvents {
  intervals = 0;
  private readonly bag: NumberBag;
  private pairs: [number, number][] | null = null;
  constructor(budget: MemoryBudget) { this.bag = new NumberBag(budget); }

  add(enter: number, leave: number): void {
    this.intervals++;
    if (this.pairs === null && encodable(enter) && (leave === Infinity || encodable(leave))) {
      this.bag.push(2 * enter + 1);
      this.bag.push(leave === Infinity ? Infinity : 2 * leave);
      return;
    }
    if (this.pairs === null) {
      this.pairs = [];
      const sorted = this.bag.sorted();
      for (let e = sorted.take(); e === e; e = sorted.take()) this.pairs.push(e === Infinity ? [Infinity, -1] : e % 2 === 1 ? [(e - 1) / 2, 1] : [e / 2, -1]);
    }
    this.pairs.push([enter, 1], [leave, -1]);
  }

  /** The most sockets at once and when that was first reached. */
  peak(): { peak: number; atUs: number } {
    let live = 0, peak = 0, peakAt = 0;
    if (this.pairs !== null) {
      this.pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
      for (const [t, d] of this.pairs) {
        live += d;
        if (live > peak) { peak = live; peakAt = t; }
      }
    } else {
      const sorted = this.bag.sorted();
      for (let e = sorted.take(); e === e; e = sorted.take()) {
        if (e !== Infinity && e % 2 === 1) {
          live++;
          if (live > peak) { peak = live; peakAt = (e - 1) / 2; }
        } else {
          live--;
        }
      }
    }
    return { peak, atUs: peakAt };
  }

  release(): void { this.bag.release(); }
}

/** Endpoints the summary lists, most findings first. */
export const ENDPOINTS_LISTED = 20;

/**
 * The `limit` endpoints with the most findings, ties in endpoint order: one pass keeping the best
 * few, not a sort of them all (a SYN flood or a scan has a finding for each of a million clients).
 */
export function topEndpoints(byEndpoint: Map<string, { count: number; codes: Record<string, number> }>, limit: number): Summary['findingsByEndpoint'] {
  const top: Summary['findingsByEndpoint'] = [];
  const before = (count: number, endpoint: string, b: Summary['findingsByEndpoint'][number]): boolean =>
    count > b.count || (count === b.count && endpoint < b.endpoint);
  for (const [endpoint, e] of byEndpoint) {
    if (top.length === limit && !before(e.count, endpoint, top[limit - 1])) continue;
    let i = top.length;
    while (i > 0 && before(e.count, endpoint, top[i - 1])) i--;
    top.splice(i, 0, { endpoint, count: e.count, codes: e.codes });
    if (top.length > limit) top.pop();
  }
  return top;
}

const encodable = (t: number): boolean => t >= 0 && t < 2 ** 51 && Math.floor(t) === t;

export { HostVotes };

/**
 * The summary, built connection by connection in id order (the order keys first appear in decides
 * the order of the report's objects). Memory does not grow with the connections: percentiles and
 * the port-pressure sweep read their values back from NumberBags, which spill to disk past their
 * budget. First the HostVotes of every connection, then add() for each, then finish().
 */
export class SummaryBuilder {
  private readonly atUs: number;
  private readonly host: string | null;
  private readonly hostReason: Summary['hostReason'];
  private readonly vantage: Vantage;
  private readonly votes: Record<Vantage, number>;
  private connections = 0;
  private readonly histogram: Partial<Record<TcpState, number>> = {};
  private readonly closers = { client: 0, server: 0, both: 0, none: 0 };
  private readonly byCode: Summary['findingsByCode'] = {};
  private readonly bySeverity = { error: 0, warning: 0, info: 0 };
  private readonly byEndpoint = new Map<string, { count: number; codes: Record<string, number> }>();
  private readonly durations: NumberBag[];
  private readonly zeek: Record<string, number> = {};
  private readonly pressure = new Map<string, PressureEvents>();
  private readonly serverKeys = new ServerKeys();

  constructor(votes: HostVotes, private readonly startUs: number, private readonly endUs: number,
    private readonly options: SummaryOptions, private readonly budget = new MemoryBudget()) {
    this.vantage = votes.vantage();
    this.votes = { ...votes.votes };
    this.atUs = options.atUs ?? endUs;
    let host: string | null = options.host ?? null;
    let hostReason: Summary['hostReason'] = host !== null ? 'option' : null;
    if (host === null) {
      host = votes.host(this.vantage);
      if (host !== null) hostReason = 'vantage';
    }
    this.host = host;
    this.hostReason = hostReason;
    this.durations = DURATION_KEYS.map(() => new NumberBag(budget));
  }

  private countFinding(f: Pick<Finding, 'code' | 'severity' | 'side'>, v: VerdictOutline | null): void {
    this.byCode[f.code] ??= { severity: f.severity, count: 0 };
    this.byCode[f.code].count++;
    this.bySeverity[f.severity]++;
    if (v === null) return;
    const endpoint = f.side === 'client' ? v.client.ip : this.serverKeys.of(v);
    let e = this.byEndpoint.get(endpoint);
    if (e === undefined) this.byEndpoint.set(endpoint, e = { count: 0, codes: {} });
    e.count++;
    bump(e.codes, f.code);
  }

  /** One more connection (a Verdict, or the outline of one). */
  add(v: VerdictOutline): void {
    const { host, atUs, endUs } = this;
    this.connections++;
    for (let role = 0; role < 2; role++) {
      const side = role === 0 ? v.sides.client : v.sides.server;
      const ip = role === 0 ? v.client.ip : v.server.ip;
      if (host === null || ip === host) {
        // At the capture's end, each side's final state already allows for its one-way delay.
        const s = atUs === endUs ? side.finalState : atUs >= v.startUs ? stateAt(side.changes, atUs) : null;
        if (s !== null && s !== 'CLOSED' && s !== 'LISTEN') this.histogram[s] = (this.histogram[s] ?? 0) + 1;
      }
      for (let k = 0; k < DURATION_KEYS.length; k++) {
        const d = side.durations[DURATION_KEYS[k]];
        if (d !== null) this.durations[k].push(d);
      }
    }
    this.closers[v.activeCloser ?? 'none']++;
    for (const f of v.findings) this.countFinding(f, v);
    bump(this.zeek, v.zeek.connState);
    // Client-side TIME_WAIT sockets toward each server ip:port, for ephemeral-port-pressure.
    const ch = v.sides.client.changes;
    for (let i = 0; i < ch.length; i++) {
      if (ch[i].state !== 'TIME_WAIT') continue;
      const key = this.serverKeys.of(v);
      let p = this.pressure.get(key);
      if (p === undefined) this.pressure.set(key, p = new PressureEvents(this.budget));
      p.add(ch[i].atUs, i + 1 < ch.length ? ch[i + 1].atUs : Infinity);
    }
  }

  /**
   * Client TIME_WAIT sockets toward each server ip:port, swept over time. Past half the
   * ephemeral range, connect() starts failing or reusing (tcp_tw_reuse) under load.
   */
  private portPressure(): Finding[] {
    const range = this.options.portRange;
    const size = range[1] - range[0] + 1;
    const limit = size / 2;
    const out: Finding[] = [];
    for (const [server, events] of this.pressure) {
      if (events.intervals <= limit) continue;
      const { peak, atUs } = events.peak();
      if (peak > limit) {
        out.push({
          code: 'ephemeral-port-pressure', severity: SEVERITY['ephemeral-port-pressure'], side: 'client', atUs,
          detail: `${peak} client sockets in TIME_WAIT toward ${server} at once, more than half of the ${size} ports in ${range[0]}-${range[1]}`,
        });
      }
    }
    return out;
  }

  finish(): Summary {
    const findings = this.portPressure();
    for (const f of findings) this.countFinding(f, null);
    const durations = {} as Record<keyof SideDurations, Distribution | null>;
    DURATION_KEYS.forEach((k, i) => { durations[k] = distributionOfSorted(this.durations[i].sorted(), this.durations[i].count); });
    for (const b of this.durations) b.release();
    for (const p of this.pressure.values()) p.release();
    return {
      connections: this.connections,
      startUs: this.startUs, endUs: this.endUs, atUs: this.atUs, host: this.host, hostReason: this.hostReason,
      vantage: this.vantage, vantageVotes: this.votes,
      histogram: this.histogram, activeClosers: this.closers, findingsByCode: this.byCode, findingsBySeverity: this.bySeverity,
      findingsByEndpoint: topEndpoints(this.byEndpoint, ENDPOINTS_LISTED),
      durations, findings, zeekConnStates: this.zeek,
    };
  }
}

export function summarize(verdicts: Verdict[], startUs: number, endUs: number, options: SummaryOptions): Summary {
  const votes = new HostVotes();
  for (const v of verdicts) votes.add(v.vantage, v.client.ip, v.server.ip);
  const builder = new SummaryBuilder(votes, startUs, endUs, options);
  for (const v of verdicts) builder.add(v);
  return builder.finish();
}

export function describeDistribution(d: Distribution | null): string {
  if (d === null) return '-';
  return `median ${formatDuration(d.median)}, p90 ${formatDuration(d.p90)}, p99 ${formatDuration(d.p99)}, max ${formatDuration(d.max)} (${d.count})`;
}
