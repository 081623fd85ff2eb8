#!/usr/bin/env bash
# Handshakes that never complete, one cause per rule, each named by `xlbctl diagnose lb` (exit
# 2), in the one-arm layout: a FullNAT backend whose firewall drops the SYNs (endpoint_silent),
# a DSR backend without the VIP on lo (dsr_no_handshake), and a NAT client address this host
# has no route back to (no_route_client, with pass_no_route).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: handshakes never answered" 45

step "topology: one arm; nginx on b1:80 and :8081, nftables on b1 drops SYNs to :8081"
topo_one_arm
UNROUTED_IP=10.7.7.7
start_http_backend b1 b1 80
nsx b1 nft -f - <<'NFT'
table inet e2e {
  chain input { type filter hook input priority 0; tcp dport 8081 drop; }
}
NFT
xlbd_start lb
xlbctl create lb "$VIP" --tcp=81:8081 --endpoints="$B1_IP:1" --mode=fullnat --name=silent
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1" --mode=dsr --name=novip
xlbctl create lb "$VIP" --tcp=82:80 --endpoints="$B1_IP:1" --name=unrouted
addr_add client eth0 "$UNROUTED_IP/32"

step "one request per rule, all at once, each times out"
# 2.5 s: diagnose counts a flow as stuck after 2 s in syn-sent without an answer.
http_get client "http://$VIP:81/" --connect-timeout 2.5 2>/dev/null &
silent=$!
http_get client "http://$VIP:80/" --connect-timeout 2.5 2>/dev/null &
novip=$!
http_get client "http://$VIP:82/" --connect-timeout 2.5 --interface "$UNROUTED_IP" 2>/dev/null &
unrouted=$!
if wait "$silent"; then fail "FullNAT to a backend dropping SYNs must not complete"; fi
if wait "$novip"; then fail "DSR to a backend without the VIP must not complete"; fi
if wait "$unrouted"; then
  fail "NAT from a client address the LB cannot route back to must not complete"
fi

step "diagnose: FullNAT backend silent"
diagnose_expect 2 "$VIP" --tcp=81
assert_contains "$DIAG_OUT" "backend $B1_IP:8081 never answers" "endpoint_silent"
assert_contains "$DIAG_OUT" "flows to $B1_IP:8081 are in syn-sent" "conntrack evidence"

step "diagnose: DSR backend never completes the handshake"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "Clients never complete the handshake with DSR backend $B1_IP:80" \
  "dsr_no_handshake"
assert_contains "$DIAG_OUT" "put $VIP/32 on lo with arp_ignore=1" "the fix"

step "diagnose: no route back to the client"
diagnose_expect 2 "$VIP" --tcp=82
assert_contains "$DIAG_OUT" "This host has no route back to clients $UNROUTED_IP" "no_route_client"
assert_contains "$DIAG_OUT" "pass_no_route = " "the datapath counter"
assert_not_contains "$DIAG_OUT" "replies are not returning through the LB" \
  "the missing route is the cause, not a NAT layout"
