#!/usr/bin/env bash
# xlbd in a namespace with no interface but lo manages nothing: no ARP answer, no balancing.
# `xlbctl diagnose lb` says xlb is attached to no interface (exit 2). Then a veth appears, xlbd
# attaches to it, and that finding is gone.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: xlb attached to no interface" 30

VIP=20.20.20.1
step "xlbd alone in a namespace with only lo; a rule on $VIP"
ns_create lb peer
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints=10.1.2.10:1 --name=web
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "xlb is attached to no interface: nothing answers ARP for $VIP" \
  "not_attached"
assert_contains "$DIAG_OUT" "xlbd manages no interface." "the evidence"
assert_contains "$DIAG_OUT" "--interfaces=" "the fix"

step "an interface appears: xlbd attaches to it and the finding goes"
veth_pair lb eth0 peer eth0
attached() { ! xlbctl diagnose lb "$VIP" --tcp=80 | grep -q "attached to no interface"; }
wait_until 10 attached || fail "xlbd never attached to the new eth0" "$(xlbd_log_tail)"
diagnose_expect 2 "$VIP" --tcp=80
assert_not_contains "$DIAG_OUT" "attached to no interface" "not_attached once eth0 is managed"
