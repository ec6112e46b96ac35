# Scenarios for make-captures.sh (sourced). Each sc_NAME builds the lab, runs the programs,
# captures, and calls meta. $OUT is the captures/ folder, $WORK a scratch folder.

SCENARIO_ORDER=(
  # Issue A: reading and decoding
  close_client_first close_server_first ipv6 any dumpcap nano vlan qinq gzip truncated busy
  midstream rotated
  # Issue B: close states and findings (appended below)
)

C4=10.10.0.1
S4=10.10.0.2

sc_close_client_first() {
  begin close_client_first
  setup
  relay
  server client-first --count 1
  cap fsc fsc-veth "$OUT/close-client-first.pcap"
  client client-first
  cap_stop 0.5
  meta close-client-first.pcap client \
    "Plain close, client first (FIN, FIN+ACK, ACK). The ARP cache is cold, so the capture starts with ARP and the SYN leaves one RTT after connect()." \
    "client: connect, send 120 B, recv 600 B, sleep 0.1 s, close(); server: recv 120, send 600, read to EOF, close() at once; relay delay 20 ms each way"
}

sc_close_server_first() {
  begin close_server_first
  setup
  relay; arp_warm
  server server-first --count 1
  cap fsc fsc-veth "$OUT/close-server-first.pcap"
  client server-first
  cap_stop 0.5
  meta close-server-first.pcap client \
    "Plain close, server first: the server's FIN comes right behind its 600-byte answer; the client reads to EOF and closes." \
    "server: recv 120, send 600, close(); client: connect, send 120, recv 600, read to EOF, close(); relay delay 20 ms"
}

sc_ipv6() {
  begin ipv6
  setup v6
  relay; arp_warm v6
  server bulk --count 1 --listen ::
  cap fsc fsc-veth "$OUT/ipv6.pcap"
  client bulk --host fd00::2
  cap_stop 0.5
  meta ipv6.pcap client \
    "IPv6 connection fd00::1 -> fd00::2 port 8080 with a few full-size segments each way (MSS 1440); client closes first." \
    "client: connect [fd00::2]:8080, send 3000, recv 20000, close(); server: recv 3000, send 20000, read to EOF, close(); relay delay 20 ms"
}

sc_any() {
  begin any
  setup
  relay; arp_warm
  server client-first --count 1
  cap fsc any "$OUT/any-sll2.pcap"
  cap fsc any "$OUT/any-sll.pcap" -y LINUX_SLL
  client client-first
  cap_stop 0.5
  meta any-sll2.pcap client \
    "tcpdump -i any in the client namespace: LINUX_SLL2 (link type 276). Same connection as any-sll.pcap (two tcpdumps, one run)." \
    "tcpdump -i any (namespace fsc: interfaces lo and fsc-veth); client closes first"
  meta any-sll.pcap client \
    "tcpdump -i any -y LINUX_SLL: cooked v1 (link type 113). Same connection as any-sll2.pcap." \
    "tcpdump -i any -y LINUX_SLL (namespace fsc); client closes first"
}

sc_dumpcap() {
  begin dumpcap
  setup
  relay; arp_warm
  server client-first --count 1
  rm -f "$OUT/dumpcap.pcapng" "$OUT/dumpcap-two-interfaces.pcapng"
  cap_cmd fsc "$OUT/dumpcap.pcapng" "Capturing on" \
    dumpcap -q -i fsc-veth -w "$OUT/dumpcap.pcapng" --capture-comment "finscope lab: client side of one plain close (client first)"
  cap_cmd fsr "$OUT/dumpcap-two-interfaces.pcapng" "Capturing on" \
    dumpcap -q -i fsr-a -i fsr-b -w "$OUT/dumpcap-two-interfaces.pcapng" --capture-comment "finscope lab: relay namespace, both interfaces: every packet appears twice, 20 ms apart"
  client client-first
  cap_stop 0.5
  chmod 644 "$OUT/dumpcap.pcapng" "$OUT/dumpcap-two-interfaces.pcapng"
  meta dumpcap.pcapng client \
    "pcapng written by dumpcap, one interface (if_name fsc-veth) and a section comment." \
    "dumpcap -i fsc-veth -w dumpcap.pcapng --capture-comment ...; client closes first"
  meta dumpcap-two-interfaces.pcapng between \
    "pcapng from dumpcap on both relay interfaces (two IDBs, interface 0 = fsr-a client side, 1 = fsr-b server side): each packet is in the file twice, once per interface, about 20 ms apart." \
    "dumpcap -i fsr-a -i fsr-b in namespace fsr; client closes first"
}

sc_nano() {
  begin nano
  setup
  relay; arp_warm
  server client-first --count 1
  cap fss fss-veth "$OUT/nano.pcap" --time-stamp-precision=nano
  client client-first
  cap_stop 0.5
  meta nano.pcap server \
    "Nanosecond pcap (magic a1b23c4d) taken at the server; client closes first." \
    "tcpdump --time-stamp-precision=nano -i fss-veth"
}

vlan_common() { # $1 = tags (e.g. 100 or 200,100), $2 = file
  setup trunk; 
  relay --delay 0.010 --tag-b "$1"
  relay_fst --delay 0.010 --tag-a "$1"
  arp_warm
  server client-first --count 1
  cap fst fst-t "$OUT/$2"
  client client-first
  cap_stop 0.5
}

sc_vlan() {
  begin vlan
  vlan_common 100 vlan.pcap
  meta vlan.pcap between \
    "802.1Q-tagged frames (VLAN 100, TPID 0x8100) in both directions, captured on a trunk link between two relays (10 ms delay on each side of it)." \
    "relay.py in fsr pushes tag 100 on frames it sends to the trunk and pops it on receive; relay.py in fst does the mirror image; tcpdump -i fst-t in fst. The kernel strips the received tag into packet metadata and libpcap puts it back into the saved frame. Client closes first."
}

