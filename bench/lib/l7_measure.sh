# shellcheck shell=bash
# The figures of one L7 proxy (bench/l7.sh), appended to the run's results file as
# "<round>\t<system>\t<figure>\t<value>" lines like the system benchmark's (lib/measure.sh, whose
# wrk_run, record and system_answers these use).

# Idle client connections held at once; the figure is scaled to 10,000 (the session's file
# limit, 20,000 here, leaves room for 5,000 on every proxy, which needs one socket each).
BENCH_IDLE_CONNS=${BENCH_IDLE_CONNS:-5000}

# proc_cpu_ticks <pid>...: user + system CPU of the processes (all their threads), clock ticks.
proc_cpu_ticks() {
  local pid total=0 fields
  for pid in "$@"; do
    read -r -a fields <"/proc/$pid/stat"
    total=$((total + fields[13] + fields[14]))
  done
  echo "$total"
}

# proc_rss_kib <pid>...: resident memory of the processes, KiB.
proc_rss_kib() {
  local pid total=0
  for pid in "$@"; do total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"))); done
  echo "$total"
}

# backend_counts: "<connections accepted> <requests>" summed over both backends' nginx (each
# query counts itself: one connection and one request per backend).
backend_counts() {
  local b accepts=0 requests=0 a r
  for b in b1 b2; do
    read -r a r < <(nsx "$b" curl -sf --max-time 2 "http://127.0.0.1:$BENCH_HTTP_PORT/status" |
      awk 'NR == 3 {print $1, $3}')
    accepts=$((accepts + a - 1))
    requests=$((requests + r - 1))
  done
  echo "$accepts $requests"
}

idle_clients_ready() { grep -q '^ready' "$E2E_RUN_DIR/logs/idle-clients.log"; }

# Slow-header clients held open beside the keep-alive run of measure_beside_slowloris.
BENCH_SLOWLORIS_CONNS=${BENCH_SLOWLORIS_CONNS:-200}

# measure_beside_slowloris <results-file> <round> <system> <rate alone>: the keep-alive rate
# with BENCH_SLOWLORIS_CONNS slowloris connections open (each sends a header byte every 2 s and
# never ends its head), as a ratio to the same round's rate alone: what a slow-header attack
# takes from ordinary clients. Reported, never asserted: a timed figure on a shared machine is
# a benchmark's, and tests/e2e/l7_faults.sh checks the behaviour (requests answered, slowloris
# cut with 408). Plain HTTP only (the slowloris tool speaks no TLS).
measure_beside_slowloris() {
  local out=$1 round=$2 system=$3 alone=$4 ready="$E2E_RUN_DIR/slowloris.ready" rps rest
  [[ ${SYS_HTTP_SCHEME:-http} == http ]] || return 0
  rm -f "$ready"
  bg_run client slowloris python3 "$BENCH_DIR/../tests/e2e/tools/slowloris.py" \
    "$SYS_HTTP_HOST" 80 --connections="$BENCH_SLOWLORIS_CONNS" --interval=2 \
    --duration=$((BENCH_SECONDS + 5)) --ready-file="$ready"
  local loris=$BG_PID
  wait_until 10 test -e "$ready" || fail "$system: slowloris did not open its connections" \
    "$(tail -n 5 "$E2E_RUN_DIR/logs/slowloris.log")"
  read -r rps rest < <(wrk_run "$(sys_url "$SYS_HTTP_HOST")")
  stop_pid "$loris"
  log "$system keep-alive beside $BENCH_SLOWLORIS_CONNS slowloris connections: $rps req/s ($alone alone)"
  record "$out" "$round" "$system" slowloris_ka_ratio \
    "$(awk -v l="$rps" -v a="$alone" 'BEGIN { printf "%.3f", (a > 0 ? l / a : 0) }')"
}

