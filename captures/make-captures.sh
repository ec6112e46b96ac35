#!/usr/bin/env bash
# Regenerates the real captures under captures/ with the Linux kernel.
#
#   sudo bash captures/make-captures.sh            # every scenario
#   sudo bash captures/make-captures.sh NAME...    # only these (names: see SCENARIOS below)
#
# Needs root, iproute2 (ip netns), ethtool, nftables, tcpdump, tshark/dumpcap, gzip, python3
# (stdlib only). Builds three network namespaces per scenario, from scratch:
#
#   fsc (client)                     fsr (relay)                      fss (server)
#   fsc-veth 10.10.0.1/24  <-veth A-> fsr-a [relay.py] fsr-b <-veth B-> fss-veth 10.10.0.2/24
#            fd00::1/64                (20 ms each way)                         fd00::2/64
#
# For the VLAN captures a fourth namespace fst sits between fsr and fss; the fsr-b <-> fst-t
# veth is a trunk: relay.py in fsr pushes the tags on frames it sends there and pops them on
# frames it receives; relay.py in fst does the mirror image. Both directions on that link are
# really tagged, and the hosts still see plain Ethernet.
#
# Every scenario builds its own namespaces and deletes them afterwards (that also kills any
# socket left over), so scenarios cannot disturb each other and the script is idempotent.
# Ground truth (socket calls with times, relay drops, nft counters) goes to scenarios.json.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab
OUT=${OUT:-$HERE}
WORK=$(mktemp -d /tmp/finscope-lab.XXXXXX)
PY=${PYTHON:-python3}
NAMESPACES=(fsc fsr fst fss)
BG=()          # background processes of the current scenario (relay, server, tcpdump)
CAPS=()        # running tcpdump/dumpcap pids
CUR=""         # current scenario name, used to name logs

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
nsx() { ip netns exec "$@"; }  # foreground only: background jobs use ip netns exec directly so $! is the program

kill_bg() {
  local p
  for p in "${CAPS[@]}" "${BG[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${CAPS[@]}" "${BG[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  BG=(); CAPS=()
}

topo_down() {
  local ns
  for ns in "${NAMESPACES[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

cleanup() {
  local rc=$?
  kill_bg
  topo_down
  if [[ -n "${KEEP_WORK:-}" ]]; then log "work files kept in $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wire_up() { # ns dev mac: no offloads, so frames are ordinary <=1514-byte Ethernet with real checksums
  local ns=$1 dev=$2 mac=$3
  nsx "$ns" ip link set "$dev" address "$mac" mtu 1500
  nsx "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off sg off >/dev/null 2>&1 || true
  nsx "$ns" ethtool -K "$dev" rxvlan off txvlan off >/dev/null 2>&1 || true
  nsx "$ns" ip link set "$dev" up
}

# setup [trunk] [v6]: fresh namespaces; IPv6 only when asked (keeps MLD/RS noise out)
setup() {
  local trunk=0 v6=0 a ns
  for a in "$@"; do
    case $a in trunk) trunk=1 ;; v6) v6=1 ;; esac
  done
  topo_down
  for ns in fsc fsr fss; do ip netns add "$ns"; done
  [[ $trunk == 1 ]] && ip netns add fst
  for ns in fsr fst; do
    [[ $ns == fst && $trunk == 0 ]] && continue
    nsx $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  for ns in fsc fss; do
    if [[ $v6 == 1 ]]; then
      nsx $ns sysctl -qw net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_dad=0
    else
      nsx $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
    nsx $ns ip link set lo up
  done
  ip link add fsc-veth netns fsc type veth peer name fsr-a netns fsr
  if [[ $trunk == 1 ]]; then
    ip link add fsr-b netns fsr type veth peer name fst-t netns fst
    ip link add fst-b netns fst type veth peer name fss-veth netns fss
  else
    ip link add fsr-b netns fsr type veth peer name fss-veth netns fss
  fi
  wire_up fsc fsc-veth 02:00:0a:0a:00:01
  wire_up fss fss-veth 02:00:0a:0a:00:02
  wire_up fsr fsr-a 02:00:00:00:ff:0a
  wire_up fsr fsr-b 02:00:00:00:ff:0b
  if [[ $trunk == 1 ]]; then
    wire_up fst fst-t 02:00:00:00:fe:0a
    wire_up fst fst-b 02:00:00:00:fe:0b
  fi
  for d in fsr-a fsr-b; do nsx fsr ip link set "$d" promisc on; done
  if [[ $trunk == 1 ]]; then for d in fst-t fst-b; do nsx fst ip link set "$d" promisc on; done; fi
  nsx fsc ip addr add 10.10.0.1/24 dev fsc-veth
  nsx fss ip addr add 10.10.0.2/24 dev fss-veth
  if [[ $v6 == 1 ]]; then
    nsx fsc ip -6 addr add fd00::1/64 dev fsc-veth nodad
    nsx fss ip -6 addr add fd00::2/64 dev fss-veth nodad
  fi
}

