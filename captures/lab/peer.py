#!/usr/bin/env python3
"""Scriptable TCP client and server for the capture lab (stdlib only).

    peer.py server --scenario NAME --port P [--count N] --log FILE
    peer.py client --scenario NAME --host H --port P [--repeat N --parallel K] --log FILE

Each scenario gives both sides a list of actions, run in order on one connection:

    connect            (client) connect to --host/--port; with --bind-port, bind that
                       local port first with SO_REUSEADDR
    send N             send N bytes (readable filler text)
    recv N             read until N bytes arrived (or EOF)
    recv-eof           read until EOF
    drain S            read whatever arrives for S seconds, without closing
    send-every N K S   send K chunks of N bytes, S seconds apart
    sleep S / hold S   wait (hold: the socket is deliberately left alone)
    at                 wait until the wall time given by --at (both sides agree on it)
    shutdown           shutdown(SHUT_WR): send FIN, keep reading
    linger0            SO_LINGER {on, 0}: the next close() aborts with RST
    close              close()
    http               (server) read one request; answer it; "Connection: close"
                       means close right after the answer, otherwise wait for the
                       client's EOF and close then
    req-close / req-keep  (client) send an HTTP-style request with Connection: close /
                       keep-alive and read the answer (the server decides from it)

Every action is logged as one JSON line (wall time, role, connection number, local and
remote address, what happened): that is the ground truth the README and
scenarios.json quote. Errors (ECONNRESET, EADDRNOTAVAIL, ...) are logged, not raised.
"""
import argparse
import errno
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

SCENARIOS = {
    # Issue A: plain closes used for decoding tests
    "client-first": {
        "client": ["connect", "send 120", "recv 600", "sleep 0.1", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "close"],
    },
    "server-first": {
        "client": ["connect", "send 120", "recv 600", "recv-eof", "close"],
        "server": ["recv 120", "send 600", "close"],
    },
    "bulk": {  # a few data segments each way, client closes first
        "client": ["connect", "send 3000", "recv 20000", "close"],
        "server": ["recv 3000", "send 20000", "recv-eof", "close"],
    },
    "midstream": {  # long enough for the capture to start after the handshake
        "client": ["connect", "send 100", "recv 300", "sleep 1.5", "send 100", "recv 300", "close"],
        "server": ["recv 100", "send 300", "recv 100", "send 300", "recv-eof", "close"],
    },
    "trickle": {  # server streams for ~2.4 s then closes first (spans rotated files)
        "client": ["connect", "send 120", "recv-eof", "close"],
        "server": ["recv 120", "send-every 600 9 0.3", "close"],
    },
    # Issue B: close shapes
    "four-way": {  # server closes 300 ms after EOF: its delayed ACK of the FIN goes alone
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "sleep 0.3", "close"],
    },
    "three-way": {  # server closes at once on EOF: its ACK rides on its FIN
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "close"],
    },
    "simultaneous": {
        "client": ["connect", "send 120", "recv 600", "at", "close"],
        "server": ["recv 120", "send 600", "at", "close"],
    },
    "half-close": {
        "client": ["connect", "send 120", "shutdown", "recv-eof", "close"],
        "server": ["recv-eof", "send-every 1000 6 0.2", "close"],
    },
    "missing-peer-fin": {  # server never closes (until killed after the capture)
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "hold 60"],
    },
    "fin-wait-2-timeout": {  # client orphaned in FIN_WAIT_2; server speaks 6 s later
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "sleep 6", "send 200", "sleep 0.5", "close"],
    },
    "long-close-wait": {
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "sleep 3", "close"],
    },
    "client-close-wait-server": {  # server closes 0.1 s after EOF (used with drops)
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "sleep 0.1", "close"],
    },
    "client-close-server-holds": {  # server only reads; closes 8 s later (after capture)
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "drain 8", "close"],
    },
    "abortive": {
        "client": ["connect", "send 120", "recv 600", "linger0", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "close"],
    },
    "close-unread": {  # client sends a second request the server never reads, server closes
        "client": ["connect", "send 120", "recv 600", "send 80", "sleep 0.3", "recv-eof", "close"],
        "server": ["recv 120", "send 600", "sleep 0.15", "close"],
    },
    "reset-after-fin": {  # client half-closes, then closes with the server's late data unread
        "client": ["connect", "send 120", "recv 600", "shutdown", "sleep 0.3", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "sleep 0.1", "send 400", "sleep 0.4",
                   "send 400", "sleep 0.3", "close"],
    },
    "reuse": {  # same client port twice (--bind-port), client closes first
        "client": ["connect", "send 120", "recv 600", "close"],
        "server": ["recv 120", "send 600", "recv-eof", "close"],
    },
    "idle": {  # established and left alone
        "client": ["connect", "send 120", "recv 600", "hold 60"],
        "server": ["recv 120", "send 600", "hold 60"],
    },
    "syn-only": {
        "client": ["connect"],
        "server": [],
    },
    "http": {
        "client": ["req-close"],
        "server": ["http"],
    },
    "http-keep": {  # client closes first (keeps TIME_WAIT on the client)
        "client": ["req-keep"],
        "server": ["http"],
    },
    "http-mix": {  # even iterations: server closes first; odd: client closes first
        "client": ["req-close|req-keep"],
        "server": ["http"],
    },
}

