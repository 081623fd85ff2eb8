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

# One ctest run over every label (unit, datapath, api, e2e, fuzz), so its closing summary counts
# everything; tests run in the order the layers are added (fast foundations first).
ctest --test-dir "$BUILD" --output-on-failure --timeout 600

# The unit (incl. health, CLI) and API tests again under AddressSanitizer + UBSan, in a second
# build directory (-DXLB_SANITIZE=ON, no recovery: any report fails the test). Only the C++ is
# instrumented; the BPF objects are built by clang -target bpf as always.
ASAN_BUILD="$BUILD-asan"
# Debug (-O0) with line tables only (-g1): the sanitizers need neither the optimiser nor full
# debug info to name file:line, and leaving both out shortens this second build a lot.
cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG=-g1 \
  -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DXLB_SANITIZE=ON >/dev/null
cmake --build "$ASAN_BUILD" -j"$(nproc)" \
  --target xlb_unit_tests xlb_health_tests xlb_cli_tests xlb_api_tests
ctest --test-dir "$ASAN_BUILD" --output-on-failure --timeout 600 -L '^(unit|api)$'
