#!/usr/bin/env bash
# Smoke test of the benchmark code (ctest bench_smoke, label bench): bench/run.sh with tiny
# settings (1 round of 1 s; direct and xlb-nat in the system part, direct and xlb-fullproxy in
# the L7 part; docs untouched) must produce a report with a row per system and every figure of
# those systems above zero.
set -euo pipefail
# shellcheck source=bench/lib/smoke.sh
source "$(dirname "$0")/lib/smoke.sh" "the bench smoke test" xlb-bench-smoke
out=$SMOKE_OUT

BENCH_OUT=$out BENCH_UPDATE_DOCS=0 BENCH_ROUNDS=1 BENCH_SECONDS=1 BENCH_PARTS="system l7" \
  BENCH_SYSTEMS="direct xlb-nat" BENCH_L7_SYSTEMS="direct xlb-fullproxy" BENCH_BUDGET=60 \
  bash "$ROOT/bench/run.sh"

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
assert_contains "$report" "| xlb-fullproxy | " "report row of xlb-fullproxy"
for figure in ka_rps cc_rps p50_us p99_us cpu_us_per_req backend_conns_per_1k idle_kib_per_10k \
  slowloris_ka_ratio; do
  value=$(awk -F'\t' -v f="$figure" '$2 == "xlb-fullproxy" && $3 == f { print $4 }' "$out/l7.tsv")
  awk -v v="$value" 'BEGIN { exit !(v > 0) }' ||
    fail "xlb-fullproxy $figure is not a positive number" "seen: ${value:-<none>}"
done
echo "PASS: bench smoke (report in $out/report.md)"
