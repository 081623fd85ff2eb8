#!/usr/bin/env bash
# A backend with nothing listening on the target port: clients get "connection refused" through
# the VIP, and `xlbctl diagnose lb` says which backend refuses and what to check, first from the
# RSTs conntrack saw, then (rule with --monitor) from the health check's last error. Exit 2.
# b2's tcp check runs every 0.5 s (its own `create endpoint` probe, which governs it in the
# monitored rule): the rule's default probe, every 5 s, would take 5 to 10 s to say the same
# (that default is covered by tests/api/health_test.cpp).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: refusing backend" 55

step "topology: two-arm NAT; nginx on b1:8080, nothing listening on b2:8080"
topo_two_arm
start_http_backend b1 b1 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=web

step "4 requests: those sent to b2 are refused"
answers=$(http_get_n client "http://$VIP/" 4)
echo "$answers"
assert_eq 2 "$(count_lines "$answers" b1)" "requests answered by b1"
assert_eq 2 "$(grep -c '^request [0-9]* failed$' <<<"$answers")" "requests sent to b2 (refused)"

step "diagnose names b2 from the RSTs it answered with"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" \
  "backend $B2_IP:8080 refuses connections: is the service listening on that port?" \
  "the refusing backend"
assert_contains "$DIAG_OUT" "flows were answered by the backend with a TCP RST" "conntrack evidence"
assert_not_contains "$DIAG_OUT" "backend $B1_IP:8080 refuses" "b1 is not blamed"

step "with --monitor: the health check's last error is the evidence"
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=web \
  --monitor
xlbctl create endpoint "$B2_IP" --probetype=tcp --period=0.5 --timeout=0.5
probe_down() { xlbctl get ep | grep -F "$B2_IP" | grep -qw down; }
wait_until 30 probe_down || fail "b2 never marked down by its health check" "$(xlbctl get ep)"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" \
  "backend $B2_IP:8080 refuses connections: is the service listening on that port?" \
  "the refusing backend, from the probe"
assert_contains "$DIAG_OUT" "health check: down, last error" "probe evidence"
assert_contains "$DIAG_OUT" "refused" "the probe's error says refused"