wait_file() { # file timeout-seconds
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    [[ -e $1 ]] && return 0
    sleep 0.05
  done
  log "timed out waiting for $1"; return 1
}

# relay [relay.py args]: the delaying relay in fsr (a second, zero-delay one in fst for trunks)
relay() {
  local ready=$WORK/$CUR.relay.ready
  rm -f "$ready"
  ip netns exec fsr $PY "$LAB/relay.py" --a fsr-a --b fsr-b --log "$WORK/$CUR.relay.jsonl" --ready "$ready" "$@" \
    2>>"$WORK/$CUR.relay.err" &
  BG+=($!)
  wait_file "$ready" 5
}

relay_fst() {
  local ready=$WORK/$CUR.relayt.ready
  rm -f "$ready"
  ip netns exec fst $PY "$LAB/relay.py" --a fst-t --b fst-b --delay 0 --ready "$ready" "$@" 2>>"$WORK/$CUR.relay.err" &
  BG+=($!)
  wait_file "$ready" 5
}

# arp_warm [v6]: resolve the neighbours before capturing (a UDP datagram to the discard port;
# no ping needed), so captures start with the SYN
arp_warm() {
  local dst=10.10.0.2
  [[ ${1:-} == v6 ]] && dst="10.10.0.2 fd00::2"
  nsx fsc $PY -c '
import signal, socket, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
for a in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"warm", (a, 9))
time.sleep(0.15)' $dst
}

# server SCENARIO [peer.py args]
server() {
  local sc=$1; shift
  local ready=$WORK/$CUR.server.ready
  rm -f "$ready"
  ip netns exec fss $PY "$LAB/peer.py" server --scenario "$sc" --log "$WORK/$CUR.events.jsonl" --ready "$ready" "$@" \
    2>>"$WORK/$CUR.peer.err" &
  BG+=($!)
  wait_file "$ready" 5
}

# client SCENARIO [peer.py args]: runs in the foreground, bounded in time
# (--foreground keeps it in our process group, so a Ctrl-C reaches the client; a client killed
# by SIGINT makes timeout exit 130, which bash does not treat as an interrupt by itself)
client() {
  local sc=$1 rc=0; shift
  timeout --foreground 120 ip netns exec fsc $PY "$LAB/peer.py" client --scenario "$sc" \
    --log "$WORK/$CUR.events.jsonl" "$@" 2>>"$WORK/$CUR.peer.err" || rc=$?
  ((rc == 130)) && exit 130
  ((rc == 0)) || log "client $sc exited with $rc"
}

# client_bg SCENARIO [args]: same, in the background
client_bg() {
  local sc=$1; shift
  timeout --foreground 120 ip netns exec fsc $PY "$LAB/peer.py" client --scenario "$sc" \
    --log "$WORK/$CUR.events.jsonl" "$@" 2>>"$WORK/$CUR.peer.err" &
  BG+=($!)
}

# cap NS IFACE FILE [tcpdump args]: start tcpdump -U and wait until it is listening.
# -Z root: keep root as owner (tcpdump drops to user "tcpdump" by default, and then cannot
# open the next file of a rotation in a root-owned folder).
cap() {
  local ns=$1 dev=$2 file=$3; shift 3
  rm -f "$file"
  cap_cmd "$ns" "$file" "listening on" tcpdump -U --immediate-mode -n -Z root -i "$dev" -w "$file" "$@"
}

# cap_cmd NS FILE READY-TEXT COMMAND...: any capture program; READY-TEXT is what it prints
# on stderr once capturing
cap_cmd() {
  local ns=$1 file=$2 ready=$3; shift 3
  local err=$WORK/$CUR.$(basename "$file").capture.err
  mkdir -p "$(dirname "$file")"
  ip netns exec "$ns" "$@" 2>"$err" &
  CAPS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "$ready" "$err" 2>/dev/null && break
    sleep 0.05
  done
  sleep 0.2
}

cap_stop() { # let the last packets reach the file, then stop every capture
  sleep "${1:-0.3}"
  local p
  for p in "${CAPS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${CAPS[@]}"; do wait "$p" 2>/dev/null || true; done
  CAPS=()
}

