#!/usr/bin/env python3
"""Builds captures/scenarios.json from one run of make-captures.sh.

For each capture the scenario wrote a meta file (vantage, description, mechanism, notes).
This adds:
  groundTruth  what the lab programs did and logged: every socket call of peer.py with its
               wall time (same clock as the capture), relay.py drops/duplicates, nftables
               counters after the run, per-namespace sysctls, expected connection count
  observed     what tshark reads in the capture itself, per connection (split at a new SYN
               on the same 4-tuple): packets, every FIN and RST with time, seq, flags
  linkType / family / packets, from the file headers

Entries for captures not regenerated in this run are kept from the existing scenarios.json.
"""
import argparse
import glob
import gzip
import json
import os
import struct
import subprocess
import sys

LINKTYPES = {1: "ETHERNET", 113: "LINUX_SLL", 276: "LINUX_SLL2", 101: "RAW", 0: "NULL"}


def open_maybe_gz(path):
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def link_type(path):
    with open_maybe_gz(path) as f:
        b = f.read(4096)
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        lt = struct.unpack_from("<I", b, 20)[0]
        prec = "nano" if magic == b"\x4d\x3c\xb2\xa1" else "micro"
        return lt, "pcap", prec
    if magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        lt = struct.unpack_from(">I", b, 20)[0]
        return lt, "pcap", "nano" if magic == b"\xa1\xb2\x3c\x4d" else "micro"
    if magic == b"\x0a\x0d\x0d\x0a":
        off = struct.unpack_from("<I", b, 4)[0]  # SHB length (little-endian here)
        btype, blen = struct.unpack_from("<II", b, off)
        if btype == 1:
            return struct.unpack_from("<H", b, off + 8)[0], "pcapng", "per-interface"
    return None, "unknown", None


def tshark_rows(paths):
    fields = ["frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport",
              "tcp.flags", "tcp.seq_raw", "tcp.ack_raw", "tcp.len", "frame.interface_id"]
    rows = []
    for p in paths:
        cmd = ["tshark", "-n", "-r", p, "-Y", "tcp", "-T", "fields", "-E", "separator=\t"]
        for f in fields:
            cmd += ["-e", f]
        r = subprocess.run(cmd, capture_output=True, text=True)
        for line in r.stdout.splitlines():
            v = line.split("\t")
            if len(v) < len(fields) or not v[5]:
                continue
            rows.append({
                "t": float(v[0]),
                "src": v[1] or v[2], "dst": v[3] or v[4],
                "sport": int(v[5]), "dport": int(v[6]),
                "flags": int(v[7], 16), "seq": int(v[8]), "ack": int(v[9]), "len": int(v[10] or 0),
                "ifc": v[11],
            })
    return rows


def flag_str(f):
    return "".join(c for c, b in (("S", 2), ("F", 1), ("R", 4), ("P", 8), ("A", 16)) if f & b)


def ep(addr, port):
    return ("[%s]:%d" if ":" in addr else "%s:%d") % (addr, port)