FILLER = (b"finscope lab payload: the quick brown fox jumps over the lazy dog 0123456789\n" * 64)


def filler(n):
    out = FILLER
    while len(out) < n:
        out += FILLER
    return out[:n]


class Log:
    def __init__(self, path, role, scenario):
        self.f = open(path, "a") if path else None
        self.role = role
        self.scenario = scenario
        self.lock = threading.Lock()

    def __call__(self, conn, op, sock=None, **kw):
        rec = {"t": round(time.time(), 6), "role": self.role, "scenario": self.scenario, "conn": conn, "op": op}
        if sock is not None:
            try:
                la = sock.getsockname()
                rec["local"] = "%s:%d" % (la[0], la[1])
            except OSError:
                pass
            try:
                ra = sock.getpeername()
                rec["remote"] = "%s:%d" % (ra[0], ra[1])
            except OSError:
                pass
        rec.update(kw)
        line = json.dumps(rec)
        with self.lock:
            if self.f:
                self.f.write(line + "\n")
                self.f.flush()
            else:
                print(line, flush=True)


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if isinstance(e, OSError) and e.errno else type(e).__name__


def recv_n(sock, n):
    got = 0
    while got < n:
        b = sock.recv(min(65536, n - got))
        if not b:
            return got, True
        got += len(b)
    return got, False


def recv_eof(sock):
    got = 0
    while True:
        b = sock.recv(65536)
        if not b:
            return got
        got += len(b)


