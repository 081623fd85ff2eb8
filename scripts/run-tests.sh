#!/usr/bin/env bash
# Every test xlb has: installs dependencies, builds, runs all ctest labels
# (unit, datapath, api, e2e). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
bash scripts/install-deps.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# One ctest run over every label (unit, datapath, api, e2e), so its closing summary counts
# everything; tests run in the order the layers are added (fast foundations first).
ctest --test-dir "$BUILD" --output-on-failure --timeout 600