sc_qinq() {
  begin qinq
  vlan_common 200,100 qinq.pcap
  meta qinq.pcap between \
    "QinQ frames (outer 802.1ad tag 200, TPID 0x88a8; inner 802.1Q tag 100, TPID 0x8100) in both directions on the trunk between two relays." \
    "as vlan.pcap with --tag 200,100"
}

sc_gzip() {
  begin gzip
  # the gzipped copy is made from close-client-first.pcap (run that scenario first)
  [[ -s $OUT/close-client-first.pcap ]] || sc_close_client_first
  CUR=gzip
  gzip -n -9 -c "$OUT/close-client-first.pcap" >"$OUT/close-client-first.pcap.gz"
  meta close-client-first.pcap.gz client \
    "gzip -n -9 of close-client-first.pcap: the same bytes once decompressed." \
    "gzip -n -9 -c close-client-first.pcap"
}

sc_truncated() {
  begin truncated
  setup
  relay; arp_warm
  server bulk --count 1
  cap fsc fsc-veth "$WORK/truncated-full.pcap"
  client bulk
  cap_stop 0.5
  # cut in the middle of the data of the 10th record, as if tcpdump had been killed mid-write
  $PY - "$WORK/truncated-full.pcap" "$OUT/truncated.pcap" "$WORK/truncated.cut.json" <<'EOF'
import json, struct, sys
src, dst, note = sys.argv[1:4]
b = open(src, "rb").read()
off, n, recs = 24, 0, []
while off + 16 <= len(b):
    incl = struct.unpack_from("<I", b, off + 8)[0]
    recs.append((off, incl))
    off += 16 + incl
k = next(i for i, r in enumerate(recs) if i >= 8 and r[1] > 1000)  # a full-size data segment
start, incl = recs[k]
cut = start + 16 + incl // 2
open(dst, "wb").write(b[:cut])
json.dump({"full_records": len(recs), "full_bytes": len(b), "cut_at_byte": cut,
           "cut_record_index": k + 1, "cut_record_starts_at": start, "cut_record_incl_len": incl,
           "complete_records_kept": k}, open(note, "w"))
EOF
  meta truncated.pcap client \
    "A bulk-transfer capture cut in the middle of a record (like tcpdump killed mid-write): the complete records before it, then a record header and half of that record's data (see groundTruth.cut)." \
    "client-side capture of scenario bulk, then the first N bytes kept (N = inside the first full-size data record from the 9th on; see groundTruth.cut)"
}

sc_busy() {
  begin busy
  setup
  sysctl_set fsc net.ipv4.ip_local_port_range="40000 40063" net.ipv4.tcp_tw_reuse=1
  relay; arp_warm
  server http-mix --count 600
  cap fss fss-veth "$OUT/busy.pcap"
  client http-mix --repeat 600 --parallel 8
  cap_stop 0.5
  meta busy.pcap server \
    "600 short HTTP-style connections through 64 client ports, so every 4-tuple is reused many times inside the capture. Odd-numbered requests say Connection: close (server closes first and keeps TIME_WAIT; the client's next SYN on that 4-tuple takes it over), even ones keep-alive (client closes first; tcp_tw_reuse=1 lets connect() reuse its own TIME_WAIT port after 1 s)." \
    "fsc: ip_local_port_range 40000-40063, tcp_tw_reuse=1; client: 8 workers x 75 connections, each: connect, GET, read answer, then close (keep-alive) or read EOF and close (close); server: answer, close at once (close) or on EOF (keep-alive)"
}

sc_midstream() {
  begin midstream
  setup
  relay; arp_warm
  server midstream --count 1
  client_bg midstream
  sleep 0.7   # connection established and first exchange done before tcpdump starts
  cap fsc fsc-veth "$OUT/midstream.pcap"
  wait "${BG[-1]}" || true
  cap_stop 0.5
  meta midstream.pcap client \
    "tcpdump started ~0.7 s after the handshake: no SYN in the file; then one request/answer (100 B / 300 B) and a client-first close." \
    "client: connect, send 100, recv 300, sleep 1.5 s, send 100, recv 300, close(); capture started 0.7 s after the client started"
}

sc_rotated() {
  begin rotated
  setup
  relay; arp_warm
  server trickle --count 1
  rm -rf "$OUT/rotated" "$WORK/rot"; mkdir -p "$OUT/rotated" "$WORK/rot"
  cap_cmd fsc "$WORK/rot" "listening on" tcpdump -U --immediate-mode -n -Z root -i fsc-veth -G 1 -z gzip -w "$WORK/rot/r-%s.pcap"
  client trickle
  cap_stop 0.8
  sleep 0.5  # let the -z gzip children finish
  local i=0 f
  for f in $(ls "$WORK/rot" | sort -t- -k2 -n); do
    i=$((i + 1))
    case $f in
      *.gz) cp "$WORK/rot/$f" "$OUT/rotated/part-$i.pcap.gz" ;;
      *) cp "$WORK/rot/$f" "$OUT/rotated/part-$i.pcap" ;;
    esac
  done
  meta rotated/ client \
    "One connection split over several files by tcpdump -G 1 (a new file every second); tcpdump gzipped every finished file itself (-z gzip), so all but the last are .pcap.gz. Read them in order part-1, part-2, ..." \
    "tcpdump -G 1 -z gzip -w r-%s.pcap (renamed part-N in time order); server streams 9 x 600 B, 0.3 s apart, then closes first"
}
