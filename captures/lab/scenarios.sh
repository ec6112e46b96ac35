# Scenarios for make-captures.sh (sourced). Each sc_NAME builds the lab, runs the programs,
# captures, and calls meta. $OUT is the captures/ folder, $WORK a scratch folder.

SCENARIO_ORDER=(
  # Issue A: reading and decoding
  close_client_first close_server_first ipv6 any dumpcap nano vlan qinq gzip truncated snaplen busy
  midstream rotated
  # Issue B: close states and findings
  four_way three_way simultaneous half_close lost_final_ack missing_peer_fin fin_wait_2_timeout
  long_close_wait fin_retransmitted fin_unacked abortive close_unread reset_after_fin
  time_wait_reuse time_wait_assassination time_wait_rfc1337 port_pressure port_pressure_tw_reuse
  not_closed syn_rejected syn_unanswered in_between data_after_fin_edited
  # Issue 7: many endpoints at once
  syn_flood
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
    "gzip -n -9 -c close-client-first.pcap" derivedFrom=close-client-first.pcap
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
    "client-side capture of scenario bulk, then the first N bytes kept (N = inside the first full-size data record from the 9th on; see groundTruth.cut)" \
    provenance=kernel+truncated-file
}

sc_snaplen() {
  begin snaplen
  setup
  relay; arp_warm
  server bulk --count 1
  cap fsc fsc-veth "$OUT/snaplen-80.pcap" -s 80
  client bulk
  cap_stop 0.5
  meta snaplen-80.pcap client \
    "tcpdump -s 80: every record longer than 80 bytes is cut to 80 (captured length < original length), so full-size segments keep their Ethernet/IPv4/TCP headers (66 bytes with timestamps) and 14 bytes of payload. Bulk transfer, client closes first." \
    "tcpdump -s 80 -i fsc-veth; client: send 3000, recv 20000, close(); server closes on EOF"
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
    "600 short HTTP-style connections through 64 client ports, so every 4-tuple is reused many times inside the capture. Even-numbered requests say Connection: close (server closes first and keeps TIME_WAIT; the client's next SYN on that 4-tuple takes it over), odd ones keep-alive (client closes first; tcp_tw_reuse=1 lets connect() reuse its own TIME_WAIT port after 1 s)." \
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

# ---------------------------------------------------------------------------------------------
# Issue B: close states and findings

# plain PEER-SCENARIO FILE NS IFACE: relay, server, one capture, client in the foreground
plain() {
  setup
  relay; arp_warm
  server "$1" --count 1
  cap "$3" "$4" "$OUT/$2"
  client "$1"
}

sc_four_way() {
  begin four_way
  plain four-way four-way-close.pcap fsc fsc-veth
  cap_stop 0.5
  meta four-way-close.pcap client \
    "Four-segment close: client FIN; the server's bare ACK of it (delayed ACK, ~40 ms after the FIN reached the server); the server's FIN 300 ms after EOF; the client's ACK." \
    "server: recv 120, send 600, read to EOF, sleep 0.3 s, close(); client: connect, send 120, recv 600, close()"
}

sc_three_way() {
  begin three_way
  plain three-way three-way-close.pcap fsc fsc-veth
  cap_stop 0.5
  meta three-way-close.pcap client \
    "Three-segment close: client FIN, server FIN+ACK (the server closed right after reading EOF, inside the delayed-ACK window, so its ACK rides on its FIN), client ACK." \
    "server: recv 120, send 600, read to EOF, close() at once; client: connect, send 120, recv 600, close()"
}

sc_simultaneous() {
  begin simultaneous
  setup
  relay; arp_warm
  local at; at=$(at_in 2.0)  # leaves time for server start, capture start, connect and exchange
  server simultaneous --count 1 --at "$at"
  cap fsc fsc-veth "$OUT/simultaneous-close.pcap"
  client simultaneous --at "$at"
  sleep 0.3; ss_snap after-close
  cap_stop 0.3
  meta simultaneous-close.pcap client \
    "Simultaneous close: both programs call close() at the same agreed wall time; the FINs cross on the 20 ms links (each FIN leaves before the other arrives), both sides go FIN_WAIT_1 -> CLOSING -> TIME_WAIT and each ACKs the other's FIN; kernelSockets shows TIME_WAIT on both sides." \
    "client and server both: sleep until the same wall time (--at), then close(); exchange before: 120 B up, 600 B down"
}

sc_half_close() {
  begin half_close
  plain half-close half-close.pcap fsc fsc-veth
  cap_stop 0.5
  meta half-close.pcap client \
    "Half-close: the client sends 120 B and shutdown(SHUT_WR) (FIN); the server reads EOF, then keeps sending 6 x 1000 B, 0.2 s apart, which the half-closed client ACKs and reads; then the server closes (FIN) and the client ACKs." \
    "client: connect, send 120, shutdown(SHUT_WR), read to EOF, close(); server: read to EOF, send 1000 B six times 0.2 s apart, close()"
}

sc_lost_final_ack() {
  begin lost_final_ack
  setup
  relay --rule "drop:dir=c2s,ackfin=1,noflags=SFR,data=0,nth=1"
  arp_warm
  server client-first --count 1
  cap fsc fsc-veth "$OUT/lost-final-ack-client.pcap"
  cap fss fss-veth "$OUT/lost-final-ack-server.pcap"
  client client-first
  sleep 0.8; ss_snap after-retransmission
  cap_stop 0.3
  meta lost-final-ack-client.pcap client \
    "Lost final ACK, seen from the active closer: client FIN, server FIN+ACK, the client's final ACK leaves (and is dropped by the relay after this capture point); the server's FIN comes again from LAST_ACK and the client's TIME_WAIT socket answers it with the same ACK. Same run as lost-final-ack-server.pcap." \
    "relay.py drops the first client->server pure ACK that acknowledges the server's FIN (rule drop:dir=c2s,ackfin=1,noflags=SFR,data=0,nth=1); client closes first, server closes on EOF"
  meta lost-final-ack-server.pcap server \
    "Lost final ACK, seen from the passive closer: client FIN, own FIN+ACK, no ACK; the FIN retransmitted from LAST_ACK, then the only ACK of it (sent by the client's TIME_WAIT socket). Same run as lost-final-ack-client.pcap." \
    "as lost-final-ack-client.pcap; capture on fss-veth"
}

sc_missing_peer_fin() {
  begin missing_peer_fin
  plain missing-peer-fin missing-peer-fin.pcap fsc fsc-veth
  sleep 1.5; ss_snap client-fin-wait-2
  cap_stop 1.5
  meta missing-peer-fin.pcap client \
    "Missing peer FIN: the client closes, the server ACKs the FIN but never closes (CLOSE_WAIT; it is killed only after the capture stopped ~3 s later). The client sits in FIN_WAIT_2 until the end; kernelSockets shows FIN-WAIT-2 / CLOSE-WAIT." \
    "server: recv 120, send 600, read to EOF, then hold the socket 60 s (killed after the capture); client: connect, send, recv, close()"
}

sc_fin_wait_2_timeout() {
  begin fin_wait_2_timeout
  setup
  sysctl_set fsc net.ipv4.tcp_fin_timeout=3
  relay; arp_warm
  server fin-wait-2-timeout --count 1
  cap fsc fsc-veth "$OUT/fin-wait-2-timeout-rst.pcap"
  client fin-wait-2-timeout
  sleep 1; ss_snap fin-wait-2-at-1s
  sleep 3; ss_snap after-fin-timeout-at-4s
  sleep 2.8; ss_snap after-server-data
  cap_stop 0.3
  meta fin-wait-2-timeout-rst.pcap client \
    "FIN_WAIT_2 timeout then reset: the client close()s (orphaned) and its FIN is ACKed; the server stays in CLOSE_WAIT. With tcp_fin_timeout=3 the client's FIN_WAIT_2 socket is dropped silently after 3 s (no packet). 6 s after EOF the server sends 200 B: the client answers with a bare RST (no ACK flag, seq = the data's ack number). The RST resets the server's socket, so its close() 0.5 s later sends nothing." \
    "fsc: net.ipv4.tcp_fin_timeout=3; client: connect, send, recv, close(); server: recv, send, read to EOF, sleep 6 s, send 200 B, sleep 0.5 s, close()"
}

sc_long_close_wait() {
  begin long_close_wait
  plain long-close-wait long-close-wait.pcap fss fss-veth
  sleep 1; ss_snap server-close-wait
  sleep 2.5
  cap_stop 0.3
  meta long-close-wait.pcap server \
    "Long CLOSE_WAIT seen at the server: the client's FIN arrives, the server's ACK of it leaves ~40 ms later (delayed ACK), and the server's FIN only ~3 s later." \
    "server: recv 120, send 600, read to EOF, sleep 3 s, close(); client closes first"
}

sc_fin_retransmitted() {
  begin fin_retransmitted
  setup
  relay; arp_warm
  nft_load fss \
    'in:tcp dport 8080 tcp flags & (fin|syn|rst) == fin counter comment "every client FIN reaching fss"' \
    'in:tcp dport 8080 tcp flags & (fin|syn|rst) == fin numgen inc mod 1000000 < 2 counter drop comment "drop the first 2 client FINs"'
  server client-first --count 1
  cap fsc fsc-veth "$OUT/fin-retransmitted.pcap"
  client client-first
  sleep 1.5
  cap_stop 0.3
  nft_save fss
  meta fin-retransmitted.pcap client \
    "FIN retransmitted from FIN_WAIT_1: the client's first two FIN transmissions are dropped on the server's input, the third is ACKed (the server's FIN+ACK), then a normal close. The retransmissions are the same sequence number; their spacing is not a clean doubling (tail-loss probe first, then RTO)." \
    "nftables in fss input: 'tcp dport 8080 tcp flags & (fin|syn|rst) == fin numgen inc mod 1000000 < 2 counter drop' (drops the first two matches); client closes first, server closes on EOF"
}

sc_fin_unacked() {
  begin fin_unacked
  setup
  relay --rule "drop:dir=s2c,after=c2s:F,nth=all"
  arp_warm
  server client-first --count 1
  cap fsc fsc-veth "$OUT/fin-unacked.pcap"
  client client-first
  sleep 3.5; ss_snap client-fin-wait-1
  cap_stop 0.5
  meta fin-unacked.pcap client \
    "FIN never acknowledged: after the client's FIN the relay drops everything from the server, so the client retransmits the FIN (same sequence number, growing gaps) until the capture ends ~4 s later, still in FIN_WAIT_1." \
    "relay.py drops every server->client frame once a client FIN was seen (drop:dir=s2c,after=c2s:F,nth=all); client closes first; server reads EOF and closes (its FIN is dropped too)"
}

sc_abortive() {
  begin abortive
  plain abortive abortive-close.pcap fsc fsc-veth
  cap_stop 0.5
  meta abortive-close.pcap client \
    "Abortive close: SO_LINGER {1, 0} then close(): one RST+ACK from the client (seq = its snd_nxt), no FIN from anyone." \
    "client: connect, send 120, recv 600, setsockopt(SO_LINGER, {1, 0}), close(); server: recv, send, read (gets ECONNRESET), close()"
}

sc_close_unread() {
  begin close_unread
  plain close-unread close-unread-data.pcap fss fss-veth
  cap_stop 0.5
  meta close-unread-data.pcap server \
    "close() with unread data: the client sends a second 80-byte request the server never reads; the server's close() then sends RST+ACK instead of a FIN." \
    "server: recv 120, send 600, sleep 0.15 s, close() (80 B unread in its receive queue); client: connect, send 120, recv 600, send 80, sleep 0.3, read (ECONNRESET)"
}

sc_reset_after_fin() {
  begin reset_after_fin
  plain reset-after-fin reset-after-fin.pcap fsc fsc-veth
  cap_stop 0.8
  meta reset-after-fin.pcap client \
    "A close that starts with FIN and ends with RST: the client shutdown(SHUT_WR)s (FIN, ACKed), the server then sends 400 B that the client's kernel ACKs but the application never reads; 0.3 s after the shutdown the client close()s with that data unread -> RST+ACK. The RST resets the server's socket, so its second send() 0.4 s later fails with EPIPE and puts nothing on the wire." \
    "client: connect, send 120, recv 600, shutdown(SHUT_WR), sleep 0.3 s, close(); server: recv, send 600, read to EOF, sleep 0.1, send 400, sleep 0.4, send 400 (EPIPE), close()"
}

sc_time_wait_reuse() {
  begin time_wait_reuse
  setup
  relay; arp_warm
  server client-first --count 2
  cap fsc fsc-veth "$OUT/time-wait-reuse.pcap"
  sysctl_note fsc net.ipv4.tcp_tw_reuse
  client client-first --bind-port 45000 --repeat 2 --gap 0.15
  sleep 0.3; ss_snap after-second
  cap_stop 0.3
  meta time-wait-reuse.pcap client \
    "TIME_WAIT takeover by an explicitly bound port: two connections from 10.10.0.1:45000 to 10.10.0.2:8080, back to back; the first closes client-first (client in TIME_WAIT), and the second connect() (bind to 45000 with SO_REUSEADDR, tcp_tw_reuse left at its default) succeeds at once on the same 4-tuple. Its ISN is the first connection's final snd_nxt + 65537 (the kernel's tw_snd_nxt + 65535 + 2)." \
    "client: twice { socket, SO_REUSEADDR, bind(0.0.0.0:45000), connect, send 120, recv 600, sleep 0.1, close() }, 0.15 s apart (an immediate reconnect, while the old socket was still in FIN_WAIT_1, failed with EADDRNOTAVAIL); server closes on EOF"
}

assassination() { # $1 = rfc1337 value, $2 = file
  setup
  sysctl_set fsc net.ipv4.tcp_rfc1337="$1"
  relay --rule "dup:dir=s2c,data=1,nth=1,delay=1.0" --rule "dup:dir=s2c,flags=F,nth=1,delay=2.0"
  arp_warm
  server client-first --count 1
  cap fsc fsc-veth "$OUT/$2"
  client client-first
  sleep 0.5; ss_snap client-time-wait
  sleep 1.0; ss_snap after-old-duplicate
  sleep 1.0; ss_snap after-duplicate-fin
  cap_stop 0.3
}

sc_time_wait_assassination() {
  begin time_wait_assassination
  assassination 0 time-wait-assassination.pcap
  meta time-wait-assassination.pcap client \
    "TIME_WAIT assassination (RFC 1337 hazard), tcp_rfc1337=0. After a normal client-first close the relay delivers an old duplicate of the server's 600-byte data segment (~1 s late): the client's TIME_WAIT socket answers with an ACK; the server has no socket and answers that with a bare RST (seq = the ACK's ack number), which kills the client's TIME_WAIT. ~1 s later the relay delivers a duplicate of the server's FIN: no socket is left, so the client answers with a bare RST instead of an ACK. Duplicated by the relay: the two late copies are exact copies of earlier frames; every reply is the kernel's." \
    "fsc: tcp_rfc1337=0 (default); relay.py duplicates the first server data segment 1.0 s late and the server's FIN 2.0 s late (dup rules); client closes first" \
    provenance=kernel+relay-duplicates
}

sc_time_wait_rfc1337() {
  begin time_wait_rfc1337
  assassination 1 time-wait-rfc1337.pcap
  meta time-wait-rfc1337.pcap client \
    "Control for time-wait-assassination.pcap with tcp_rfc1337=1: the same old duplicate, the same ACK from TIME_WAIT and the same RST from the server, but the client's TIME_WAIT socket ignores the RST, so the duplicate FIN ~1 s later is answered with an ACK. Duplicated by the relay, as above." \
    "fsc: tcp_rfc1337=1; otherwise as time-wait-assassination.pcap" \
    provenance=kernel+relay-duplicates
}

sc_port_pressure() {
  begin port_pressure
  setup
  sysctl_set fsc net.ipv4.ip_local_port_range="50000 50031" net.ipv4.tcp_tw_reuse=2
  relay; arp_warm
  server http-keep --count 60
  cap fsc fsc-veth "$OUT/port-pressure.pcap"
  client http-keep --repeat 60
  ss_snap after-run
  cap_stop 0.5
  meta port-pressure.pcap client \
    "Port exhaustion: 32 ephemeral ports (50000-50031), 60 sequential short connections to one server port, client closes first so each leaves a client TIME_WAIT socket. tcp_tw_reuse=2 (the default: reuse only for loopback) does not apply on a veth, so after 32 connections every further connect() fails at once with EADDRNOTAVAIL and sends nothing: the capture holds exactly 32 connections, one per port." \
    "fsc: ip_local_port_range 50000 50031, tcp_tw_reuse=2; client: 60 x { connect, GET keep-alive, read answer, close() }, one at a time; server closes on EOF"
}

sc_port_pressure_tw_reuse() {
  begin port_pressure_tw_reuse
  setup
  sysctl_set fsc net.ipv4.ip_local_port_range="50000 50031" net.ipv4.tcp_tw_reuse=1
  relay; arp_warm
  server http-keep --count 60
  cap fsc fsc-veth "$OUT/port-pressure-tw-reuse.pcap"
  client http-keep --repeat 60
  ss_snap after-run
  cap_stop 0.5
  meta port-pressure-tw-reuse.pcap client \
    "As port-pressure.pcap but tcp_tw_reuse=1: connect() takes over the client's own TIME_WAIT sockets once they are older than tcp_tw_reuse_delay (1 s), so all 60 connections succeed. connect() searches the even half of the range first and takes over an even port's TIME_WAIT socket (once older than 1 s) before it ever tries an odd port: only the 16 even ports are used, each carrying 3-5 connections (60 over 16; see observed). The server side of each old connection is closed (it was the passive closer)." \
    "fsc: ip_local_port_range 50000 50031, tcp_tw_reuse=1; otherwise as port-pressure.pcap"
}

sc_not_closed() {
  begin not_closed
  setup
  relay; arp_warm
  server idle --count 1
  cap fsc fsc-veth "$OUT/not-closed.pcap"
  client_bg idle
  sleep 1.5; ss_snap established
  cap_stop 0.1
  meta not-closed.pcap client \
    "Still open at capture end: handshake, one request/answer, then nothing for ~1.4 s until the capture stops (both programs still hold the socket; they are killed after the capture)." \
    "client: connect, send 120, recv 600, hold 60 s; server: recv, send, hold 60 s; capture stopped ~1.5 s after start"
}

sc_syn_rejected() {
  begin syn_rejected
  setup
  relay; arp_warm
  cap fsc fsc-veth "$OUT/syn-rejected.pcap"
  client syn-only --port 8081
  cap_stop 0.3
  meta syn-rejected.pcap client \
    "Connection refused: SYN to 10.10.0.2:8081 where nothing listens; the server kernel answers RST+ACK (seq 0, ack = ISN+1); connect() fails with ECONNREFUSED." \
    "client: connect to port 8081 (no listener)"
}

sc_syn_unanswered() {
  begin syn_unanswered
  setup
  relay; arp_warm
  nft_load fss 'in:tcp dport 8080 tcp flags & (syn|ack) == syn counter drop comment "drop every SYN to 8080"'
  sysctl_note fsc net.ipv4.tcp_syn_linear_timeouts net.ipv4.tcp_syn_retries
  server client-first --count 1
  cap fsc fsc-veth "$OUT/syn-unanswered.pcap"
  client_bg syn-only
  sleep 3.6
  cap_stop 0.1
  nft_save fss
  meta syn-unanswered.pcap client \
    "Unanswered SYN: nftables in the server namespace drops every SYN, so the client retransmits its SYN (same ISN) every ~1 s: this kernel's tcp_syn_linear_timeouts=4 makes the first 4 SYN retransmissions linear (1 s) before the exponential backoff starts. The capture ends at ~3.7 s (SYN at 0, 1, 2, 3 s) with connect() still pending (the client is killed afterwards)." \
    "nftables in fss input: 'tcp dport 8080 tcp flags & (syn|ack) == syn counter drop'; client: connect (blocks)"
}

sc_in_between() {
  begin in_between
  setup trunk
  relay --delay 0.010
  relay_fst --delay 0.010
  arp_warm
  server client-first --count 1
  cap fst fst-t "$OUT/in-between.pcap"
  client client-first
  cap_stop 0.5
  meta in-between.pcap between \
    "A plain client-first close captured half-way: 10 ms relay on each side of the capture point (fsc - fsr [10 ms] - fst-t (captured) - fst [10 ms] - fss). Handshake gaps: SYN->SYN/ACK ~20 ms and SYN/ACK->ACK ~20 ms." \
    "trunk topology without tags; relays delay 10 ms each; tcpdump -i fst-t in fst; client closes first"
}

sc_data_after_fin_edited() {
  begin data_after_fin_edited
  [[ -s $OUT/half-close.pcap ]] || { sc_half_close; finish; CUR=data_after_fin_edited; }
  $PY "$LAB/edit-data-after-fin.py" "$OUT/half-close.pcap" "$OUT/data-after-fin-edited.pcap" \
    >"$WORK/$CUR.extra.edit.json"
  meta data-after-fin-edited.pcap client \
    "EDITED, not a kernel capture: half-close.pcap with one client packet after the client's FIN rewritten to carry 32 bytes of data at sequence numbers beyond the FIN (Linux never sends data after its own FIN). IP total length and IP/TCP checksums recomputed; see groundTruth.edit for the packet number and the bytes." \
    "lab/edit-data-after-fin.py half-close.pcap data-after-fin-edited.pcap" \
    provenance=edited derivedFrom=half-close.pcap
}

sc_syn_flood() {
  begin syn_flood
  setup
  relay --delay 0.005; arp_warm
  # The server answers the spoofed sources through the client namespace, which drops the SYN/ACKs
  # (not its addresses, no forwarding): no RST comes back, as from addresses that do not exist.
  nsx fss ip route add 198.18.0.0/15 via $C4
  sysctl_set fss net.ipv4.tcp_synack_retries=2
  sysctl_note fss net.ipv4.tcp_syncookies net.ipv4.tcp_max_syn_backlog net.core.somaxconn
  server client-first --count 1
  cap fss fss-veth "$OUT/syn-flood.pcap"
  nsx fsc $PY "$LAB/synflood.py" --dst $S4 --port 8080 --count 2000 --rate 1000 --log "$WORK/$CUR.extra.flood.json"
  sleep 3.5
  cap_stop 0.1
  meta syn-flood.pcap server \
    "SYN flood: 2000 SYNs in 2 s, each from its own spoofed address in 198.18.0.0/15, to a listener with backlog 512. The server keeps the first 513 half-open (the listen backlog, 512, plus one: the kernel's queue check is 'more than') and answers them with a SYN/ACK that it retransmits 1 s and 3 s later (tcp_synack_retries=2); with that queue full it answers the other 1487 with SYN cookies, once and statelessly. Nothing answers a SYN/ACK." \
    "fsc: synflood.py (raw socket, IP_HDRINCL) sends the SYNs; fss: peer.py listens on 8080 (listen(512)), route 198.18.0.0/15 via 10.10.0.1, tcp_synack_retries=2; relay delay 5 ms"
}
