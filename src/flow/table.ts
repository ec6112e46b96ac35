// The connection table: a hash of 4-tuples to live connections, with two recency lists (open and
// closed) so that expiry and eviction are O(1) per packet. Memory follows live connections: a
// finished connection is handed to the caller and forgotten.

import { manyLiveConnections, MANY_LIVE } from '../common/heap-policy.js';
import { DecodeKind, TCP_ACK, TCP_SYN, type PacketView } from '../decode/packet-view.js';
import { FlowConnection, FlowPool } from './connection.js';
import { TupleIndex, tupleHash } from './tuple-index.js';
import {
  DEFAULT_FLOW_OPTIONS, type Connection, type Dir, type FlowOptions, type FlowStats, type RoleReason,
} from './types.js';

/** Gets each finished connection; a recycling table reuses it once the handler returns. */
export type ConnectionHandler = (connection: FlowConnection) => void;

/** Ports below this are services; above, a port is taken as ephemeral when guessing roles. */
const WELL_KNOWN_LIMIT = 1024;
/** Registered service ports often seen above 1024 (databases, proxies, alt-HTTP, brokers). */
const SERVICE_PORTS = new Set([
  1433, 1521, 2049, 2181, 2379, 3000, 3128, 3306, 3389, 4369, 5000, 5432, 5601, 5672, 5900, 6379,
  6443, 8000, 8008, 8080, 8081, 8086, 8443, 8888, 9000, 9042, 9090, 9092, 9200, 9300, 11211, 27017,
]);

function isServicePort(port: number): boolean {
  return port < WELL_KNOWN_LIMIT || SERVICE_PORTS.has(port);
}

/** Zeek's connection timers (see FlowOptions.zeekBoundaries). */
const ZEEK_TIMER_US = 5_000_000;

function zeekTimedOut(conn: FlowConnection, nowUs: number): boolean {
  if (conn.zeekClosedUs >= 0) return nowUs > conn.zeekClosedUs + ZEEK_TIMER_US;
  const orig = conn.dirs[0], resp = conn.dirs[1];
  const respSilent = resp.synCount === 0 && resp.bytes === 0 && resp.finUs < 0 && resp.rstUs < 0;
  return orig.synCount > 0 && respSilent && nowUs > orig.synUs + ZEEK_TIMER_US;
}

/**
 * A reset connection that then stayed quiet for Zeek's 5 s is over: both sockets are gone, so a
 * later segment without SYN belongs to another conversation (picked up mid-stream) or is a stray,
 * not this connection's close.
 */
function quietAfterReset(conn: FlowConnection, nowUs: number): boolean {
  return (conn.dirs[0].rstUs >= 0 || conn.dirs[1].rstUs >= 0) && nowUs - conn.lastUs > ZEEK_TIMER_US;
}

/**
 * Closed by a RST before both FINs: no side can be left in TIME_WAIT (only a side that had both
 * FINs can, and one that ignores RSTs there, tcp_rfc1337, stays in it), so the connection is over
 * once quiet for 5 s. After both FINs it keeps the TIME_WAIT span like any FIN-closed connection.
 */
function overByReset(conn: FlowConnection): boolean {
  const c = conn.dirs[0], s = conn.dirs[1];
  return (c.rstUs >= 0 || s.rstUs >= 0) && !(c.finUs >= 0 && s.finUs >= 0);
}

/** A doubly linked recency list, least recently active at `oldest`. */
class RecencyList {
  oldest: FlowConnection | null = null;
  newest: FlowConnection | null = null;
  size = 0;

  append(c: FlowConnection): void {
    c.older = this.newest;
    c.newer = null;
    if (this.newest !== null) this.newest.newer = c;
    else this.oldest = c;
    this.newest = c;
    this.size++;
  }

  remove(c: FlowConnection): void {
    if (c.older !== null) c.older.newer = c.newer;
    else this.oldest = c.newer;
    if (c.newer !== null) c.newer.older = c.older;
    else this.newest = c.older;
    c.older = c.newer = null;
    this.size--;
  }
}

export class FlowTable {
  readonly options: FlowOptions;
  readonly stats: FlowStats = { connections: 0, reused: 0, evicted: 0, idleFinished: 0, peakLive: 0, timeWentBackwards: 0 };
  private readonly index = new TupleIndex();
  private readonly open = new RecencyList();
  private readonly closed = new RecencyList();
  /**
   * Connections closed by a RST before both FINs (overByReset). Any segment on their 4-tuple after
   * 5 s of quiet starts a new connection (quietAfterReset), so they are over then: kept for the
   * whole TIME_WAIT span with the others, a port scan (one reset connection per port) kept every
   * connection of its last minute live.
   */
  private readonly reset = new RecencyList();
  private readonly onFinished: ConnectionHandler;
  private nextId: number;
  private nowUs = -Infinity;
  /** Finished connections and segments for reuse, when options.recycle. */
  private readonly pool: FlowPool | null;
  /**
   * Connections finished during the current add() or flush(): they join the pool only when it
   * returns, so code that still reads a connection it has just finished never sees it reused.
   */
  private readonly finishedNow: FlowConnection[] = [];

