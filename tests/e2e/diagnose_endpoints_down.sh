#!/usr/bin/env bash
# Endpoints down or unreachable, each named by `xlbctl diagnose lb` (exit 2) with its evidence:
# a backend address nobody holds (its health check fails, the LB's ARP for it fails), an
# endpoint this host has no route to (flows passed untranslated: pass_no_route), and a rule
# whose endpoints the operator took down (new flows dropped: drop_no_endpoint).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: endpoints down, unreachable, without a route" 45

step "topology: two-arm NAT; nginx on b1:8080; 10.1.2.30 is nobody, 10.99.0.1 has no route"
topo_two_arm
GHOST_IP=10.1.2.30
FAR_IP=10.99.0.1
start_http_backend b1 b1 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$GHOST_IP:1" --select=rr --name=web
xlbctl create endpoint "$GHOST_IP" --probetype=tcp --period=0.5 --timeout=0.4 --retries=2

step "the ghost's health check fails and the LB's ARP for it fails"
ghost_down() { xlbctl get ep | grep -F "$GHOST_IP" | grep -qw down; }
wait_until 10 ghost_down || fail "$GHOST_IP never marked down by its health check" "$(xlbctl get ep)"
neigh_failed() { nsx lb ip neigh show "$GHOST_IP" | grep -qE 'FAILED|INCOMPLETE'; }
wait_until 10 neigh_failed || fail "the LB never tried to resolve $GHOST_IP" "$(nsx lb ip neigh show)"
assert_eq b1 "$(http_get client "http://$VIP/")" "b1 still answers through the VIP"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "backend $GHOST_IP:8080 fails its health check" "endpoint_down"
assert_contains "$DIAG_OUT" "tcp health check: down, last error" "probe evidence"
assert_contains "$DIAG_OUT" "backend $GHOST_IP does not answer ARP on eth1" "endpoint_unreachable"
assert_contains "$DIAG_OUT" "neighbour entry of $GHOST_IP on eth1:" "neighbour evidence"
assert_not_contains "$DIAG_OUT" "backend $B1_IP" "b1 is not blamed"

step "an endpoint with no route from the LB: the SYN is passed untranslated"
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$FAR_IP:1" --name=far
assert_fails "a request to a rule whose endpoint has no route must fail" \
  http_get client "http://$VIP:81/" --connect-timeout 1
diagnose_expect 2 "$VIP" --tcp=81
assert_contains "$DIAG_OUT" "This host has no route to backend $FAR_IP" "no_route_endpoint"
assert_contains "$DIAG_OUT" "no main-table route matches $FAR_IP" "route evidence"
assert_contains "$DIAG_OUT" "pass_no_route = " "the datapath counter (pass_no_route)"
assert_not_contains "$DIAG_OUT" "has reached xlb yet" "the SYN did reach xlb: not no_traffic"

step "every endpoint of web set down by the operator: new flows are dropped"
xlbctl set ep "$B1_IP" --state=down
xlbctl set ep "$GHOST_IP" --state=down
assert_fails "a request to a rule without an eligible endpoint must fail" \
  http_get client "http://$VIP/" --connect-timeout 1
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "Rule web has no endpoint able to take new flows" "no_endpoint"
assert_contains "$DIAG_OUT" "$B1_IP:8080 down (operator)" "operator state as evidence"
assert_contains "$DIAG_OUT" "drop_no_endpoint = " "the drop counter"
