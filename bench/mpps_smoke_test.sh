#!/usr/bin/env bash
# Smoke test of the Mpps benchmark (ctest bench_mpps_smoke, label bench): bench/run.sh's mpps part
# with tiny settings (1 round of 1 s, 16 flows; docs untouched) must produce a row per system,
# every figure above zero, and the targets table. (mpps.sh itself stops when a system's
# forwarded counter disagrees with what arrived past the LB.)
set -euo pipefail
# shellcheck source=bench/lib/smoke.sh
source "$(dirname "$0")/lib/smoke.sh" "the Mpps bench smoke test" xlb-mpps-smoke
out=$SMOKE_OUT

systems="routing nftables xlb-tc xlb-xdp xdp-redirect"
BENCH_OUT=$out BENCH_UPDATE_DOCS=0 BENCH_ROUNDS=1 BENCH_SECONDS=1 BENCH_PARTS=mpps \
  BENCH_MPPS_SYSTEMS="$systems" BENCH_MPPS_FLOWS=16 BENCH_BUDGET=90 bash "$ROOT/bench/run.sh"

report=$(cat "$out/report.md")
for system in $systems; do
  assert_contains "$report" "| $system | " "report row of $system"
  for figure in mpps_1 mpps_16 mpps_cpu_1 mpps_cpu_16 sent_mpps_1 sent_mpps_16; do
    value=$(awk -F'\t' -v s="$system" -v f="$figure" '$2 == s && $3 == f { print $4 }' \
      "$out/mpps.tsv")
    awk -v v="$value" 'BEGIN { exit !(v > 0) }' ||
      fail "$system $figure is not a positive number" "seen: ${value:-<none>}"
  done
done
assert_contains "$report" "| xlb-tc ≥ 1.0 × routing, 16 flow(s), per LB CPU-second | " "Mpps targets table"
echo "PASS: bench mpps smoke (report in $out/report.md)"
