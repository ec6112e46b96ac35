// The connection table's index: 4-tuple -> live connection, as an open-addressing hash table over
// typed arrays (linear probing, backward-shift deletion, no tombstones). Each slot holds the tuple
// itself, so a lookup compares a few words in one contiguous array instead of following the
// connection object to its address arrays: with tens of thousands of live connections those
// objects are out of cache, and the Map plus chain walk it replaces cost a fifth of the flow
// stage (measured on the 3 M-packet loopback capture).

import type { PacketView } from '../decode/packet-view.js';
import type { FlowConnection } from './connection.js';
import type { Dir } from './types.js';

/** Words of a slot's key: client address (4), server address (4), client port << 16 | server port. */
const KEY_WORDS = 9;
const K_SERVER = 4;
const K_PORTS = 8;
/** Hashes are 30-bit and non-negative, so -1 marks an empty slot. */
const EMPTY = -1;
const INITIAL_CAPACITY = 1024;

/** Symmetric 30-bit hash of a 4-tuple: both directions get the same value. */
export function tupleHash(view: PacketView): number {
  const s = view.src, d = view.dst;
  let hs = Math.imul(s[0] ^ Math.imul(s[1], 0x9e3779b1) ^ Math.imul(s[2], 0x85ebca6b) ^ Math.imul(s[3], 0xc2b2ae35), 0x27d4eb2f);
  hs ^= Math.imul(view.srcPort + 1, 0x165667b1);
  let hd = Math.imul(d[0] ^ Math.imul(d[1], 0x9e3779b1) ^ Math.imul(d[2], 0x85ebca6b) ^ Math.imul(d[3], 0xc2b2ae35), 0x27d4eb2f);
  hd ^= Math.imul(view.dstPort + 1, 0x165667b1);
  let h = hs ^ hd;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h & 0x3fffffff;
}

export class TupleIndex {
  private mask = INITIAL_CAPACITY - 1;
  private count = 0;
  /** Per slot: the tuple's hash, or EMPTY. */
  private hashes = new Int32Array(INITIAL_CAPACITY).fill(EMPTY);
  /** Per slot: KEY_WORDS words of the tuple, in the connection's client/server order. */
  private keys = new Uint32Array(INITIAL_CAPACITY * KEY_WORDS);
  private conns: (FlowConnection | null)[] = new Array<FlowConnection | null>(INITIAL_CAPACITY).fill(null);
  /** Direction of the packet last found by find(): 0 when it goes client -> server. */
  foundDirection: Dir = 0;

  /** The live connection of the packet's 4-tuple (either direction), or null. */
  find(view: PacketView, hash: number): FlowConnection | null {
    const hashes = this.hashes, mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const h = hashes[i];
      if (h === EMPTY) return null;
      if (h !== hash) continue;
      if (this.keyMatches(i, view, 0)) {
        this.foundDirection = 0;
        return this.conns[i];
      }
      if (this.keyMatches(i, view, 1)) {
        this.foundDirection = 1;
        return this.conns[i];
      }
    }
  }

  /** Adds a connection whose tuple is not in the index; `conn.hash` must be its tupleHash. */
  insert(conn: FlowConnection): void {
    // At most half full: probe runs stay short.
    if (2 * (this.count + 1) > this.hashes.length) this.grow();
    this.place(conn);
    this.count++;
  }

  /** Removes a connection (no-op when it is not in the index). */
  remove(conn: FlowConnection): void {
    const hashes = this.hashes, conns = this.conns, mask = this.mask;
    let hole = conn.hash & mask;
    while (conns[hole] !== conn) {
      if (hashes[hole] === EMPTY) return;
      hole = (hole + 1) & mask;
    }
    // Backward shift: pull later entries of the run into the hole when their home slot allows it,
    // so that every entry stays reachable from its home without tombstones.
    for (let j = (hole + 1) & mask; hashes[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashes[j] & mask;
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        this.moveSlot(j, hole);
        hole = j;
      }
    }
    hashes[hole] = EMPTY;
    conns[hole] = null;
    this.count--;
  }

  /** Whether slot i holds the packet's tuple with the packet going `dir` (0: client -> server). */
  private keyMatches(i: number, view: PacketView, dir: Dir): boolean {
    const k = this.keys, at = i * KEY_WORDS;
    const sender = dir === 0 ? view.src : view.dst, receiver = dir === 0 ? view.dst : view.src;
    const senderPort = dir === 0 ? view.srcPort : view.dstPort, receiverPort = dir === 0 ? view.dstPort : view.srcPort;
    const c = at, sv = at + K_SERVER;
    return ((senderPort << 16) | receiverPort) >>> 0 === k[at + K_PORTS] &&
      sender[0] === k[c] && sender[1] === k[c + 1] && sender[2] === k[c + 2] && sender[3] === k[c + 3] &&
      receiver[0] === k[sv] && receiver[1] === k[sv + 1] && receiver[2] === k[sv + 2] && receiver[3] === k[sv + 3];
  }

  /** Writes a connection into the first free slot of its probe run. */
  private place(conn: FlowConnection): void {
    const i = this.freeSlot(conn.hash);
    this.hashes[i] = conn.hash;
    this.conns[i] = conn;
    const k = this.keys, at = i * KEY_WORDS, client = conn.addrs[0], server = conn.addrs[1];
    for (let w = 0; w < 4; w++) {
      k[at + w] = client[w];
      k[at + K_SERVER + w] = server[w];
    }
    k[at + K_PORTS] = ((conn.ports[0] << 16) | conn.ports[1]) >>> 0;
  }

  private freeSlot(hash: number): number {
    const hashes = this.hashes, mask = this.mask;
    let i = hash & mask;
    while (hashes[i] !== EMPTY) i = (i + 1) & mask;
    return i;
  }

  private moveSlot(from: number, to: number): void {
    this.hashes[to] = this.hashes[from];
    this.conns[to] = this.conns[from];
    this.keys.copyWithin(to * KEY_WORDS, from * KEY_WORDS, (from + 1) * KEY_WORDS);
  }

  /** Doubles the capacity, moving the slots from the old arrays (the connections stay untouched). */
  private grow(): void {
    const oldHashes = this.hashes, oldKeys = this.keys, oldConns = this.conns;
    const capacity = oldHashes.length * 2;
    this.mask = capacity - 1;
    this.hashes = new Int32Array(capacity).fill(EMPTY);
    this.keys = new Uint32Array(capacity * KEY_WORDS);
    this.conns = new Array<FlowConnection | null>(capacity).fill(null);
    for (let from = 0; from < oldHashes.length; from++) {
      const hash = oldHashes[from];
      if (hash === EMPTY) continue;
      const to = this.freeSlot(hash);
      this.hashes[to] = hash;
      this.conns[to] = oldConns[from];
      for (let w = 0; w < KEY_WORDS; w++) this.keys[to * KEY_WORDS + w] = oldKeys[from * KEY_WORDS + w];
    }
  }
}
