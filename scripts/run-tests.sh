#!/usr/bin/env bash
# Every test xlb has: installs dependencies, builds, runs all ctest labels
# (unit, datapath, api, e2e). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
bash scripts/install-deps.sh
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# Labels run in order of speed, so a broken foundation fails fast.
status=0
for label in unit datapath api e2e; do
  echo "=== ctest -L $label"
  ctest --test-dir "$BUILD" -L "^${label}\$" --output-on-failure --timeout 600 || status=1
done
exit $status
