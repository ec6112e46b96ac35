// Per-input decode counters. record() runs once per packet, so it must not allocate except for the
// first MAX_DECODE_EXAMPLES examples; reasons are string literals used as Map keys.

import {
  ANOMALY_NAMES, DECODE_KIND_NAMES, DecodeKind, TUNNEL_KIND_NAMES, type PacketView,
} from './packet-view.js';

/** Examples kept so a report can point at actual packets ("packet 1234: ipv4-ihl"). */
export const MAX_DECODE_EXAMPLES = 100;

export interface DecodeExample {
  packetNumber: number;
  /** DECODE_KIND_NAMES entry: 'malformed' or 'truncated'. */
  kind: string;
  problem: string;
}

export interface DecodeStatsJson {
  packets: number;
  /** Every DECODE_KIND_NAMES entry, zeros included, so the shape is stable. */
  byKind: Record<string, number>;
  malformedReasons: Record<string, number>;
  truncatedReasons: Record<string, number>;
  /** ANOMALY_NAMES counts: packets that decoded but carried an oddity (TSO length 0, bad option). */
  anomalies: Record<string, number>;
  /**
   * TCP packets decoded out of a tunnel, per TUNNEL_KIND_NAMES entry of the innermost encapsulation
   * ('vxlan', 'gre', 'pppoe', ...); kinds with none are left out. Counted in byKind.tcp as well.
   */
  tunnels: Record<string, number>;
  examples: DecodeExample[];
}

export class DecodeStats {
  /** Packets per DecodeKind, indexed by the enum value. */
  readonly byKind = new Float64Array(DECODE_KIND_NAMES.length);
  readonly malformedReasons = new Map<string, number>();
  readonly truncatedReasons = new Map<string, number>();
  readonly anomalies = new Map<string, number>();
  /** Tunnelled TCP packets per tunnel kind, indexed by the TUNNEL_* value. */
  readonly tunnels = new Float64Array(TUNNEL_KIND_NAMES.length);
  /** The first MAX_DECODE_EXAMPLES malformed or truncated packets, in record order. */
  readonly examples: DecodeExample[] = [];

  get packets(): number {
    let total = 0;
    for (let i = 0; i < this.byKind.length; i++) total += this.byKind[i];
    return total;
  }

  record(view: PacketView, packetNumber: number): void {
    const kind = view.kind;
    this.byKind[kind]++;
    if (kind === DecodeKind.Malformed || kind === DecodeKind.Truncated) {
      bump(kind === DecodeKind.Malformed ? this.malformedReasons : this.truncatedReasons, view.problem, 1);
      if (this.examples.length < MAX_DECODE_EXAMPLES) {
        this.examples.push({ packetNumber, kind: DECODE_KIND_NAMES[kind], problem: view.problem });
      }
    }
    if (view.tunnelDepth !== 0 && kind === DecodeKind.Tcp) this.tunnels[view.tunnelKind]++;
    const anomalies = view.anomalies;
    if (anomalies !== 0) {
      for (let bit = 0; bit < ANOMALY_NAMES.length; bit++) {
        if ((anomalies & (1 << bit)) !== 0) bump(this.anomalies, ANOMALY_NAMES[bit], 1);
      }
    }
  }

  /** Adds another input's counts (e.g. one DecodeStats per file, summed for the report). */
  merge(other: DecodeStats): void {
    for (let i = 0; i < this.byKind.length; i++) this.byKind[i] += other.byKind[i];
    for (const [reason, count] of other.malformedReasons) bump(this.malformedReasons, reason, count);
    for (const [reason, count] of other.truncatedReasons) bump(this.truncatedReasons, reason, count);
    for (const [name, count] of other.anomalies) bump(this.anomalies, name, count);
    for (let i = 0; i < this.tunnels.length; i++) this.tunnels[i] += other.tunnels[i];
    for (const example of other.examples) {
      if (this.examples.length >= MAX_DECODE_EXAMPLES) break;
      this.examples.push({ ...example });
    }
  }

  toJSON(): DecodeStatsJson {
    const byKind: Record<string, number> = {};
    DECODE_KIND_NAMES.forEach((name, kind) => { byKind[name] = this.byKind[kind]; });
    const tunnels = new Map<string, number>();
    TUNNEL_KIND_NAMES.forEach((name, kind) => { if (this.tunnels[kind] !== 0) tunnels.set(name, this.tunnels[kind]); });
    return {
      packets: this.packets,
      byKind,
      malformedReasons: sortedRecord(this.malformedReasons),
      truncatedReasons: sortedRecord(this.truncatedReasons),
      anomalies: sortedRecord(this.anomalies),
      tunnels: sortedRecord(tunnels),
      examples: this.examples.map((example) => ({ ...example })),
    };
  }
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}

/** Keys in name order so JSON output is stable across runs and merges. */
function sortedRecord(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [...counts.keys()].sort()) out[key] = counts.get(key)!;
  return out;
}
