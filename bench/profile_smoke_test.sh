#!/usr/bin/env bash
# Smoke test of the datapath profiler (ctest bench_profile_smoke, label bench): bench/profile.sh
# on a short established-flow run must attribute samples to both hooks' programs and name
# source lines of the packet path (a conntrack lookup runs for every established packet), so
# the profiler cannot rot unnoticed. What the shares are is not checked.
set -euo pipefail
# shellcheck source=bench/lib/smoke.sh
source "$(dirname "$0")/lib/smoke.sh" "the profiler smoke test" xlb-profile-smoke

report=$(PROFILE_OUT=$SMOKE_OUT bash "$ROOT/bench/profile.sh" --only established --repeat 20000)
for program in xlb_ingress xlb_xdp_ingress; do
  samples=$(awk -v p="== $program:" 'index($0, p) == 1 { print $3 }' <<< "$report")
  [[ ${samples:-0} -gt 0 ]] || fail "no sample attributed to $program" "$report"
done
assert_contains "$report" "conntrack.h:" "a conntrack line among the profile's lines"
assert_contains "$report" "established_nat " "the bench's own figures"
echo "PASS: the profiler attributed samples to both programs' source lines"
