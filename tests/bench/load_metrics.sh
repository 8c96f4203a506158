#!/usr/bin/env bash
# Load on /metrics while the poller re-polls a large demo cluster: wrk on loopback for a bounded
# time, RSS sampled every second. Reports numbers; never passes or fails on them.
# Usage: bash tests/bench/load_metrics.sh [pods=20000] [seconds=30]
set -euo pipefail
cd "$(dirname "$0")/../.."
pods=${1:-20000}
seconds=${2:-30}
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
build/allocation-exporter --demo --demo.pods "$pods" --pod-metrics.enabled --pod-metrics.top-n 10000 \
  --scrape.interval 10s --scrape.jitter-max 0s --web.listen-address "127.0.0.1:$port" 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
# "ready" alone once the first poll published (before it: "ready (no cost data yet)").
for _ in $(seq 1 100); do [ "$(curl -sf "127.0.0.1:$port/readyz")" = "ready" ] && break; sleep 0.1; done
bytes=$(curl -s "127.0.0.1:$port/metrics" | wc -c)
gz=$(curl -s -H 'Accept-Encoding: gzip' "127.0.0.1:$port/metrics" | wc -c)
rss_log=$(mktemp)
( for _ in $(seq 1 "$seconds"); do awk '/VmRSS/{print $2}' /proc/$pid/status; sleep 1; done ) >"$rss_log" &
sampler=$!
echo "pods=$pods exposition_bytes=$bytes gzip_bytes=$gz wrk=${seconds}s 2 threads 16 connections"
for enc in identity gzip; do
  wrk -t2 -c16 -d"$((seconds / 2))s" --latency -H "Accept-Encoding: $enc" "http://127.0.0.1:$port/metrics" \
    | grep -E "Requests/sec|Transfer/sec|50%|99%|Non-2xx|Socket errors" | sed "s/^/$enc: /"
done
wait $sampler
sort -n "$rss_log" | awk 'NR==1{min=$1} {max=$1} END{printf "rss_kib min=%d max=%d\n", min, max}'
echo "polls during the run: $(grep -c 'kubecost poll ok' "$log")"
rm -f "$rss_log"
