#!/usr/bin/env bash
# Smoke test of the benchmark code (ctest bench_smoke, label e2e): bench/run.sh with tiny
# settings (1 round of 1 s, direct and xlb-nat, system part only, docs untouched) must produce
# a report with a row per system and every figure of both systems above zero.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$ROOT/tests/e2e/lib/assert.sh"
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: the bench smoke test needs root (network namespaces, eBPF)" >&2
  exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/xlb-bench-smoke-XXXX")
trap 'rm -rf "$out"' EXIT

BENCH_OUT=$out BENCH_UPDATE_DOCS=0 BENCH_ROUNDS=1 BENCH_SECONDS=1 BENCH_PARTS=system \
  BENCH_SYSTEMS="direct xlb-nat" BENCH_BUDGET=60 bash "$ROOT/bench/run.sh"

report=$(cat "$out/report.md")
for system in direct xlb-nat; do
  assert_contains "$report" "| $system | " "report row of $system"
  for figure in ka_rps cc_rps tput1_gbps tput4_gbps p50_us p99_us; do
    value=$(awk -F'\t' -v s="$system" -v f="$figure" '$2 == s && $3 == f { print $4 }' \
      "$out/system.tsv")
    awk -v v="$value" 'BEGIN { exit !(v > 0) }' ||
      fail "$system $figure is not a positive number" "seen: ${value:-<none>}"
  done
done
assert_contains "$report" "| xlb-nat keep-alive req/s ≥ 0.95 × direct | " "targets table"
echo "PASS: bench smoke (report in $out/report.md)"
