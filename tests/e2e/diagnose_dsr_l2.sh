#!/usr/bin/env bash
# L2-DSR with one endpoint that is not on the link (an unused address of the subnet): the LB's
# ARP for it fails, and `xlbctl diagnose lb` names the endpoint not reachable at layer 2, with
# the neighbour state as evidence. Exit 2. The working endpoint is not blamed.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: L2-DSR endpoint not on the link" 50

step "topology: one arm; b1 holds the VIP on lo; 10.9.16.30 is nobody"
topo_one_arm
GHOST_IP=10.9.16.30
addr_add b1 lo "$VIP/32"
sysctl_set b1 net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
start_http_backend b1 b1 80
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1,$GHOST_IP:1" --mode=dsr --select=rr \
  --name=dsr

step "4 requests: those sent to $GHOST_IP fail (after 1 s each)"
answers=$(http_get_n client "http://$VIP/" 4 1)
echo "$answers"
assert_eq 2 "$(count_lines "$answers" b1)" "requests answered by b1"
neigh_failed() { nsx lb ip neigh show "$GHOST_IP" | grep -qE 'FAILED|INCOMPLETE'; }
wait_until 10 neigh_failed || fail "the LB never tried to resolve $GHOST_IP" \
  "$(nsx lb ip neigh show)"
nsx lb ip neigh show "$GHOST_IP"

step "diagnose names the endpoint not reachable at L2"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "L2-DSR backend $GHOST_IP is not reachable at layer 2 on eth0" \
  "the finding"
assert_contains "$DIAG_OUT" "neighbour entry of $GHOST_IP on eth0:" "neighbour evidence"
assert_not_contains "$DIAG_OUT" "backend $B1_IP is not reachable" "b1 is not blamed"
