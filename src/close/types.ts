import type { SegmentLog } from '../flow/index.js';
import type { StateChange } from './machine.js';
import type { TcpState } from './states.js';

export type Severity = 'info' | 'warning' | 'error';
export type Side = 'client' | 'server';

export type FindingCode =
  | 'lost-final-ack' | 'missing-peer-fin' | 'long-fin-wait-2' | 'long-close-wait'
  | 'fin-retransmitted' | 'fin-unacked' | 'reset-after-fin' | 'abortive-close'
  | 'simultaneous-close' | 'half-close' | 'data-after-fin' | 'time-wait-reuse'
  | 'time-wait-assassination' | 'time-wait-rst-ignored' | 'ephemeral-port-pressure' | 'not-closed'
  | 'connection-refused' | 'syn-unanswered' | 'syn-ack-unanswered' | 'capture-missed-packets';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** The side it concerns, or null for the connection / capture as a whole. */
  side: Side | null;
  /** Epoch microseconds. */
  atUs: number;
  /** One line with the figures. */
  detail: string;
}

/** Where on the path the capture was taken, judged from the handshake's timing. */
export type Vantage = 'client' | 'server' | 'between' | 'unknown';

export interface CloseOptions {
  /** 2 x MSL in microseconds. */
  timeWaitUs: number;
  finWait2LimitUs: number;
  closeWaitLimitUs: number;
}

/** Time each side spent in the close states (microseconds), null when never in it. */
export interface SideDurations {
  finWait1: number | null;
  finWait2: number | null;
  closing: number | null;
  timeWait: number | null;
  closeWait: number | null;
  lastAck: number | null;
}

export interface SideVerdict {
  changes: StateChange[];
  /** State when the capture stopped watching this connection (null: never had one, e.g. a refused SYN's server). */
  finalState: TcpState | null;
  /** When a side is left in TIME_WAIT: the moment it will leave it (epoch us). */
  timeWaitEndsUs: number | null;
  durations: SideDurations;
}

/** A side with no changes, no final state and no durations: the shape verdicts and outlines fill in. */
export function emptySideVerdict(): SideVerdict {
  return {
    changes: [], finalState: null, timeWaitEndsUs: null,
    durations: { finWait1: null, finWait2: null, closing: null, timeWait: null, closeWait: null, lastAck: null },
  };
}

export interface Endpoint { ip: string; port: number }

export interface DirectionSummary {
  packets: number;
  bytes: number;
  uniqueBytes: number;
  retransmissions: number;
  syn: { atUs: number; count: number; ack: boolean } | null;
  fin: { atUs: number; seq: number; count: number; lastUs: number; ackedUs: number | null } | null;
  rst: { atUs: number; seq: number; count: number; ack: boolean } | null;
  ackedUnseen: number;
  options: { mss: number | null; windowScale: number | null; sackPermitted: boolean; timestamps: boolean };
}

/** Everything finscope says about one connection. */
export interface Verdict {
  id: number;
  input: number;
  family: 4 | 6;
  client: Endpoint;
  server: Endpoint;
  /** How the roles were decided; anything but 'syn' is an inference. */
  roleReason: string;
  startUs: number;
  endUs: number;
  observedUntilUs: number;
  endReason: string;
  previousId: number | null;
  reusedById: number | null;
  midStream: boolean;
  vantage: Vantage;
  /** Shortest round trips seen from the capture point toward [server, client], microseconds. */
  handshakeGapsUs: [number, number] | null;
  directions: { client: DirectionSummary; server: DirectionSummary };
  activeCloser: Side | 'both' | null;
  sides: { client: SideVerdict; server: SideVerdict };
  zeek: { connState: string; history: string };
  findings: Finding[];
  /** The segment log (for the ladder diagram), kept packed; dropped by batch reports that do not need it. */
  segments: SegmentLog | null;
  foldedPackets: number;
}
