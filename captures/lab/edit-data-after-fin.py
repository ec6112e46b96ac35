#!/usr/bin/env python3
"""Makes data-after-fin-edited.pcap from a real capture (Linux cannot send data after its own FIN).

    edit-data-after-fin.py IN.pcap OUT.pcap > edit.json

Takes the first connection in IN (Ethernet + IPv4, little-endian pcap, as tcpdump writes here),
finds the client's FIN (the client is the side that sent the SYN), and rewrites the first client
segment after it that carries no data and no SYN/FIN/RST (a pure ACK, whose sequence number is
FIN + 1) so that it carries PAYLOAD: data at sequence numbers beyond the FIN. The IPv4 total
length, the IPv4 header checksum, the TCP checksum and the record's captured/original lengths are
fixed up; every other record is copied byte for byte. Prints what it changed as JSON.
"""
import json
import struct
import sys

PAYLOAD = b"EDITED: data sent after the FIN\n"  # 32 bytes


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main():
    src, dst = sys.argv[1], sys.argv[2]
    b = open(src, "rb").read()
    if b[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        sys.exit("expected a little-endian pcap")
    out = bytearray(b[:24])
    off, n = 24, 0
    client = None
    fin_seen = None
    edited = None
    while off + 16 <= len(b):
        ts, tsf, incl, orig = struct.unpack_from("<IIII", b, off)
        rec = bytearray(b[off + 16:off + 16 + incl])
        off += 16 + incl
        n += 1
        if edited is None and len(rec) >= 54 and rec[12:14] == b"\x08\x00" and rec[23] == 6:
            ihl = (rec[14] & 0x0F) * 4
            ip = 14
            tcp = ip + ihl
            total = struct.unpack_from("!H", rec, ip + 2)[0]
            sport, dport, seq, ack, offflags = struct.unpack_from("!HHIIH", rec, tcp)
            doff = (offflags >> 12) * 4
            flags = offflags & 0xFF
            plen = total - ihl - doff
            me = (bytes(rec[ip + 12:ip + 16]), sport)
            if flags & 0x12 == 0x02 and client is None:
                client = me
            if client is not None and me == client:
                if flags & 0x01 and fin_seen is None:
                    fin_seen = {"packet": n, "finSeq": (seq + plen) & 0xFFFFFFFF}
                elif fin_seen is not None and plen == 0 and not flags & 0x07:
                    # rewrite: append the payload after the TCP header (Ethernet padding, if any, dropped)
                    hdr_end = tcp + doff
                    rec = rec[:hdr_end] + PAYLOAD
                    struct.pack_into("!H", rec, ip + 2, ihl + doff + len(PAYLOAD))
                    struct.pack_into("!H", rec, ip + 10, 0)
                    struct.pack_into("!H", rec, ip + 10, csum(bytes(rec[ip:ip + ihl])))
                    seg = bytearray(rec[tcp:])
                    struct.pack_into("!H", seg, 16, 0)
                    pseudo = bytes(rec[ip + 12:ip + 20]) + struct.pack("!BBH", 0, 6, len(seg))
                    struct.pack_into("!H", rec, tcp + 16, csum(pseudo + bytes(seg)))
                    incl = orig = len(rec)
                    edited = {"packet": n, "seq": seq, "ack": ack, "payloadBytes": len(PAYLOAD),
                              "payload": PAYLOAD.decode(), "clientFin": fin_seen,
                              "dataStartsAfterFinBy": (seq - fin_seen["finSeq"]) & 0xFFFFFFFF}
        out += struct.pack("<IIII", ts, tsf, incl, orig) + rec
    if edited is None:
        sys.exit("no pure client ACK after the client's FIN found")
    open(dst, "wb").write(out)
    json.dump({"source": src.rsplit("/", 1)[-1], **edited}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
