#!/usr/bin/env bash
# The side-by-side system benchmark: one topology (lib/topology.sh), and in alternating rounds
# each system under test set up, measured (lib/measure.sh) and torn down again.
#   bench/system.sh <results.tsv>   (bench/run.sh calls it; settings from BENCH_* variables)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib/bench.sh
source "$BENCH_DIR/lib/bench.sh"

results=$1
: "${BENCH_ROUNDS:?} ${BENCH_SECONDS:?} ${BENCH_SYSTEMS:?}"

system_up() {
  SYS_HTTP_HOST=$VIP
  SYS_IPERF_HOST=$VIP
  case $1 in
    direct | nftables | haproxy | direct6) "$1_up" ;;
    xlb-nat) xlb_up default ;;
    xlb-nat6) xlb_nat6_up ;;
    xlb-fullnat) xlb_up fullnat ;;
    xlb-dsr) xlb_up dsr ;;
  esac
}

system_down() {
  case $1 in
    direct | nftables | haproxy | direct6) "$1_down" ;;
    xlb-*) xlb_down ;;
  esac
}

bench_start "bench: systems" wrk iperf3 nft haproxy
step "topology: client | lb | b1, b2 (nginx :$BENCH_HTTP_PORT, iperf3 :$BENCH_IPERF_PORT on b1)"
bench_topology
BENCH_CLEAN_STATE=$(bench_state)
: >"$results"
bench_rounds "" "$BENCH_SYSTEMS" system_up system_down no_pids measure_system "$results"