def read_request(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        b = sock.recv(4096)
        if not b:
            break
        buf += b
    return buf


def run_actions(actions, sock, log, conn, args, iteration):
    """Run one connection's actions. Returns the socket (or None once closed)."""
    fam = socket.AF_INET6 if ":" in (args.host or "") else socket.AF_INET
    for act in actions:
        if "|" in act:  # alternatives chosen by iteration number
            choices = act.split("|")
            act = choices[iteration % len(choices)]
        parts = act.split()
        op, rest = parts[0], parts[1:]
        try:
            if op == "connect":
                sock = socket.socket(fam, socket.SOCK_STREAM)
                if args.bind_port:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.bind(("", args.bind_port))
                    log(conn, "bind", sock, port=args.bind_port, reuseaddr=True)
                t0 = time.time()
                sock.connect((args.host, args.port))
                log(conn, "connect", sock, started=round(t0, 6))
            elif op == "send":
                n = int(rest[0])
                sock.sendall(filler(n))
                log(conn, "send", sock, bytes=n)
            elif op == "send-every":
                n, k, gap = int(rest[0]), int(rest[1]), float(rest[2])
                for i in range(k):
                    sock.sendall(filler(n))
                    log(conn, "send", sock, bytes=n, chunk=i + 1)
                    if i + 1 < k:
                        time.sleep(gap)
            elif op == "recv":
                got, eof = recv_n(sock, int(rest[0]))
                log(conn, "recv", sock, bytes=got, eof=eof)
            elif op == "recv-eof":
                got = recv_eof(sock)
                log(conn, "eof", sock, bytes=got)
            elif op == "drain":
                end = time.time() + float(rest[0])
                got = 0
                eof = False
                while not eof and time.time() < end:
                    r, _, _ = select.select([sock], [], [], max(0, end - time.time()))
                    if r:
                        b = sock.recv(65536)
                        got += len(b)
                        eof = not b
                log(conn, "drained", sock, bytes=got, eof=eof)
            elif op in ("sleep", "hold"):
                time.sleep(float(rest[0]))
                log(conn, op, sock, seconds=float(rest[0]))
            elif op == "at":
                delay = args.at - time.time()
                if delay > 0:
                    time.sleep(delay)
                log(conn, "at", sock, target=args.at)
            elif op == "shutdown":
                log(conn, "shutdown-wr", sock)
                sock.shutdown(socket.SHUT_WR)
            elif op == "linger0":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                log(conn, "so-linger-0", sock)
            elif op == "close":
                log(conn, "close", sock)
                sock.close()
                sock = None
            elif op == "http":
                req = read_request(sock)
                first = req.split(b"\r\n", 1)[0].decode("latin-1")
                keep = b"connection: keep-alive" in req.lower()
                size = 300 + (conn % 7) * 150
                body = filler(size)
                head = ("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n"
                        % (size, "keep-alive" if keep else "close")).encode()
                sock.sendall(head + body)
                log(conn, "http-answer", sock, request=first, keep_alive=keep, bytes=len(head) + size)
                if keep:
                    got = recv_eof(sock)
                    log(conn, "eof", sock, bytes=got)
                log(conn, "close", sock)
                sock.close()
                sock = None
            elif op in ("req-close", "req-keep"):
                keep = op == "req-keep"
                sock = socket.socket(fam, socket.SOCK_STREAM)
                t0 = time.time()
                sock.connect((args.host, args.port))
                log(conn, "connect", sock, started=round(t0, 6))
                req = ("GET /item/%d HTTP/1.1\r\nHost: fss\r\nConnection: %s\r\n\r\n"
                       % (conn, "keep-alive" if keep else "close")).encode()
                sock.sendall(req)
                head = b""
                while b"\r\n\r\n" not in head:
                    b = sock.recv(4096)
                    if not b:
                        break
                    head += b
                hdr, _, body = head.partition(b"\r\n\r\n")
                length = 0
                for line in hdr.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                if len(body) < length:
                    recv_n(sock, length - len(body))
                if keep:
                    log(conn, "close", sock, first="client")
                    sock.close()
                else:
                    got = recv_eof(sock)
                    log(conn, "eof", sock, bytes=got)
                    log(conn, "close", sock, first="server")
                    sock.close()
                sock = None
            else:
                raise ValueError("unknown action " + op)
        except (OSError, ValueError) as e:
            log(conn, "error", sock, action=act, error=err_name(e), detail=str(e))
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
            return None
    return sock


def server(args, log):
    sc = SCENARIOS[args.scenario]
    fam = socket.AF_INET6 if ":" in args.listen else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.listen, args.port))
    ls.listen(512)
    log(0, "listen", ls)
    if args.ready:
        open(args.ready, "w").close()
    threads = []
    held = []
    n = 0
    while args.count == 0 or n < args.count:
        c, _ = ls.accept()
        n += 1
        log(n, "accept", c)

        def handle(c=c, n=n):
            s = run_actions(sc["server"], c, log, n, args, n)
            if s is not None:
                held.append(s)  # scenario leaves it open; it dies with the process

        t = threading.Thread(target=handle, daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    log(0, "server-exit", None, connections=n)


def client(args, log):
    sc = SCENARIOS[args.scenario]
    held = []
    counter = iter(range(1, args.repeat + 1))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            s = run_actions(sc["client"], None, log, i, args, i)
            if s is not None:
                held.append(s)
            if args.gap:
                time.sleep(args.gap)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log(0, "client-exit", None, connections=args.repeat)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("role", choices=["client", "server"])
    ap.add_argument("--scenario", required=True, choices=sorted(SCENARIOS))
    ap.add_argument("--host", default="10.10.0.2")
    ap.add_argument("--listen", default="0.0.0.0")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--bind-port", type=int, default=0)
    ap.add_argument("--count", type=int, default=0, help="server: exit after N connections (0 = never)")
    ap.add_argument("--repeat", type=int, default=1, help="client: connections to make")
    ap.add_argument("--parallel", type=int, default=1, help="client: concurrent workers")
    ap.add_argument("--gap", type=float, default=0.0, help="client: pause between a worker's connections")
    ap.add_argument("--at", type=float, default=0.0, help="wall time for the 'at' action")
    ap.add_argument("--log", help="JSON-lines ground-truth log (default stdout)")
    ap.add_argument("--ready", help="server: file to create once listening")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # die *by* SIGINT (not KeyboardInterrupt + exit 1), so a Ctrl-C reaches make-captures.sh's trap
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    log = Log(args.log, args.role, args.scenario)
    (server if args.role == "server" else client)(args, log)


if __name__ == "__main__":
    main()
