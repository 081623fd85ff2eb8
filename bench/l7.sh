#!/usr/bin/env bash
# The L7 benchmark: xlb's fullproxy beside HAProxy `mode http` and nginx as proxies, and
# `direct` routing, on the system benchmark's topology (lib/topology.sh), plain HTTP; and the
# three proxies terminating TLS (xlb-https, haproxy-https, nginx-https: HTTPS from the client,
# plain HTTP to the backends, one self-signed P-256 certificate). Two passes of alternating
# rounds: first each system's capacity (saturated keep-alive and new-connection rates, memory
# per idle client connections), then latency at a fixed offered rate per group (plain, HTTPS):
# half of the group's slowest keep-alive maximum, with CPU per request and backend connections.
#   bench/l7.sh <results.tsv>   (bench/run.sh calls it; settings from BENCH_* variables)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib/bench.sh
source "$BENCH_DIR/lib/bench.sh"

results=$1
: "${BENCH_ROUNDS:?} ${BENCH_SECONDS:?} ${BENCH_L7_SYSTEMS:?}"

l7_up() {
  SYS_HTTP_HOST=$VIP
  SYS_HTTP_SCHEME=http
  case $1 in
    direct) direct_up ;;
    haproxy-http) haproxy_http_up ;;
    nginx-proxy) nginx_proxy_up ;;
    xlb-fullproxy) xlb_fullproxy_up ;;
    haproxy-https) haproxy_https_up ;;
    nginx-https) nginx_proxy_up tls ;;
    xlb-https) xlb_fullproxy_up tls ;;
    xlb-proxy-alone) xlb_proxy_alone_up ;;
  esac
  [[ $1 == *-https ]] && SYS_HTTP_SCHEME=https
  return 0
}

l7_down() {
  case $1 in
    direct) direct_down ;;
    haproxy-http | haproxy-https) haproxy_down ;;
    nginx-proxy | nginx-https) nginx_proxy_down ;;
    xlb-fullproxy | xlb-https) xlb_down ;;
    xlb-proxy-alone) xlb_proxy_alone_down ;;
  esac
}

# l7_pids <system>: the proxy's processes (none for direct).
l7_pids() {
  case $1 in
    haproxy-http | haproxy-https) echo "$HAPROXY_PID" ;;
    nginx-proxy | nginx-https) echo "$NGINX_PROXY_PID" "$(pgrep -P "$NGINX_PROXY_PID" | tr '\n' ' ')" ;;
    xlb-fullproxy | xlb-https) xlb_proxy_pid ;;
    xlb-proxy-alone) echo "$XLB_PROXY_ALONE_PID" ;;
  esac
}

# latency_pass <systems>: the fixed-rate pass of those systems (those of the run), at half of
# their slowest median keep-alive maximum.
latency_pass() {
  local systems="" system rate
  for system in $1; do
    [[ " $BENCH_L7_SYSTEMS " == *" $system "* ]] && systems+="$system "
  done
  [[ -n $systems ]] || return 0
  rate=$(python3 -c '
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    _, system, figure, value = line.split("\t")
    if figure == "ka_rps" and system in sys.argv[2].split():
        rates.setdefault(system, []).append(float(value))
print(int(min(statistics.median(v) for v in rates.values()) / 2) if rates else 0)' "$results" "$systems")
  ((rate > 0)) || fail "no keep-alive rate measured to pace the latency pass at"
  log "latency pass of $systems at $rate req/s offered"
  bench_rounds "latency, " "$systems" l7_up l7_down l7_pids measure_l7_paced "$results" "$rate"
}

for tool in wrk haproxy nginx; do
  command -v "$tool" >/dev/null || fail "bench needs '$tool'" "bash scripts/install-deps.sh installs it"
done
e2e_init "bench: L7 proxies" "${BENCH_BUDGET:-0}"
# The HTTPS systems' certificate: self-signed P-256, the key owner-only (xlbd refuses others).
export BENCH_TLS_CERT="$E2E_RUN_DIR/bench-tls.crt" BENCH_TLS_KEY="$E2E_RUN_DIR/bench-tls.key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=xlb-bench" -keyout "$BENCH_TLS_KEY" -out "$BENCH_TLS_CERT" 2>/dev/null
chmod 600 "$BENCH_TLS_KEY"
step "topology: client | lb | b1, b2 (nginx :$BENCH_HTTP_PORT)"
bench_topology
BENCH_CLEAN_STATE=$(bench_state)
: >"$results"
bench_rounds "capacity, " "$BENCH_L7_SYSTEMS" l7_up l7_down l7_pids measure_l7_capacity "$results"
latency_pass "direct haproxy-http nginx-proxy xlb-fullproxy"
latency_pass "haproxy-https nginx-https xlb-https"
