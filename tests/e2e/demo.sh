#!/usr/bin/env bash
# The README's demo command works: scripts/demo.sh runs and cleans up; with --keep the printed
# "Try" commands work and `scripts/demo.sh --down` removes everything. Uses the built binaries
# (--no-build), so ctest does not rebuild or install packages.
set -euo pipefail
# shellcheck source=tests/e2e/lib/assert.sh
source "$(dirname "$0")/lib/assert.sh"
demo=$(cd "$(dirname "$0")/../.." && pwd)/scripts/demo.sh

[[ $(id -u) -eq 0 ]] || { echo "SKIP: the demo needs root" >&2 && exit 77; }
demo_namespaces() { ip netns list | awk '{print $1}' | grep '^xlbdemo-' || true; }
if [[ -n $(demo_namespaces) ]]; then
  echo "SKIP: a demo is running on this machine (xlbdemo-* namespaces); not touching it" >&2
  exit 77
fi
trap 'bash "$demo" --down >/dev/null 2>&1 || true' EXIT

step "bash scripts/demo.sh"
out=$(bash "$demo" --no-build 2>&1) || fail "scripts/demo.sh failed" "$out"
echo "$out"
assert_contains "$out" "answered by b1" "the demo shows b1 answering"
assert_contains "$out" "answered by b2" "the demo shows b2 answering"
assert_contains "$out" "dnat-" "the demo prints conntrack entries"
assert_eq "" "$(demo_namespaces)" "namespaces left after the demo"

step "bash scripts/demo.sh --keep, its Try commands, then --down"
out=$(bash "$demo" --no-build --keep 2>&1) || fail "scripts/demo.sh --keep failed" "$out"
echo "$out" | sed -n '/still running/,$p'
try=$(sed -n 's/^  \(ip netns exec .*\)/\1/p' <<<"$out")
assert_eq 3 "$(wc -l <<<"$try")" "Try commands printed by --keep"
while read -r cmd; do
  log "\$ $cmd"
  # shellcheck disable=SC2086  # the printed command, word-split as a user's shell would
  (cd "$(dirname "$demo")/.." && $cmd) || fail "printed command failed: $cmd"
done <<<"$try"
assert_contains "$out" "bash scripts/demo.sh --down" "--keep says how to remove the demo"
bash "$demo" --down
assert_eq "" "$(demo_namespaces)" "namespaces left after --down"
leftover=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'xlbdemo-*')
assert_eq "" "$leftover" "temp dirs left after --down"
log PASS
