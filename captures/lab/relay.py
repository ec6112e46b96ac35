#!/usr/bin/env python3
"""A userspace "wire" between two interfaces, for a lab without netem or 8021q.

Runs inside the relay namespace with two AF_PACKET sockets. Every frame received on
one interface is sent out of the other after a fixed one-way delay (frame order is
kept: one FIFO per direction, and copies scheduled later go through a heap).

Side A is the client side, side B the server side; "c2s" means received on A.

Options beyond delay:
  --tag-a / --tag-b VLANS   frames sent out of that side get 802.1Q tags pushed
                            ("100" = one 0x8100 tag; "200,100" = QinQ: 0x88a8 outer
                            tag 200, then 0x8100 inner tag 100); tags on frames
                            received from that side are popped. Two relays chained
                            through a "trunk" veth therefore give a link that really
                            carries tagged frames both ways, while the hosts see
                            untagged Ethernet.
  --rule SPEC               scripted loss or duplication, see Rule below.
  --log FILE                one JSON line per dropped / duplicated frame (ground truth).

The kernel's receive path removes the outer VLAN tag from the data and reports it as
auxiliary data; since a popping side wants it gone anyway, the relay simply strips any
tags still present in the data.
"""
import argparse
import heapq
import json
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
TPID_8021Q = 0x8100
TPID_8021AD = 0x88A8

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20, "E": 0x40, "C": 0x80}


def parse_tcp(frame):
    """Return a dict with the TCP fields of an Ethernet frame, or None."""
    off = 12
    (etype,) = struct.unpack_from("!H", frame, off)
    off += 2
    while etype in (TPID_8021Q, TPID_8021AD) and len(frame) >= off + 4:
        (etype,) = struct.unpack_from("!H", frame, off + 2)
        off += 4
    if etype == 0x0800:
        if len(frame) < off + 20:
            return None
        ihl = (frame[off] & 0x0F) * 4
        (total,) = struct.unpack_from("!H", frame, off + 2)
        proto = frame[off + 9]
        src, dst = frame[off + 12:off + 16], frame[off + 16:off + 20]
        l4 = off + ihl
        l4_len = total - ihl
    elif etype == 0x86DD:
        if len(frame) < off + 40:
            return None
        (plen,) = struct.unpack_from("!H", frame, off + 4)
        proto = frame[off + 6]
        src, dst = frame[off + 8:off + 24], frame[off + 24:off + 40]
        l4 = off + 40
        l4_len = plen
    else:
        return None
    if proto != 6 or len(frame) < l4 + 20:
        return None
    sport, dport, seq, ack, doff_flags = struct.unpack_from("!HHIIH", frame, l4)
    doff = (doff_flags >> 12) * 4
    return {
        "key": (src, sport, dst, dport),
        "sport": sport,
        "dport": dport,
        "seq": seq,
        "ack": ack,
        "flags": doff_flags & 0xFF,
        "len": l4_len - doff,
    }


def flag_str(flags):
    return "".join(k for k, v in FLAG_BITS.items() if flags & v)


class Rule:
    """SPEC = ACTION:key=value,key=value...

    ACTION  drop | dup
    dir     c2s | s2c (required)
    flags   letters that must all be set (F S R P A), e.g. flags=F
    noflags letters that must all be clear, e.g. noflags=SFR
    data    1 = payload length > 0, 0 = no payload
    ackfin  1 = the segment acknowledges the FIN the other direction sent (ack == fin seq + 1)
    after   DIR:LETTERS = only once a frame with those flags was seen in DIR (e.g. after=c2s:F)
    nth     which matches to act on, 1-based: "1", "1+2", "2-5", "all" (default 1)
    delay   dup only: seconds after the original when the copy is sent (default 1.0)

    Rules are evaluated in order; every matching rule counts the frame.
    """

    def __init__(self, spec):
        self.spec = spec
        action, _, rest = spec.partition(":")
        if action not in ("drop", "dup"):
            raise ValueError("rule action must be drop or dup: " + spec)
        self.action = action
        kv = dict(p.split("=", 1) for p in rest.split(",") if p)
        self.dir = kv.get("dir")
        if self.dir not in ("c2s", "s2c"):
            raise ValueError("rule needs dir=c2s|s2c: " + spec)
        self.flags = sum(FLAG_BITS[c] for c in kv.get("flags", ""))
        self.noflags = sum(FLAG_BITS[c] for c in kv.get("noflags", ""))
        self.data = kv.get("data")
        self.ackfin = kv.get("ackfin") == "1"
        self.after = None
        if "after" in kv:
            d, _, f = kv["after"].partition(":")
            self.after = (d, sum(FLAG_BITS[c] for c in f))
        self.delay = float(kv.get("delay", "1.0"))
        nth = kv.get("nth", "1")
        if nth == "all":
            self.nth = None
        else:
            self.nth = set()
            for part in nth.split("+"):
                if "-" in part:
                    lo, hi = part.split("-")
                    self.nth.update(range(int(lo), int(hi) + 1))
                else:
                    self.nth.add(int(part))
        self.count = 0

    def matches(self, direction, tcp, state):
        if direction != self.dir or tcp is None:
            return False
        if tcp["flags"] & self.flags != self.flags or tcp["flags"] & self.noflags:
            return False
        if self.data == "1" and tcp["len"] <= 0:
            return False
        if self.data == "0" and tcp["len"] > 0:
            return False
        if self.ackfin:
            other = "s2c" if direction == "c2s" else "c2s"
            fin_end = state["fin_end"].get((other, tcp["key"][2], tcp["key"][3], tcp["key"][0], tcp["key"][1]))
            if fin_end is None or tcp["ack"] != fin_end:
                return False
        if self.after is not None and not state["seen"].get(self.after):
            return False
        self.count += 1
        return self.nth is None or self.count in self.nth


