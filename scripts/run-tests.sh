#!/usr/bin/env bash
# Every test xlb has: installs dependencies, builds, runs all ctest labels
# (unit, datapath, api, e2e, fuzz), then unit and api again under ASan/UBSan. This is the
# README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
bash scripts/install-deps.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# The unit (incl. health, CLI) and API tests also run under AddressSanitizer + UBSan, from a
# second build directory (-DXLB_SANITIZE=ON, no recovery: any report fails the test). Only the
# C++ is instrumented; the BPF objects are built by clang -target bpf as always. Debug (-O0)
# with line tables only (-g1): the sanitizers need neither the optimiser nor full debug info to
# name file:line, and leaving both out shortens this build a lot.
# That build runs at the lowest CPU priority WHILE the first ctest runs: most of those tests
# wait on network namespaces, timers and probes, so the build uses otherwise idle CPU, and the
# tests keep the CPU whenever they need it (nice 19 has 1/70 of a normal task's weight).
ASAN_BUILD="$BUILD-asan"
cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-g1 \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DXLB_SANITIZE=ON >/dev/null
asan_log="$ASAN_BUILD/build.log"
nice -n 19 cmake --build "$ASAN_BUILD" -j"$(nproc)" \
  --target xlb_unit_tests xlb_health_tests xlb_cli_tests xlb_api_tests >"$asan_log" 2>&1 &
asan_build=$!
trap 'kill "$asan_build" 2>/dev/null || true' EXIT

# One ctest run over every label (unit, datapath, api, e2e, fuzz), so its closing summary counts
# everything; tests run in the order the layers are added (fast foundations first).
status=0
ctest --test-dir "$BUILD" --output-on-failure --timeout 600 || status=$?

if ! wait "$asan_build"; then
  tail -n 60 "$asan_log"
  echo "run-tests: the sanitizer build failed (whole log: $asan_log)" >&2
  exit 1
fi
ctest --test-dir "$ASAN_BUILD" --output-on-failure --timeout 600 -L '^(unit|api)$' || status=$?
exit "$status"