finish() { kill_bg; topo_down; }

# nft_load NS RULES...: a table "fslab" with input and output filter chains in NS, one rule per
# argument (prefix "in:" or "out:" to pick the chain)
nft_load() {
  local ns=$1; shift
  local r chain body
  {
    echo "table inet fslab {"
    for chain in input output; do
      echo "  chain $chain {"
      echo "    type filter hook $chain priority 0; policy accept;"
      for r in "$@"; do
        case $r in
          in:*) [[ $chain == input ]] && echo "    ${r#in:}" ;;
          out:*) [[ $chain == output ]] && echo "    ${r#out:}" ;;
        esac
      done
      echo "  }"
    done
    echo "}"
  } >"$WORK/$CUR.nft.$ns.conf"
  nsx "$ns" nft -f "$WORK/$CUR.nft.$ns.conf"
}

# ss_snap LABEL: the kernel's view of TCP sockets in fsc and fss right now (ground truth for
# states that leave no packet: FIN_WAIT_2, CLOSE_WAIT, TIME_WAIT, ...)
ss_snap() {
  local ns
  for ns in fsc fss; do
    nsx "$ns" ss -tanoH state all 2>/dev/null | $PY -c '
import json, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
lines = [" ".join(l.split()) for l in sys.stdin if "LISTEN" not in l]
print(json.dumps({"t": round(time.time(), 3), "ns": sys.argv[1], "label": sys.argv[2], "sockets": lines}))' "$ns" "$1" \
      >>"$WORK/$CUR.ss.jsonl"
  done
}

# sysctl_note NS KEY...: record the values in force (defaults) for the ground truth
sysctl_note() {
  local ns=$1; shift
  local k
  for k in "$@"; do
    printf '%s %s=%s (default, read)\n' "$ns" "$k" "$(nsx "$ns" sysctl -n "$k")" >>"$WORK/$CUR.sysctl.txt"
  done
}

# at_in SECONDS: a wall time SECONDS from now (for peer.py --at)
at_in() { $PY -c "import time; print('%.6f' % (time.time() + $1))"; }

# nft_save NS: keep the ruleset with its counters as ground truth
nft_save() { nsx "$1" nft -j list ruleset >"$WORK/$CUR.nft.$1.json"; }

# sysctl_set NS key=value...: and remember them for the ground truth
sysctl_set() {
  local ns=$1; shift
  nsx "$ns" sysctl -qw "$@"
  printf '%s %s\n' "$ns" "$*" >>"$WORK/$CUR.sysctl.txt"
}

# meta FILE VANTAGE DESCRIPTION MECHANISM [key=value...]: what this capture is, for scenarios.json.
# Keys: provenance=kernel|kernel+relay-duplicates|edited (default kernel), derivedFrom=FILE (the
# ground truth of that capture applies), notes=TEXT
meta() {
  $PY - "$WORK/meta" "$CUR" "$@" <<'EOF2'
import json, os, sys
d, scen, file, vantage, desc, mech = sys.argv[1:7]
extra = dict(a.split("=", 1) for a in sys.argv[7:])
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, file.replace("/", "_") + ".json"), "w") as f:
    json.dump({"file": file, "scenario": scen, "vantage": vantage, "description": desc,
               "mechanism": mech, "provenance": extra.get("provenance", "kernel"),
               "derivedFrom": extra.get("derivedFrom"), "notes": extra.get("notes", "")}, f)
EOF2
}

begin() { CUR=$1; log "scenario $CUR"; rm -f "$WORK/$CUR".*; }

source "$LAB/scenarios.sh"

ALL=$(declare -F | awk '{print $3}' | grep '^sc_' | sed 's/^sc_//')
if (($#)); then WANT=("$@"); else WANT=(${SCENARIO_ORDER[@]}); fi
for s in "${WANT[@]}"; do
  declare -F "sc_$s" >/dev/null || { log "unknown scenario $s (known: $ALL)"; exit 2; }
done
mkdir -p "$WORK/meta"
start=$(date +%s)
for s in "${WANT[@]}"; do
  "sc_$s"
  finish
done
$PY "$LAB/summarize.py" --work "$WORK" --out "$OUT"
log "done in $(( $(date +%s) - start )) s; checking every capture's shape"
# timer jitter could change a shape (e.g. FINs that should cross not crossing): say so loudly
$PY "$LAB/check.py" "$OUT" >&2 || { log "some captures do not show their scenario: rerun those names"; exit 1; }
