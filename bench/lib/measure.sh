# shellcheck shell=bash
# The figures of one system, measured from the client namespace with wrk and iperf3, appended to
# the run's results file as "<round>\t<system>\t<figure>\t<value>" lines.

BENCH_WRK_THREADS=${BENCH_WRK_THREADS:-1}
BENCH_WRK_CONNS=${BENCH_WRK_CONNS:-50}

# wrk_run <url> [wrk args...]: prints "<requests/s> <p50 us> <p99 us> <errors> <requests>".
wrk_run() {
  local url=$1 out
  shift
  out=$(nsx client wrk --threads "$BENCH_WRK_THREADS" --connections "$BENCH_WRK_CONNS" \
    --duration "${BENCH_SECONDS}s" --timeout 5s --latency \
    --script "$BENCH_DIR/lib/wrk_report.lua" "$@" "$url")
  awk '$1 == "xlb-bench" {print $2, $3, $4, $5, $6}' <<<"$out"
}

# iperf_run <host> <streams>: received throughput in Gbit/s.
iperf_run() {
  nsx client timeout $((BENCH_SECONDS + 20)) iperf3 --client "$1" --port "$BENCH_IPERF_PORT" \
    --time "$BENCH_SECONDS" --parallel "$2" --json |
    python3 -c 'import json, sys
print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}

# record <results-file> <round> <system> <figure> <value>
record() {
  printf '%s\t%s\t%s\t%s\n' "$2" "$3" "$4" "$5" >>"$1"
}

# sys_url <host>: the system's HTTP service on <host>: http://<host>/, or https on the bench's
# HTTP port for the systems terminating TLS (SYS_HTTP_SCHEME=https).
sys_url() {
  if [[ ${SYS_HTTP_SCHEME:-http} == https ]]; then
    echo "https://$1:$BENCH_HTTP_PORT/"
  else
    echo "http://$1/"
  fi
}

# system_answers <host>: the system forwards HTTP to a backend (else its figures mean nothing).
system_answers() {
  local i body
  for i in 1 2 3 4; do
    # -k: the HTTPS systems serve the bench's self-signed certificate.
    body=$(http_get client "$(sys_url "$1")" -k) || fail "no HTTP answer from $1 (attempt $i)"
    assert_one_of "$body" "answer through $1" b1 b2
  done
}

# measure_http_rates <results-file> <round> <system> [prefix]: saturated keep-alive req/s, with
# its p50/p99 (recorded as <prefix>p50_us, <prefix>p99_us), and new connections/s.
measure_http_rates() {
  local out=$1 round=$2 system=$3 prefix=${4:-} rps p50 p99 errors requests
  read -r rps p50 p99 errors requests < <(wrk_run "$(sys_url "$SYS_HTTP_HOST")")
  log "$system keep-alive: $rps req/s, p50 $p50 us, p99 $p99 us, $errors errors / $requests"
  record "$out" "$round" "$system" ka_rps "$rps"
  record "$out" "$round" "$system" "${prefix}p50_us" "$p50"
  record "$out" "$round" "$system" "${prefix}p99_us" "$p99"
  record "$out" "$round" "$system" ka_errors "$errors"
  read -r rps p50 p99 errors requests < <(wrk_run "$(sys_url "$SYS_HTTP_HOST")" \
    --header "Connection: close")
  log "$system new connections: $rps conn/s, $errors errors / $requests"
  record "$out" "$round" "$system" cc_rps "$rps"
  record "$out" "$round" "$system" cc_errors "$errors"
}

# measure_system <results-file> <round> <system>: every figure, in a fixed order.
measure_system() {
  local out=$1 round=$2 system=$3 rps streams
  system_answers "$SYS_HTTP_HOST"
  measure_http_rates "$out" "$round" "$system"
  for streams in 1 4; do
    rps=$(iperf_run "$SYS_IPERF_HOST" "$streams")
    log "$system iperf3 x$streams: $rps Gbit/s"
    record "$out" "$round" "$system" "tput${streams}_gbps" "$rps"
  done
}
