#!/usr/bin/env bash
# ICMP echo to a VIP is answered by the datapath (the VIP is on no interface), from the VIP;
# an address of the VIP range that is in no rule is not; a deleted rule's VIP stops answering.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e ping" 60

step "topology: client | lb | b1, b2"
topo_two_arm
xlbd_start lb
assert_fails "ping to $VIP before any rule exists" nsx client ping -c 1 -W 0.5 "$VIP"
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1"

step "ping $VIP"
out=$(nsx client ping -c 3 -i 0.2 -W 2 "$VIP") || fail "ping to the VIP $VIP" "$out"
assert_contains "$out" "3 received" "echo replies to 3 requests"
assert_contains "$out" "from $VIP: icmp_seq=1" "the reply comes from the VIP"

step "no answer for an address in no rule"
other=20.20.20.2
out=$(nsx client ping -c 1 -W 1 "$other" 2>&1) && fail "ping to $other (in no rule) was answered" "$out"
assert_not_contains "$out" "bytes from $other" "no echo reply from $other"

step "no answer after the rule is deleted"
xlbctl delete lb "$VIP" --tcp=80
assert_fails "ping to $VIP after xlbctl delete lb" nsx client ping -c 1 -W 0.5 "$VIP"
