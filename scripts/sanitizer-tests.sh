#!/usr/bin/env bash
# The sanitizer half of the test command: builds the unit, API and fuzz tests (target
# xlb_sanitizer_tests, with the xlbd and xlbctl they drive) with clang, AddressSanitizer and UBSan without recovery (any report fails
# the test), then runs them. Clang rather than GCC: its ASan build takes half the time, and
# libFuzzer needs it. -O0 with line tables (-g1): a report still names file:line.
# Usage: bash scripts/sanitizer-tests.sh [build-dir] [times-file]
#   (default build-asan; each step's seconds are appended to times-file when given)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

SAN_BUILD=${1:-build-asan}
TIMES=${2:-/dev/null}
JOBS=$(nproc)

t=$SECONDS
if ! CC=clang CXX=clang++ cmake -S . -B "$SAN_BUILD" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_C_FLAGS_DEBUG=-g1 -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DXLB_SANITIZE=ON >/dev/null ||
  ! cmake --build "$SAN_BUILD" -j"$JOBS" --target xlb_sanitizer_tests; then
  echo "BUILD FAILED"
  exit 2
fi
printf 'sanitizer build\t%s\n' $((SECONDS - t)) >>"$TIMES"

t=$SECONDS
rc=0
# One test more than the cores: many of these wait on timeouts (a read timeout, a probe's
# period, the fuzzers' time caps) rather than compute; 171 -> 156 s on 2026-12-06.
ctest --test-dir "$SAN_BUILD" --output-on-failure --timeout 600 -j$((JOBS + 1)) \
  -L '^(unit|api|fuzz)$' || rc=$?
printf 'sanitizer ctest\t%s\n' $((SECONDS - t)) >>"$TIMES"
exit "$rc"
