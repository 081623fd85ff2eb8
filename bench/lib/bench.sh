# shellcheck shell=bash
# What the side-by-side benchmarks (bench/system.sh, bench/l7.sh) share: the e2e library, the
# topology, the measurements, every system's setup, and the alternating rounds.
# shellcheck source=tests/e2e/lib/e2e.sh
source "$BENCH_DIR/../tests/e2e/lib/e2e.sh"
# shellcheck source=bench/lib/topology.sh
source "$BENCH_DIR/lib/topology.sh"
# shellcheck source=bench/lib/measure.sh
source "$BENCH_DIR/lib/measure.sh"
# shellcheck source=bench/lib/l7_measure.sh
source "$BENCH_DIR/lib/l7_measure.sh"
for system_file in "$BENCH_DIR"/systems/*.sh; do
  # shellcheck source=/dev/null
  source "$system_file"
done

# bench_start <what> <tools...>: stops unless every tool is installed, then starts the e2e run
# (namespaces, teardown, the optional BENCH_BUDGET watchdog).
bench_start() {
  local what=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || fail "bench needs '$tool'" "bash scripts/install-deps.sh installs it"
  done
  e2e_init "$what" "${BENCH_BUDGET:-0}"
}

# bench_rounds <pass> <systems> <up> <down> <pids> <command...>: BENCH_ROUNDS alternating rounds
# (A B C ... A B C ...): each system set up (<up> <system>), measured (<command...> <round>
# <system> <the pids <pids> <system> prints>), torn down (<down> <system>), and the hosts found
# as they were before the first (no order effects; $BENCH_CLEAN_STATE, from bench_state).
bench_rounds() {
  local pass=$1 systems=$2 up=$3 down=$4 pids_of=$5 round system state pids
  shift 5
  for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for system in $systems; do
      step "${pass}round $round/$BENCH_ROUNDS: $system"
      "$up" "$system"
      read -r -a pids <<<"$("$pids_of" "$system")"
      "$@" "$round" "$system" "${pids[@]}"
      "$down" "$system"
      bench_forget_connections
      state=$(bench_state)
      [[ $state == "$BENCH_CLEAN_STATE" ]] || fail "$system's teardown left the hosts changed" \
        "$(diff <(echo "$BENCH_CLEAN_STATE") <(echo "$state") || true)"
    done
  done
}

# no_pids <system>: for systems whose figures need no process.
no_pids() { :; }
