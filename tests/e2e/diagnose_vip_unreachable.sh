#!/usr/bin/env bash
# The VIP is not reachable, so nothing arrives; `xlbctl diagnose lb` says why (exit 2). No ARP
# answer: the VIP is on the client's subnet, but xlbd manages only the backend-side interface.
# No route: the client has no route to an off-link VIP. Once the route is back, the same rule
# reports healthy (exit 0).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: VIP not reachable (no ARP answer, no route)" 45

step "topology: two-arm NAT, nginx on b1; xlbd manages eth1 only; a VIP on the client's subnet"
topo_two_arm
ONLINK_VIP=10.1.1.249
start_http_backend b1 b1 8080
xlbd_start lb --interfaces=eth1
xlbctl create lb "$ONLINK_VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --name=onlink

step "nobody answers the client's ARP for $ONLINK_VIP"
assert_fails "a request to a VIP nobody answers ARP for must fail" \
  http_get client "http://$ONLINK_VIP/" --connect-timeout 1
nsx client ip neigh show "$ONLINK_VIP"
diagnose_expect 2 "$ONLINK_VIP" --tcp=80
assert_contains "$DIAG_OUT" "$ONLINK_VIP is on the connected subnet 10.1.1.0/24 of eth0, which xlb \
does not manage: nobody answers ARP for it there" "vip_arp_unanswered"
assert_contains "$DIAG_OUT" "xlbd manages eth1;" "the managed interfaces as evidence"
assert_contains "$DIAG_OUT" "add eth0 to xlbd --interfaces" "the fix"
assert_contains "$DIAG_OUT" "No packet for $ONLINK_VIP:80/tcp has reached xlb yet" "no_traffic"

step "xlbd on every interface; the client loses its route to the off-link VIP $VIP"
xlbd_cleanup
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --name=web
nsx client ip route del default
assert_fails "a request without a route to the VIP must fail" http_get client "http://$VIP/"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "No packet for $VIP:80/tcp has reached xlb yet" "no_traffic"
assert_contains "$DIAG_OUT" "$VIP is on none of this host's subnets: clients reach it only \
through a route whose next hop is this host" "vip_routed"
assert_contains "$DIAG_OUT" "ip route add $VIP/32 via" "the fix"

step "the route is back: answered, and diagnose says healthy"
route_add client default via "$LB_CLIENT_IP"
assert_eq b1 "$(http_get client "http://$VIP/")" "b1 answers through the VIP"
diagnose_expect 0 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "$VIP:80/tcp looks healthy." "healthy"
