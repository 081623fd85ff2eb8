#!/usr/bin/env bash
# Every test xlb has: installs dependencies, builds, runs every ctest label, and runs the unit,
# API and fuzz tests again in a sanitizer build. This is the README's test command and what CI
# runs (.ci/run). Usage: bash scripts/run-tests.sh [build-dir]   (default: build)
#
# The schedule, for a 2-core machine where compiling is most of the work:
#   1. the release build (RelWithDebInfo, line tables only) with every core;
#   2. its tests: unit, datapath, api and lint in parallel (each test builds its own network
#      namespace), then the e2e scenarios, two at a time except those that measure wall-clock
#      behaviour or touch the whole host, which run alone (tests/e2e/CMakeLists.txt);
#   3. meanwhile, from the start of the release build, at the lowest CPU priority (nice 19 has
#      1/70 of a normal task's weight), the sanitizer build and its tests
#      (scripts/sanitizer-tests.sh: unit, api and the fuzzers under ASan + UBSan). It takes the
#      CPU the release build and the e2e scenarios leave idle and yields whenever they need it.
# At the end: a table of each phase's and each label's time, and the totals.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-${BUILD:-build}}
SAN_BUILD="$BUILD-asan"
JOBS=$(nproc)
T0=$SECONDS
TIMES=()   # "phase<TAB>seconds" rows for the summary
STATUS=0

# phase <name> <command...>: run a command, record its duration; a failure is remembered (the
# other phases still run, so one run reports every failure) unless it is a build.
phase() {
  local name=$1 t=$SECONDS rc=0
  shift
  "$@" || rc=$?
  TIMES+=("$name"$'\t'"$((SECONDS - t))")
  return "$rc"
}

phase "install-deps" bash scripts/install-deps.sh

# Line tables only (-g1): a crash still names file:line, and the build is a quarter cheaper.
phase "configure" cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >/dev/null
# The sanitizer build and its tests (scripts/sanitizer-tests.sh), in the background at nice 19,
# in their own process group so that an interrupted run stops all of it. Started before the
# release build, whose serial stretches (configure, the precompiled header, links) leave a core
# idle for it; nice 19 takes next to nothing from the release build otherwise.
san_log="$BUILD/sanitizer.log"
san_times="$BUILD/sanitizer.times"
: >"$san_times"
setsid nice -n 19 bash scripts/sanitizer-tests.sh "$SAN_BUILD" "$san_times" >"$san_log" 2>&1 &
san_pid=$!
# setsid also gives it an autogroup of its own (kernel.sched_autogroup_enabled): the scheduler
# shares the CPU between autogroups first and nice counts only inside one, so at nice 19 it
# still took half the cores from the release build (build 180 s -> 400 s). The autogroup itself
# gets nice 19, once setsid has made it (not ours: that would lower this whole run).
lower_autogroup() {
  local pid=$1 mine theirs tries=0
  mine=$(cat /proc/self/autogroup 2>/dev/null) || return 0
  while ((tries++ < 100)); do
    theirs=$(cat "/proc/$pid/autogroup" 2>/dev/null) || return 0
    if [[ ${theirs%% *} != "${mine%% *}" ]]; then
      echo 19 >"/proc/$pid/autogroup" 2>/dev/null || true
      return 0
    fi
    sleep 0.02
  done
}
lower_autogroup "$san_pid"
trap 'kill -TERM -- -"$san_pid" 2>/dev/null || true' EXIT

phase "build" cmake --build "$BUILD" -j"$JOBS"

# Release tests. Not e2e first, in parallel; then e2e (RUN_SERIAL keeps the timing-sensitive
# ones alone even under -j).
ctest_log="$BUILD/ctest.log"
: >"$ctest_log"
# shellcheck disable=SC2317  # called through phase
run_ctest() {
  ctest --test-dir "$BUILD" --output-on-failure --timeout 600 "$@" | tee -a "$ctest_log"
}
# As many tests as cores, not more: a third slot here cut this layer from 199 to 158 s but took
# the CPU the sanitizer build (nice 19) lives on, which then finished 70 s later and the whole
# run 55 s later (2026-12-06).
phase "ctest unit, datapath, api, lint" run_ctest -j"$JOBS" -LE '^e2e$' || STATUS=1
phase "ctest e2e" run_ctest -j"$JOBS" -L '^e2e$' || STATUS=1

t=$SECONDS
san_status=0
wait "$san_pid" || san_status=$?
TIMES+=("waiting for the sanitizer run"$'\t'"$((SECONDS - t))")
trap - EXIT
echo
echo "===== sanitizer build and tests ($SAN_BUILD, log: $san_log) ====="
if grep -q "^BUILD FAILED" "$san_log"; then
  tail -n 60 "$san_log"
  echo "run-tests: the sanitizer build failed" >&2
  STATUS=1
else
  # Failures with their output, then ctest's own summary.
  sed -n '/tests passed\|tests failed/,$p' "$san_log"
  if ((san_status != 0)); then
    # Everything but the passing tests' lines: the failures' output and ctest's list of them.
    grep -vE '^ *(Start +[0-9]+:|[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed)' "$san_log" | tail -n 300
    STATUS=1
  fi
fi

# The budget: every phase's time, each label's, and the total. Background phases overlap the
# release tests, so they do not add up to the total.
{
  echo
  echo "===== run-tests timings (s) ====="
  for row in "${TIMES[@]}"; do printf '  %-36s %6s\n' "${row%%$'\t'*}" "${row##*$'\t'}"; done
  while IFS=$'\t' read -r name secs; do
    printf '  %-36s %6s  (background, nice 19)\n' "$name" "$secs"
  done <"$san_times"
  echo "  labels (sum of test times; parallel tests overlap):"
  awk '/Label Time Summary:/ {on = 1; next} on && NF == 0 {on = 0} on {print "    " $0}' \
    "$ctest_log" "$san_log"
  passed=$(grep -ho '[0-9]* tests failed out of [0-9]*' "$ctest_log" "$san_log" |
    awk '{failed += $1; total += $6} END {printf "%d passed, %d failed, of %d", total - failed, failed, total}')
  echo "  tests: $passed"
  printf '  %-36s %6s\n' "total" "$((SECONDS - T0))"
} | tee "$BUILD/test-times.txt"
exit "$STATUS"