  /** `firstId` lets several tables (one per input) number connections without clashing. */
  constructor(onFinished: ConnectionHandler, options: Partial<FlowOptions> = {}, firstId = 1) {
    this.options = { ...DEFAULT_FLOW_OPTIONS, ...options };
    this.onFinished = onFinished;
    this.nextId = firstId;
    this.pool = this.options.recycle ? new FlowPool() : null;
  }

  get live(): number { return this.open.size + this.closed.size + this.reset.size; }

  private listOf(conn: FlowConnection): RecencyList {
    return !conn.closed ? this.open : conn.wasReset ? this.reset : this.closed;
  }

  /** Feeds one decoded packet (view.kind must be DecodeKind.Tcp). */
  add(view: PacketView, timeUs: number, packet: number, input = 0): void {
    if (view.kind !== DecodeKind.Tcp) return;
    if (timeUs < this.nowUs) this.stats.timeWentBackwards++;
    else this.nowUs = timeUs;
    this.expire();

    const hash = tupleHash(view);
    const found = this.index.find(view, hash);
    let conn = found;

    if (conn !== null && this.options.zeekBoundaries && zeekTimedOut(conn, timeUs)) {
      this.finish(conn, 'zeek-timeout');
      conn = null;
    } else if (conn !== null && quietAfterReset(conn, timeUs)) {
      this.finish(conn, 'closed-quiet');
      conn = null;
    }
    const isSyn = (view.flags & TCP_SYN) !== 0 && (view.flags & TCP_ACK) === 0;
    if (conn !== null && isSyn) {
      if (this.startsNewConnection(conn, this.index.foundDirection, view)) {
        // The old one is finished before the new one exists: making room for the new one must not
        // be able to evict the old one, which would finish it twice.
        const old = conn;
        old.reusedAtUs = timeUs;
        old.reusedById = this.nextId;
        this.finish(old, 'reused');
        this.stats.reused++;
        conn = this.create(view, hash, timeUs, packet, input);
        conn.previousId = old.id;
      }
    }
    if (conn === null) conn = this.create(view, hash, timeUs, packet, input);

    // The index already knows which way a found connection's packet goes.
    const dir: Dir = conn === found ? this.index.foundDirection : conn.directionOf(view);
    conn.update(view, dir, timeUs, packet, this.options.closeLogLimit);
    const from = this.listOf(conn);
    if (!conn.closed && conn.isClosed()) conn.closed = true;
    if (conn.closed && !conn.wasReset) conn.wasReset = overByReset(conn);
    const to = this.listOf(conn);
    // Consecutive packets of one connection leave the lists as they are (no neighbours touched).
    if (from !== to || to.newest !== conn) {
      from.remove(conn);
      to.append(conn);
    }
    if (this.finishedNow.length > 0) this.recycleFinished();
  }

  /**
   * Hands on every live connection (end of input) in id order. `endUs` is the input's last packet
   * time (any packet, not only TCP): connections were watched until then.
   */
  flush(endUs = -Infinity): void {
    for (const c of this.flushOrder(endUs)) this.finishAtEnd(c);
  }

  /**
   * flush() in two steps, for a caller that waits between connections (offload.ts): the live
   * connections in the order flush() hands them on, each then given to finishAtEnd().
   */
  flushOrder(endUs = -Infinity): FlowConnection[] {
    if (endUs > this.nowUs) this.nowUs = endUs;
    const all: FlowConnection[] = [];
    for (let c = this.open.oldest; c !== null; c = c.newer) all.push(c);
    for (let c = this.closed.oldest; c !== null; c = c.newer) all.push(c);
    for (let c = this.reset.oldest; c !== null; c = c.newer) all.push(c);
    return all.sort((x, y) => x.id - y.id);
  }

  finishAtEnd(c: FlowConnection): void {
    this.finish(c, 'capture-end');
    // One at a time into the pool: a flush finishes every live connection at once.
    if (this.finishedNow.length > 0) this.recycleFinished();
  }

