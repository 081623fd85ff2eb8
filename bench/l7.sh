#!/usr/bin/env bash
# The L7 benchmark: xlb's fullproxy beside HAProxy `mode http` and nginx as proxies, and
# `direct` routing, on the system benchmark's topology (lib/topology.sh), plain HTTP. Two passes
# of alternating rounds: first each system's capacity (saturated keep-alive and new-connection
# rates, memory per idle client connections), then latency at one fixed offered rate, half of
# the slowest proxy's keep-alive maximum, with CPU per request and backend connections opened.
#   bench/l7.sh <results.tsv>   (bench/run.sh calls it; settings from BENCH_* variables)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib/bench.sh
source "$BENCH_DIR/lib/bench.sh"

results=$1
: "${BENCH_ROUNDS:?} ${BENCH_SECONDS:?} ${BENCH_L7_SYSTEMS:?}"

l7_up() {
  SYS_HTTP_HOST=$VIP
  case $1 in
    direct) direct_up ;;
    haproxy-http) haproxy_http_up ;;
    nginx-proxy) nginx_proxy_up ;;
    xlb-fullproxy) xlb_fullproxy_up ;;
  esac
}

l7_down() {
  case $1 in
    direct) direct_down ;;
    haproxy-http) haproxy_down ;;
    nginx-proxy) nginx_proxy_down ;;
    xlb-fullproxy) xlb_down ;;
  esac
}

# l7_pids <system>: the proxy's processes (none for direct).
l7_pids() {
  case $1 in
    haproxy-http) echo "$HAPROXY_PID" ;;
    nginx-proxy) echo "$NGINX_PROXY_PID" "$(pgrep -P "$NGINX_PROXY_PID" | tr '\n' ' ')" ;;
    xlb-fullproxy) xlb_proxy_pid ;;
  esac
}

bench_start "bench: L7 proxies" wrk haproxy nginx
step "topology: client | lb | b1, b2 (nginx :$BENCH_HTTP_PORT)"
bench_topology
BENCH_CLEAN_STATE=$(bench_state)
: >"$results"
bench_rounds "capacity, " "$BENCH_L7_SYSTEMS" l7_up l7_down l7_pids measure_l7_capacity "$results"
# Half of the slowest system's median keep-alive maximum, offered to each in turn.
rate=$(python3 -c '
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    _, system, figure, value = line.split("\t")
    if figure == "ka_rps":
        rates.setdefault(system, []).append(float(value))
print(int(min(statistics.median(v) for v in rates.values()) / 2) if rates else 0)' "$results")
((rate > 0)) || fail "no keep-alive rate measured to pace the latency pass at"
log "latency pass at $rate req/s offered"
bench_rounds "latency, " "$BENCH_L7_SYSTEMS" l7_up l7_down l7_pids measure_l7_paced "$results" "$rate"