def observe(paths, detail=True):
    """Per-connection facts read from the capture (tshark), split at a fresh SYN."""
    conns = []
    open_by_tuple = {}
    for r in tshark_rows(paths):
        a, b = (r["src"], r["sport"]), (r["dst"], r["dport"])
        key = tuple(sorted([a, b]))
        syn_only = r["flags"] & 0x12 == 0x02
        c = open_by_tuple.get(key)
        if c is None or (syn_only and (c["_closed"] or c["_isn"] not in (None, r["seq"]))):
            if syn_only:
                client, server = a, b
            elif r["flags"] & 0x12 == 0x12:
                client, server = b, a
            else:  # no handshake seen: the well-known port is the server
                client, server = (a, b) if r["dport"] < r["sport"] else (b, a)
            c = {"client": ep(*client), "server": ep(*server), "packets": 0, "first": r["t"], "last": r["t"],
                 "syn": 0, "synAck": 0, "fin": [], "rst": [], "_closed": False, "_isn": None,
                 "_client": client, "dataBytes": {"c2s": 0, "s2c": 0}}
            conns.append(c)
            open_by_tuple[key] = c
        d = "c2s" if a == c["_client"] else "s2c"
        c["packets"] += 1
        c["last"] = r["t"]
        c["dataBytes"][d] += r["len"]
        if syn_only:
            c["syn"] += 1
            c["_isn"] = r["seq"]
        elif r["flags"] & 0x12 == 0x12:
            c["synAck"] += 1
        if r["flags"] & 0x01:
            c["fin"].append({"t": r["t"], "dir": d, "flags": flag_str(r["flags"]), "seq": (r["seq"] + r["len"]) & 0xFFFFFFFF, "len": r["len"]})
            c["_closed"] = True
        if r["flags"] & 0x04:
            c["rst"].append({"t": r["t"], "dir": d, "flags": flag_str(r["flags"]), "seq": r["seq"], "ack": r["ack"] if r["flags"] & 0x10 else None})
            c["_closed"] = True
    for c in conns:
        for k in ("_closed", "_isn", "_client"):
            c.pop(k)
    if not detail:
        return {
            "connections": len(conns),
            "withSyn": sum(1 for c in conns if c["syn"]),
            "withFinBothWays": sum(1 for c in conns if {f["dir"] for f in c["fin"]} == {"c2s", "s2c"}),
            "withRst": sum(1 for c in conns if c["rst"]),
            "firstFinFromClient": sum(1 for c in conns if c["fin"] and c["fin"][0]["dir"] == "c2s"),
            "firstFinFromServer": sum(1 for c in conns if c["fin"] and c["fin"][0]["dir"] == "s2c"),
            "distinctFourTuples": len({(c["client"], c["server"]) for c in conns}),
            "maxConnectionsOnOneFourTuple": max([sum(1 for d in conns if (d["client"], d["server"]) == (c["client"], c["server"])) for c in conns] or [0]),
        }
    return {"connections": conns}


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def nft_rules(path):
    if not os.path.exists(path):
        return None
    data = json.load(open(path))
    out = []
    for item in data.get("nftables", []):
        rule = item.get("rule")
        if not rule:
            continue
        counter = None
        for e in rule.get("expr", []):
            if "counter" in e:
                counter = e["counter"]
        out.append({"chain": rule["chain"], "handle": rule.get("handle"), "comment": rule.get("comment"),
                    "counter": counter})
    return out


def program_truth(events, compact):
    """Group peer.py events per connection: client conn N with the server conn whose remote
    is the client's local address."""
    by = {}
    for e in events:
        if e["conn"] == 0:
            continue
        by.setdefault((e["role"], e["conn"]), []).append(e)
    clients = {k[1]: v for k, v in by.items() if k[0] == "client"}
    servers = {k[1]: v for k, v in by.items() if k[0] == "server"}
    server_by_remote = {}
    for n, evs in servers.items():
        rem = next((e.get("remote") for e in evs if e.get("remote")), None)
        server_by_remote.setdefault(rem, []).append((evs[0]["t"], n, evs))
    conns = []
    used = set()
    for n in sorted(clients):
        evs = clients[n]
        local = next((e.get("local") for e in evs if e.get("op") == "connect"), None)
        sevs = []
        if local:
            cands = [c for c in server_by_remote.get(local, []) if c[1] not in used]
            cands.sort()
            start = evs[0]["t"]
            best = [c for c in cands if c[0] >= start - 0.5]
            if best:
                used.add(best[0][1])
                sevs = best[0][2]
        def ops(lst):
            return [{k: v for k, v in e.items() if k not in ("role", "scenario", "conn", "local", "remote")} for e in lst]
        if compact:
            def first(lst, op):
                return next((e["t"] for e in lst if e["op"] == op), None)
            cc, sc = first(evs, "close"), first(sevs, "close")
            err = next((e.get("error") for e in evs if e["op"] == "error"), None)
            conns.append({"n": n, "clientPort": int(local.rsplit(":", 1)[1]) if local else None,
                          "connect": first(evs, "connect"), "clientClose": cc, "serverClose": sc,
                          "closedFirst": None if cc is None or sc is None else ("client" if cc < sc else "server"),
                          **({"error": err} if err else {})})
        else:
            conns.append({"client": local, "clientOps": ops(evs), "serverConn": sevs[0]["conn"] if sevs else None,
                          "serverOps": ops(sevs)})
    for n in sorted(servers):
        if n not in used and not any(n == c.get("serverConn") for c in conns):
            if not compact:
                conns.append({"client": None, "serverOnly": True, "serverOps": [
                    {k: v for k, v in e.items() if k not in ("role", "scenario", "conn")} for e in servers[n]]})
    return conns