# measure_l7_capacity <results-file> <round> <system> <pid>...: saturated keep-alive and new
# connection rates, and the proxy processes' memory per 10,000 idle clients (not for
# `direct`, which has no proxy: no pid given).
measure_l7_capacity() {
  local out=$1 round=$2 system=$3 before after
  shift 3
  system_answers "$SYS_HTTP_HOST"
  # Saturated latency is kept apart: the table's p50/p99 come from the fixed-rate pass.
  measure_http_rates "$out" "$round" "$system" saturated_
  (($#)) || return 0
  measure_beside_slowloris "$out" "$round" "$system" "$(awk -v r="$round" -v s="$system" \
    -F'\t' '$1 == r && $2 == s && $3 == "ka_rps" { v = $4 } END { print v }' "$out")"
  # The proxy's CPU per new connection (what it costs, apart from how the 2 CPUs were shared):
  # a second new-connection run, its ticks over the connections wrk completed.
  local ticks0 ticks1 rps p50 p99 errors requests
  ticks0=$(proc_cpu_ticks "$@")
  read -r rps p50 p99 errors requests < <(wrk_run "$(sys_url "$SYS_HTTP_HOST")" \
    --header "Connection: close")
  ticks1=$(proc_cpu_ticks "$@")
  record "$out" "$round" "$system" cpu_us_per_conn \
    "$(awk -v t="$((ticks1 - ticks0))" -v r="$requests" 'BEGIN { printf "%.1f", t * 10000 / r }')"
  before=$(proc_rss_kib "$@")
  bg_run client idle-clients python3 "$BENCH_DIR/lib/idle_clients.py" "$SYS_HTTP_HOST" \
    "$BENCH_HTTP_PORT" "$BENCH_IDLE_CONNS" --hold=3
  local idle=$BG_PID
  wait_until 20 idle_clients_ready || fail "$system: $BENCH_IDLE_CONNS idle connections not opened" \
    "$(tail -n 5 "$E2E_RUN_DIR/logs/idle-clients.log")"
  sleep 0.5  # the proxy accepts what the kernel queued
  after=$(proc_rss_kib "$@")
  wait "$idle" || true
  : >"$E2E_RUN_DIR/logs/idle-clients.log"
  log "$system: $((after - before)) KiB more for $BENCH_IDLE_CONNS idle clients"
  record "$out" "$round" "$system" idle_kib_per_10k "$(((after - before) * 10000 / BENCH_IDLE_CONNS))"
}

# measure_l7_paced <results-file> <rate> <round> <system> <pid>...: latency at a fixed offered
# rate, with the proxy's CPU per request and the backend connections it opened per 1,000
# requests over the same run.
measure_l7_paced() {
  local out=$1 rate=$2 round=$3 system=$4 rps p50 p99 errors requests conns ticks0 ticks1
  local accepts0 requests0 accepts1 requests1
  shift 4
  conns=$(((rate + 50) / 100))
  ((conns > 0)) || conns=1
  system_answers "$SYS_HTTP_HOST"
  read -r accepts0 requests0 < <(backend_counts)
  (($#)) && ticks0=$(proc_cpu_ticks "$@")
  read -r rps p50 p99 errors requests < <(BENCH_WRK_CONNS=$conns wrk_run "$(sys_url "$SYS_HTTP_HOST")" \
    --script "$BENCH_DIR/lib/wrk_paced.lua")
  (($#)) && ticks1=$(proc_cpu_ticks "$@")
  read -r accepts1 requests1 < <(backend_counts)
  log "$system at $rate req/s offered ($conns connections): $rps req/s, p50 $p50 us, p99 $p99 us"
  record "$out" "$round" "$system" offered_rps "$rate"
  record "$out" "$round" "$system" paced_rps "$rps"
  record "$out" "$round" "$system" p50_us "$p50"
  record "$out" "$round" "$system" p99_us "$p99"
  record "$out" "$round" "$system" paced_errors "$errors"
  local served=$((requests1 - requests0)) opened=$((accepts1 - accepts0))
  ((served > 0)) || fail "$system: no request reached the backends in the paced run"
  record "$out" "$round" "$system" backend_conns_per_1k \
    "$(awk -v c="$opened" -v r="$served" 'BEGIN { printf "%.2f", c * 1000 / r }')"
  (($#)) || return 0
  # Clock ticks of 1/100 s: microseconds of CPU per request.
  record "$out" "$round" "$system" cpu_us_per_req \
    "$(awk -v t="$((ticks1 - ticks0))" -v r="$requests" 'BEGIN { printf "%.2f", t * 10000 / r }')"
}
