#!/usr/bin/env bash
# The classic NAT mistake (loxilb's "NAT timeouts with syn-sent"): one-arm layout, NAT mode. The
# backend answers the client directly, flows stay in syn-sent, and `xlbctl diagnose lb` says
# that replies are not returning through the LB, shows the shared subnet, and suggests fullnat
# or dsr. Exit 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: NAT in one arm" 45

step "topology: client, lb, b1 on one subnet; NAT rule"
topo_one_arm
start_http_backend b1 b1 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --name=onearm

step "two connection attempts at once time out (the SYN-ACK bypasses the LB)"
# 2.5 s: diagnose counts a flow as stuck after 2 s in syn-sent without an answer.
attempts=()
for _ in 1 2; do
  nsx client curl -sS --connect-timeout 2.5 --max-time 2.5 "http://$VIP/" 2>/dev/null &
  attempts+=($!)
done
for attempt in "${attempts[@]}"; do
  if wait "$attempt"; then fail "curl through a one-arm NAT rule must not complete"; fi
done
assert_eq syn-sent "$(ct_states "$CLIENT_IP" "$VIP" 80 | sort -u)" "conntrack state"

step "diagnose explains it"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "replies are not returning through the LB: in NAT mode the backend \
must route the client's address via the LB (its default gateway), or the client is on the \
backend's own subnet — use fullnat or dsr" "the finding"
assert_contains "$DIAG_OUT" "flows to $B1_IP:8080 are in syn-sent" "conntrack evidence"
assert_contains "$DIAG_OUT" "client $CLIENT_IP and backend $B1_IP are both on 10.9.16.0/24" \
  "the shared subnet"
assert_contains "$DIAG_OUT" "--mode=fullnat" "the fix"
code=$(xlbctl diagnose lb "$VIP" --tcp=80 -o json | python3 -c '
import json, sys
print(" ".join(f["code"] for f in json.load(sys.stdin)["findings"] if f["severity"] == "problem"))
') || true
assert_eq nat_replies_bypass "$code" "the only problem, by code (-o json)"
