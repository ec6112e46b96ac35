#!/usr/bin/env bash
# Captures real traffic for the benchmark: nginx on loopback under wrk with `Connection: close`
# (every request its own connection, the server closing first, client ports reused many times
# over), written by tcpdump with a 160-byte snaplen until it has the packets asked for.
#
#   sudo bash bench/real-traffic.sh [packets=3000000] [out=bench/data/real-<packets>.pcap]
#
# Needs root (tcpdump on lo), nginx, wrk and tcpdump: apt-get install -y nginx wrk tcpdump.
# Without nginx it falls back to a small Node HTTP server (slower: fewer connections a second).
set -euo pipefail

packets=${1:-3000000}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/bench/data/real-$packets.pcap}
port=${FINSCOPE_BENCH_PORT:-18089}
mkdir -p "$(dirname "$out")"
work=$(mktemp -d /tmp/finscope-real.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in tcpdump wrk; do
  command -v "$tool" >/dev/null || { echo "real-traffic: $tool is not installed (apt-get install -y nginx wrk tcpdump)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "real-traffic: run as root (tcpdump on lo)" >&2; exit 1; }

if command -v nginx >/dev/null; then
  printf 'hello from nginx under wrk\n' > "$work/index.html"
  cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;
  server { listen 127.0.0.1:$port backlog=4096; root $work; }
}
CONF
  nginx -c "$work/nginx.conf"
  server="nginx"
else
  node -e "require('http').createServer((q,s)=>{s.setHeader('Connection','close');s.end('hello from node under wrk\n')}).listen($port,'127.0.0.1')" &
  pids+=($!)
  server="node"
fi
sleep 0.5

# -B: a 64 MiB kernel buffer so that tcpdump keeps up with loopback at full speed.
tcpdump -i lo -s 160 -B 65536 -c "$packets" -w "$out" "tcp port $port" 2>"$work/tcpdump.log" &
dump=$!
pids+=($dump)
sleep 1
wrk -t 2 -c 64 -d 600s -H 'Connection: close' "http://127.0.0.1:$port/" >"$work/wrk.log" 2>&1 &
pids+=($!)
wait "$dump" || true
kill "${pids[-1]}" 2>/dev/null || true
grep -E 'captured|dropped' "$work/tcpdump.log" >&2 || true
echo "real-traffic: $packets packets of $server under wrk (Connection: close) -> $out ($(du -h "$out" | cut -f1))" >&2
