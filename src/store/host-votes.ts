// Who the capture host is, from every connection's vantage and addresses. The report's histogram
// counts that host's sockets (src/report/summary.ts), so the votes must be complete before the
// summary pass; a VerdictStore counts them as verdicts are added, which saves the report a pass.

import type { Vantage } from '../close/index.js';

export class HostVotes {
  readonly votes: Record<Vantage, number> = { client: 0, server: 0, between: 0, unknown: 0 };
  private readonly clientIps = new Map<string, number>();
  private readonly serverIps = new Map<string, number>();
  /** Connections counted. */
  count = 0;

  add(vantage: Vantage, clientIp: string, serverIp: string): void {
    this.votes[vantage]++;
    this.clientIps.set(clientIp, (this.clientIps.get(clientIp) ?? 0) + 1);
    this.serverIps.set(serverIp, (this.serverIps.get(serverIp) ?? 0) + 1);
    this.count++;
  }

  /**
   * Adds the votes of other connections. The order votes arrive in does not matter: no two
   * addresses can both reach the 90% that host() asks for.
   */
  merge(other: HostVotes): void {
    for (const k of Object.keys(this.votes) as Vantage[]) this.votes[k] += other.votes[k];
    for (const [ip, n] of other.clientIps) this.clientIps.set(ip, (this.clientIps.get(ip) ?? 0) + n);
    for (const [ip, n] of other.serverIps) this.serverIps.set(ip, (this.serverIps.get(ip) ?? 0) + n);
    this.count += other.count;
  }

  /** The votes as plain data (to post to another thread), and back with fromData. */
  toData(): HostVotesData {
    return { votes: { ...this.votes }, clientIps: [...this.clientIps], serverIps: [...this.serverIps], count: this.count };
  }

  static fromData(d: HostVotesData): HostVotes {
    const v = new HostVotes();
    Object.assign(v.votes, d.votes);
    for (const [ip, n] of d.clientIps) v.clientIps.set(ip, n);
    for (const [ip, n] of d.serverIps) v.serverIps.set(ip, n);
    v.count = d.count;
    return v;
  }

  vantage(): Vantage {
    const votes = this.votes;
    const known = (['client', 'server', 'between'] as Vantage[]).sort((a, b) => votes[b] - votes[a]);
    return votes[known[0]] > 0 && votes[known[0]] >= 0.6 * (votes.client + votes.server + votes.between) ? known[0] : 'unknown';
  }

  /** The capture host: the address on the vantage's side of 90% of the connections, if any. */
  host(vantage: Vantage): string | null {
    if (vantage !== 'client' && vantage !== 'server') return null;
    let best: string | null = null, bestCount = 0;
    for (const [ip, n] of vantage === 'client' ? this.clientIps : this.serverIps) if (n > bestCount) { best = ip; bestCount = n; }
    return bestCount >= 0.9 * this.count ? best : null;
  }
}

export interface HostVotesData {
  votes: Record<Vantage, number>;
  clientIps: [string, number][];
  serverIps: [string, number][];
  count: number;
}

/** What is counted of each input's verdicts as they are stored (each would be a pass to read). */
export interface InputTally {
  count: number;
  /** Smallest and largest id within the input (before any shift). */
  minId: number;
  maxId: number;
  votes: HostVotes;
}

/** An InputTally as plain data, with its input (to post to another thread). */
export interface InputTallyData {
  input: number;
  count: number;
  minId: number;
  maxId: number;
  votes: HostVotesData;
}

/** Tallies by input: kept by a VerdictStore, and by the close-stage worker for the verdicts it encodes. */
export class InputTallies {
  readonly byInput = new Map<number, InputTally>();

  add(input: number, id: number, vantage: Vantage, clientIp: string, serverIp: string): void {
    let t = this.byInput.get(input);
    if (t === undefined) this.byInput.set(input, t = { count: 0, minId: id, maxId: id, votes: new HostVotes() });
    t.count++;
    if (id < t.minId) t.minId = id;
    if (id > t.maxId) t.maxId = id;
    t.votes.add(vantage, clientIp, serverIp);
  }

  /** Adds a tally counted elsewhere (toData's, read back). */
  merge(d: InputTallyData): void {
    if (d.count === 0) return;
    const votes = HostVotes.fromData(d.votes);
    const t = this.byInput.get(d.input);
    if (t === undefined) {
      this.byInput.set(d.input, { count: d.count, minId: d.minId, maxId: d.maxId, votes });
      return;
    }
    t.count += d.count;
    t.minId = Math.min(t.minId, d.minId);
    t.maxId = Math.max(t.maxId, d.maxId);
    t.votes.merge(votes);
  }

  toData(): InputTallyData[] {
    return [...this.byInput].map(([input, t]) => ({ input, count: t.count, minId: t.minId, maxId: t.maxId, votes: t.votes.toData() }));
  }
}