  /**
   * A SYN on a live 4-tuple starts a new connection when the old one has closed (the kernel reuses
   * ports within seconds), or when its ISN is not the one already seen from that side; a
   * retransmitted SYN (same ISN) stays in the old one.
   */
  private startsNewConnection(conn: FlowConnection, dir: Dir, view: PacketView): boolean {
    // Once either side has sent FIN or RST, a SYN is a new attempt even with the same ISN (a
    // client retrying after a refusal; Zeek splits there too).
    const c = conn.dirs[0], s = conn.dirs[1];
    if (c.finUs >= 0 || s.finUs >= 0 || c.rstUs >= 0 || s.rstUs >= 0) return true;
    if (conn.isSameSyn(dir, view.seq)) return false;
    if (conn.dirs[dir].synCount > 0) return true;
    const mine = conn.dirs[dir], other = conn.dirs[dir === 0 ? 1 : 0];
    // RFC 9293 3.5 simultaneous open: the peer's SYN crosses an outstanding SYN.
    if (mine.packets === 0) return !(other.synCount > 0 && !other.synAck);
    // Picked up mid-stream: only the ISN just below the first byte we saw belongs to this
    // connection; any other SYN is a new one (ISNs advance ~15.6 M a second, so a reuse soon
    // after an unseen close lands near the old sequence space).
    return !(!mine.baseFromSyn && ((mine.baseSeq - 1) >>> 0) === view.seq);
  }

  private create(view: PacketView, hash: number, timeUs: number, packet: number, input: number): FlowConnection {
    let clientIsSource = true;
    let reason: RoleReason = 'first-sender';
    const syn = (view.flags & TCP_SYN) !== 0;
    const ack = (view.flags & TCP_ACK) !== 0;
    if (syn && !ack) reason = 'syn';
    else if (syn && ack) { reason = 'syn-ack'; clientIsSource = false; }
    else if (isServicePort(view.srcPort) && !isServicePort(view.dstPort)) {
      reason = 'well-known-port';
      clientIsSource = false;
    }
    // Room is made before the new connection joins the lists: when timestamps go backwards, the
    // new one can look the least recently active and would be evicted as it is created.
    if (this.live >= this.options.maxLive) this.evictOne();
    const spare = this.pool?.connections.pop();
    const conn = spare !== undefined
      ? spare.start(this.nextId++, input, view, clientIsSource, reason, timeUs, packet)
      : new FlowConnection(this.nextId++, input, view, clientIsSource, reason, timeUs, packet);
    if (spare === undefined && this.pool !== null) conn.useSegmentPool(this.pool.segments);
    conn.hash = hash;
    this.index.insert(conn);
    this.open.append(conn);
    this.stats.connections++;
    if (this.live > this.stats.peakLive) {
      this.stats.peakLive = this.live;
      if (this.live === MANY_LIVE) manyLiveConnections();
    }
    return conn;
  }

  /**
   * Finishes connections that are over: closed and quiet past TIME_WAIT (reset ones past 5 s, or
   * TIME_WAIT if shorter), or idle past the limit.
   */
  private expire(): void {
    const now = this.nowUs;
    this.expireClosed(this.closed, now, this.options.timeWaitUs);
    this.expireClosed(this.reset, now, Math.min(ZEEK_TIMER_US, this.options.timeWaitUs));
    let c = this.open.oldest;
    while (c !== null && now - c.lastUs > this.options.idleUs) {
      this.finish(c, 'idle');
      if (this.finishedNow.length > 0) this.recycleFinished();
      this.stats.idleFinished++;
      c = this.open.oldest;
    }
  }

  private expireClosed(list: RecencyList, now: number, quietUs: number): void {
    let c = list.oldest;
    while (c !== null && now - c.lastUs > quietUs) {
      this.finish(c, 'closed-quiet');
      // Nothing holds an expired connection: it may go back to the pool at once.
      if (this.finishedNow.length > 0) this.recycleFinished();
      c = list.oldest;
    }
  }

  private evictOne(): void {
    // The least recently active; on a tie a closed one before an open one.
    const r = this.reset.oldest, b = this.closed.oldest, a = this.open.oldest;
    let victim = r;
    if (b !== null && (victim === null || b.lastUs < victim.lastUs)) victim = b;
    if (a !== null && (victim === null || a.lastUs < victim.lastUs)) victim = a;
    if (victim === null) return;
    this.finish(victim, 'evicted');
    this.stats.evicted++;
  }

  private finish(conn: FlowConnection, reason: Connection['endReason']): void {
    this.listOf(conn).remove(conn);
    this.index.remove(conn);
    conn.endReason = reason;
    conn.observedUntilUs = Math.max(this.nowUs, conn.lastUs);
    this.onFinished(conn);
    if (this.pool !== null) this.finishedNow.push(conn);
  }

  private recycleFinished(): void {
    const finished = this.finishedNow;
    for (let i = 0; i < finished.length; i++) {
      finished[i].releaseSegments();
      this.pool!.connections.push(finished[i]);
    }
    // Popping is cheaper than `length = 0`, which is a runtime call.
    while (finished.length > 0) finished.pop();
  }
}
