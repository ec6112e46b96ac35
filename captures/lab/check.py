#!/usr/bin/env python3
"""Checks that every capture shows what scenarios.json says it shows.

    python3 captures/lab/check.py [captures-dir]

Run by make-captures.sh after each run (timer jitter could, in principle, change a shape:
e.g. FINs that should cross not crossing). Reads the files with tshark; exits 1 on a failure.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from summarize import tshark_rows  # noqa: E402

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
HERE = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rows(name):
    """tshark rows with dir = c2s/s2c (client = 10.10.0.1 / fd00::1)."""
    path = os.path.join(HERE, name)
    paths = [path]
    if os.path.isdir(path):
        paths = sorted((os.path.join(path, f) for f in os.listdir(path)),
                       key=lambda p: int(os.path.basename(p).split("-")[1].split(".")[0]))
    rs = tshark_rows(paths)
    for r in rs:
        r["dir"] = "c2s" if r["src"] in ("10.10.0.1", "fd00::1") else "s2c"
    return rs


def fins(rs, d):
    return [r for r in rs if r["dir"] == d and r["flags"] & FIN]


def rsts(rs, d):
    return [r for r in rs if r["dir"] == d and r["flags"] & RST]


def fin_seq(r):
    return (r["seq"] + r["len"]) & 0xFFFFFFFF


def count(name, display_filter):
    out = subprocess.run(["tshark", "-n", "-r", os.path.join(HERE, name), "-Y", display_filter],
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def main():
    meta = {e["file"]: e for e in json.load(open(os.path.join(HERE, "scenarios.json")))}
    checks = {}

    def check(name):
        def deco(f):
            checks[name] = f
            return f
        return deco

    def conns(name):
        return meta[name]["observed"]["connections"]

    @check("close-client-first.pcap")
    def _(rs):
        assert len(conns("close-client-first.pcap")) == 1
        assert fins(rs, "c2s")[0]["t"] < fins(rs, "s2c")[0]["t"] and not rsts(rs, "c2s") + rsts(rs, "s2c")

    @check("close-client-first.pcap.gz")
    def _(rs):
        assert meta["close-client-first.pcap.gz"]["format"] == "pcap.gz" and len(fins(rs, "c2s")) == 1

    @check("close-server-first.pcap")
    def _(rs):
        assert fins(rs, "s2c")[0]["t"] < fins(rs, "c2s")[0]["t"]

    @check("ipv6.pcap")
    def _(rs):
        assert meta["ipv6.pcap"]["family"] == "ipv6" and any(r["len"] == 1428 for r in rs)

    @check("any-sll2.pcap")
    def _(rs):
        assert meta["any-sll2.pcap"]["linkTypeNumber"] == 276 and fins(rs, "c2s")

    @check("any-sll.pcap")
    def _(rs):
        assert meta["any-sll.pcap"]["linkTypeNumber"] == 113 and fins(rs, "c2s")

    @check("dumpcap.pcapng")
    def _(rs):
        assert meta["dumpcap.pcapng"]["format"] == "pcapng" and fins(rs, "c2s")

    @check("dumpcap-two-interfaces.pcapng")
    def _(rs):
        assert {r["ifc"] for r in rs} == {"0", "1"} and len(fins(rs, "c2s")) == 2

    @check("nano.pcap")
    def _(rs):
        assert meta["nano.pcap"]["timestampPrecision"] == "nano"

    @check("vlan.pcap")
    def _(rs):
        assert count("vlan.pcap", "vlan.id == 100") == count("vlan.pcap", "frame") > 0
        assert {r["dir"] for r in rs} == {"c2s", "s2c"}

    @check("qinq.pcap")
    def _(rs):
        n = count("qinq.pcap", "frame")
        assert count("qinq.pcap", "eth.type == 0x88a8 && ieee8021ad.id == 200 && vlan.id == 100") == n > 0

    @check("truncated.pcap")
    def _(rs):
        cut = meta["truncated.pcap"]["groundTruth"]["cut"]
        assert os.path.getsize(os.path.join(HERE, "truncated.pcap")) == cut["cut_at_byte"]
        assert len(rs) == cut["complete_records_kept"] - 0 or len(rs) <= cut["complete_records_kept"]

    @check("snaplen-80.pcap")
    def _(rs):
        out = subprocess.run(["tshark", "-n", "-r", os.path.join(HERE, "snaplen-80.pcap"), "-T", "fields",
                              "-e", "frame.cap_len", "-e", "frame.len"], capture_output=True, text=True).stdout
        lens = [tuple(map(int, l.split())) for l in out.splitlines()]
        assert max(c for c, _ in lens) == 80 and any(w > 1000 for _, w in lens) and fins(rs, "c2s")

    @check("busy.pcap")
    def _(rs):
        o = meta["busy.pcap"]["observed"]
        assert o["connections"] >= 500 and o["maxConnectionsOnOneFourTuple"] >= 3
        assert o["firstFinFromClient"] > 100 and o["firstFinFromServer"] > 100 and o["withRst"] == 0

    @check("midstream.pcap")
    def _(rs):
        assert not any(r["flags"] & SYN for r in rs) and fins(rs, "c2s") and any(r["len"] for r in rs)

    @check("rotated/")
    def _(rs):
        assert len(meta["rotated/"]["files"]) >= 3
        assert rs[0]["flags"] & SYN and fins(rs, "s2c")

    @check("four-way-close.pcap")
    def _(rs):
        cf, sf = fins(rs, "c2s")[0], fins(rs, "s2c")[0]
        acks = [r for r in rs if r["dir"] == "s2c" and not r["flags"] & FIN and r["ack"] == fin_seq(cf) + 1]
        assert acks and acks[0]["t"] < sf["t"] and sf["t"] - cf["t"] > 0.25

    @check("three-way-close.pcap")
    def _(rs):
        cf, sf = fins(rs, "c2s")[0], fins(rs, "s2c")[0]
        assert sf["ack"] == fin_seq(cf) + 1
        assert not [r for r in rs if r["dir"] == "s2c" and not r["flags"] & FIN and r["ack"] == fin_seq(cf) + 1]

    @check("simultaneous-close.pcap")
    def _(rs):
        cf, sf = fins(rs, "c2s")[0], fins(rs, "s2c")[0]
        assert sf["ack"] == fin_seq(cf), "server FIN must not ack the client FIN (FINs crossed)"
        assert cf["ack"] == fin_seq(sf), "client FIN must not ack the server FIN"
        snaps = meta["simultaneous-close.pcap"]["groundTruth"]["kernelSockets"]
        assert all(any("TIME-WAIT" in s for s in sn["sockets"]) for sn in snaps)

    @check("half-close.pcap")
    def _(rs):
        cf = fins(rs, "c2s")[0]
        assert sum(r["len"] for r in rs if r["dir"] == "s2c" and r["t"] > cf["t"]) >= 6000

    @check("lost-final-ack-client.pcap")
    def _(rs):
        sf = fins(rs, "s2c")
        assert len(sf) == 2 and sf[0]["seq"] == sf[1]["seq"]
        acks = [r for r in rs if r["dir"] == "c2s" and not r["flags"] & FIN and r["ack"] == fin_seq(sf[0]) + 1]
        assert len(acks) == 2 and acks[0]["t"] < sf[1]["t"] < acks[1]["t"]

    @check("lost-final-ack-server.pcap")
    def _(rs):
        sf = fins(rs, "s2c")
        acks = [r for r in rs if r["dir"] == "c2s" and not r["flags"] & FIN and r["ack"] == fin_seq(sf[0]) + 1]
        assert len(sf) == 2 and len(acks) == 1 and acks[0]["t"] > sf[1]["t"]

    @check("missing-peer-fin.pcap")
    def _(rs):
        assert fins(rs, "c2s") and not fins(rs, "s2c") and not rsts(rs, "c2s") + rsts(rs, "s2c")
        assert rs[-1]["t"] - fins(rs, "c2s")[0]["t"] < 0.2  # nothing after the ACK of the FIN

    @check("fin-wait-2-timeout-rst.pcap")
    def _(rs):
        cf, r = fins(rs, "c2s")[0], rsts(rs, "c2s")
        assert not fins(rs, "s2c") and len(r) == 1 and r[0]["flags"] == RST and r[0]["t"] - cf["t"] > 3

    @check("long-close-wait.pcap")
    def _(rs):
        assert fins(rs, "s2c")[0]["t"] - fins(rs, "c2s")[0]["t"] > 2.9

    @check("fin-retransmitted.pcap")
    def _(rs):
        cf = fins(rs, "c2s")
        assert len(cf) == 3 and len({r["seq"] for r in cf}) == 1 and fins(rs, "s2c")[0]["t"] > cf[2]["t"]
        nft = meta["fin-retransmitted.pcap"]["groundTruth"]["nftables"]["fss"]
        assert [r["counter"]["packets"] for r in nft] == [3, 2]

    @check("fin-unacked.pcap")
    def _(rs):
        cf = fins(rs, "c2s")
        assert len(cf) >= 5 and len({r["seq"] for r in cf}) == 1
        assert not [r for r in rs if r["dir"] == "s2c" and r["t"] > cf[0]["t"]]

    @check("abortive-close.pcap")
    def _(rs):
        r = rsts(rs, "c2s")
        assert not fins(rs, "c2s") + fins(rs, "s2c") and len(r) == 1 and r[0]["flags"] == RST | ACK

    @check("close-unread-data.pcap")
    def _(rs):
        r = rsts(rs, "s2c")
        assert not fins(rs, "c2s") + fins(rs, "s2c") and len(r) == 1 and r[0]["flags"] == RST | ACK

    @check("reset-after-fin.pcap")
    def _(rs):
        cf, r = fins(rs, "c2s"), rsts(rs, "c2s")
        assert cf and r and r[0]["t"] > cf[0]["t"] and r[0]["flags"] == RST | ACK and not fins(rs, "s2c")

    @check("time-wait-reuse.pcap")
    def _(rs):
        c = conns("time-wait-reuse.pcap")
        assert len(c) == 2 and c[0]["client"] == c[1]["client"]
        syns = [r for r in rs if r["dir"] == "c2s" and r["flags"] & (SYN | ACK) == SYN]
        cf = fins(rs, "c2s")[0]
        assert syns[1]["seq"] == (fin_seq(cf) + 1 + 65537) & 0xFFFFFFFF

    @check("time-wait-assassination.pcap")
    def _(rs):
        sr, cr = rsts(rs, "s2c"), rsts(rs, "c2s")
        assert len(sr) == 1 and sr[0]["flags"] == RST and len(cr) == 1 and cr[0]["flags"] == RST
        assert cr[0]["t"] > sr[0]["t"]

    @check("time-wait-rfc1337.pcap")
    def _(rs):
        assert not rsts(rs, "c2s") and len(rsts(rs, "s2c")) == 2
        sf = fins(rs, "s2c")
        assert len(sf) == 2  # original + duplicate, both answered by ACKs from TIME_WAIT

    @check("port-pressure.pcap")
    def _(rs):
        g = meta["port-pressure.pcap"]
        assert len(g["observed"]["connections"]) == 32 and g["groundTruth"]["errorCount"] == 28

    @check("port-pressure-tw-reuse.pcap")
    def _(rs):
        o = meta["port-pressure-tw-reuse.pcap"]["observed"]
        assert o["connections"] == 60 and o["maxConnectionsOnOneFourTuple"] >= 2

    @check("not-closed.pcap")
    def _(rs):
        assert not fins(rs, "c2s") + fins(rs, "s2c") + rsts(rs, "c2s") + rsts(rs, "s2c") and rs[0]["flags"] & SYN

    @check("syn-rejected.pcap")
    def _(rs):
        assert len(rs) == 2 and rs[1]["flags"] == RST | ACK and rs[1]["ack"] == rs[0]["seq"] + 1

    @check("syn-unanswered.pcap")
    def _(rs):
        assert len(rs) >= 3 and all(r["flags"] == SYN and r["seq"] == rs[0]["seq"] for r in rs)

    @check("syn-flood.pcap")
    def _(rs):
        syns = [r for r in rs if r["flags"] & (SYN | ACK) == SYN]
        synacks = [r for r in rs if r["flags"] & (SYN | ACK) == SYN | ACK]
        sources = {r["src"] for r in syns}
        answered = {}
        for r in synacks:
            answered[r["dst"]] = answered.get(r["dst"], 0) + 1
        # one SYN per spoofed source, every one answered; some SYN/ACKs retransmitted (half-open
        # queue), some sent once (SYN cookies); nothing from a client after its SYN
        assert len(syns) >= 1000 and len(sources) == len(syns) and set(answered) == sources
        assert any(n > 1 for n in answered.values()) and any(n == 1 for n in answered.values())
        assert len(rs) == len(syns) + len(synacks)

    @check("in-between.pcap")
    def _(rs):
        a, b, c = rs[0]["t"], rs[1]["t"], rs[2]["t"]
        assert 0.015 < b - a < 0.03 and 0.015 < c - b < 0.03

    @check("data-after-fin-edited.pcap")
    def _(rs):
        cf = fins(rs, "c2s")[0]
        assert any(r["dir"] == "c2s" and r["len"] > 0 and r["seq"] == fin_seq(cf) + 1 for r in rs)

    failed = 0
    for name in meta:
        f = checks.get(name)
        if f is None:
            print("no check  %s" % name)
            continue
        try:
            f(rows(name))
            print("ok        %s" % name)
        except (AssertionError, IndexError, KeyError) as e:
            failed += 1
            print("FAILED    %s %s" % (name, e))
    missing = set(checks) - set(meta)
    for name in sorted(missing):
        print("missing   %s" % name)
    print("%d passed, %d failed" % (len(meta) - failed - sum(1 for n in meta if n not in checks), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