def dumps(v, ind=0):
    """JSON with one line per leaf object or list, so the file stays readable and diffable."""
    pad = "  " * ind
    if isinstance(v, dict) and any(isinstance(x, (dict, list)) for x in v.values()):
        items = ["%s  %s: %s" % (pad, json.dumps(k), dumps(x, ind + 1)) for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, list) and any(isinstance(x, (dict, list)) for x in v):
        items = ["%s  %s" % (pad, dumps(x, ind + 1)) for x in v]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out_json = os.path.join(args.out, "scenarios.json")
    existing = []
    if os.path.exists(out_json):
        existing = json.load(open(out_json))
    metas = sorted(glob.glob(os.path.join(args.work, "meta", "*.json")), key=os.path.getmtime)
    fresh = []
    for mp in metas:
        m = json.load(open(mp))
        scen = m["scenario"]
        w = lambda suffix: os.path.join(args.work, scen + suffix)
        path = os.path.join(args.out, m["file"])
        if os.path.isdir(path):
            paths = sorted(glob.glob(os.path.join(path, "*")), key=lambda p: int(p.split("part-")[1].split(".")[0]))
        else:
            paths = [path]
        lt, fmt, prec = link_type(paths[0])
        events = load_jsonl(w(".events.jsonl"))
        busy = sum(1 for e in events if e["op"] == "connect") > 40 or os.path.exists(w(".extra.flood.json"))
        truth = {}
        connects = [e for e in events if e["role"] == "client" and e["op"] in ("connect",)]
        errors = [e for e in events if e["op"] == "error"]
        truth["clientConnectionsMade"] = len(connects)
        if errors:
            truth["errors"] = [{k: e.get(k) for k in ("t", "role", "conn", "action", "error", "local", "remote")} for e in errors][:50]
            truth["errorCount"] = len(errors)
        truth["connections"] = program_truth(events, compact=busy)
        relay_log = load_jsonl(w(".relay.jsonl"))
        if relay_log:
            truth["relayActions"] = relay_log
        for ns in ("fsc", "fss", "fsr"):
            r = nft_rules(w(".nft.%s.json" % ns))
            if r:
                truth.setdefault("nftables", {})[ns] = r
        if os.path.exists(w(".sysctl.txt")):
            truth["sysctls"] = [l.strip() for l in open(w(".sysctl.txt")) if l.strip()]
        for extra in glob.glob(w(".extra.*.json")):
            key = os.path.basename(extra)[len(scen) + len(".extra."):-len(".json")]
            truth[key] = json.load(open(extra))
        snaps = load_jsonl(w(".ss.jsonl"))
        if snaps:
            truth["kernelSockets"] = snaps
        if os.path.exists(w(".cut.json")):
            truth["cut"] = json.load(open(w(".cut.json")))
        obs = observe(paths, detail=not busy)
        fam = set()
        for c in obs["connections"] if isinstance(obs["connections"], list) else []:
            fam.add("ipv6" if c["client"].startswith("[") else "ipv4")
        if busy:
            fam.add("ipv4")
        entry = {
            "file": m["file"],
            "vantage": m["vantage"],
            "linkType": LINKTYPES.get(lt, str(lt)),
            "linkTypeNumber": lt,
            "format": fmt + (".gz" if paths[0].endswith(".gz") and len(paths) == 1 else ""),
            "timestampPrecision": prec,
            "family": "+".join(sorted(fam)) or "none",
            "description": m["description"],
            "mechanism": m["mechanism"],
            "provenance": m.get("provenance", "kernel"),
        }
        if m.get("derivedFrom"):
            entry["derivedFrom"] = m["derivedFrom"]
        if len(paths) > 1:
            entry["files"] = [os.path.relpath(p, args.out) for p in paths]
        if m.get("notes"):
            entry["notes"] = m["notes"]
        entry["groundTruth"] = truth
        entry["observed"] = obs
        fresh.append(entry)
    # a derived capture (gzip copy, edit) has the ground truth of its source, same run or earlier
    known = {e["file"]: e for e in existing}
    known.update({e["file"]: e for e in fresh})
    for e in fresh:
        src = known.get(e.get("derivedFrom"))
        if src:
            for k, v in src["groundTruth"].items():
                if not e["groundTruth"].get(k):
                    e["groundTruth"][k] = v
            e["groundTruth"]["clientConnectionsMade"] = src["groundTruth"].get("clientConnectionsMade")
    # entries keep their place in the existing file; new ones go at the end in run order
    fresh_by = {e["file"]: e for e in fresh}
    allents = [fresh_by.pop(e["file"], e) for e in existing]
    allents += [e for e in fresh if e["file"] in fresh_by]
    with open(out_json, "w") as f:
        f.write(dumps(allents) + "\n")
    print("scenarios.json: %d entries (%d from this run)" % (len(allents), len(fresh)), file=sys.stderr)


if __name__ == "__main__":
    main()