def vlan_push(frame, tags):
    """tags: list of VLAN ids, outermost first; more than one gives QinQ (0x88a8 outer)."""
    hdr = b""
    for i, vid in enumerate(tags):
        tpid = TPID_8021AD if (len(tags) > 1 and i < len(tags) - 1) else TPID_8021Q
        hdr += struct.pack("!HH", tpid, vid & 0x0FFF)
    return frame[:12] + hdr + frame[12:]


def vlan_pop(frame):
    while len(frame) >= 18 and struct.unpack_from("!H", frame, 12)[0] in (TPID_8021Q, TPID_8021AD):
        frame = frame[:12] + frame[16:]
    return frame


def open_sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    s.bind((ifname, ETH_P_ALL))
    s.setblocking(False)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", required=True, help="client-side interface")
    ap.add_argument("--b", required=True, help="server-side interface")
    ap.add_argument("--delay", type=float, default=0.020, help="one-way delay in seconds (default 0.020)")
    ap.add_argument("--tag-a", default="", help="VLAN ids pushed on frames sent out of A (popped on receive)")
    ap.add_argument("--tag-b", default="", help="VLAN ids pushed on frames sent out of B (popped on receive)")
    ap.add_argument("--rule", action="append", default=[], help="drop/dup rule, see Rule")
    ap.add_argument("--log", help="JSON-lines log of rule actions")
    ap.add_argument("--ready", help="file to create once the sockets are bound")
    args = ap.parse_args()

    tags = {
        "a": [int(x) for x in args.tag_a.split(",") if x],
        "b": [int(x) for x in args.tag_b.split(",") if x],
    }
    rules = [Rule(r) for r in args.rule]
    log = open(args.log, "a") if args.log else None
    sa, sb = open_sock(args.a), open_sock(args.b)
    # side received on -> (direction, out socket, out side)
    route = {sa.fileno(): ("c2s", sa, sb, "a", "b"), sb.fileno(): ("s2c", sb, sa, "b", "a")}
    state = {"fin_end": {}, "seen": {}}
    queue = []  # (due, serial, out socket, frame)
    serial = 0
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if args.ready:
        open(args.ready, "w").close()

    def note(kind, direction, tcp, extra=None):
        if not log:
            return
        rec = {"t": round(time.time(), 6), "action": kind, "dir": direction}
        if tcp:
            rec.update(sport=tcp["sport"], dport=tcp["dport"], seq=tcp["seq"], ack=tcp["ack"],
                       flags=flag_str(tcp["flags"]), len=tcp["len"])
        if extra:
            rec.update(extra)
        log.write(json.dumps(rec) + "\n")
        log.flush()

    while not stop:
        now = time.monotonic()
        timeout = max(0.0, queue[0][0] - now) if queue else 0.5
        try:
            readable, _, _ = select.select([sa, sb], [], [], timeout)
        except InterruptedError:
            continue
        for s in readable:
            direction, _, out, in_side, out_side = route[s.fileno()]
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                except OSError as e:  # ENETDOWN while links come up or go away
                    print("relay: recv: %s" % e, file=sys.stderr)
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue  # our own transmissions, seen again by the tap
                arrived = time.monotonic()
                if tags[in_side]:
                    frame = vlan_pop(frame)
                tcp = parse_tcp(frame)
                verdict = "pass"
                dup_delays = []
                for r in rules:
                    if r.matches(direction, tcp, state):
                        if r.action == "drop":
                            verdict = "drop"
                        else:
                            dup_delays.append(r.delay)
                if tcp is not None:
                    k = tcp["key"]
                    if tcp["flags"] & FLAG_BITS["F"]:
                        state["fin_end"][(direction,) + k] = (tcp["seq"] + tcp["len"] + 1) & 0xFFFFFFFF
                    for r in rules:
                        if r.after and r.after[0] == direction and tcp["flags"] & r.after[1] == r.after[1]:
                            state["seen"][r.after] = True
                if tags[out_side]:
                    frame = vlan_push(frame, tags[out_side])
                if verdict == "drop":
                    note("drop", direction, tcp)
                else:
                    serial += 1
                    heapq.heappush(queue, (arrived + args.delay, serial, out, frame))
                for d in dup_delays:
                    serial += 1
                    heapq.heappush(queue, (arrived + args.delay + d, serial, out, frame))
                    note("dup", direction, tcp, {"copy_after_s": d})
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError as e:
                print("relay: send failed: %s" % e, file=sys.stderr)
    if log:
        log.close()


if __name__ == "__main__":
    main()
