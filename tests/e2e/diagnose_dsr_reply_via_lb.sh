#!/usr/bin/env bash
# L2-DSR in the two-arm layout, where the LB is the backends' default gateway: b1 answers the
# client from the VIP, but that answer is routed back through the LB, so DSR saves nothing. The
# datapath passes those replies to the kernel untouched and counts them (pass_dsr_reply in
# `xlbctl get stats` and /metrics); `xlbctl diagnose lb` names the cause and exits 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: DSR replies routed via the LB" 40

step "topology: two-arm; b1 holds the VIP on lo, its default route is the LB; DSR rule"
topo_two_arm
addr_add b1 lo "$VIP/32"
sysctl_set b1 net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
start_http_backend b1 b1 80
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1" --mode=dsr --name=dsr

dsr_replies() {
  xlbctl get stats -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["datapath"]["pass_dsr_reply"])'
}
assert_eq 0 "$(dsr_replies)" "pass_dsr_reply before any traffic"

step "3 requests: b1's replies (from the VIP) come back through the LB"
answers=$(http_get_n client "http://$VIP/" 3)
echo "$answers"
assert_eq 3 "$(count_lines "$answers" b1)" "requests answered (the LB's kernel routes the replies)"
replies=$(dsr_replies)
log "pass_dsr_reply = $replies"
assert_ge 3 "$replies" "replies from $VIP:80 counted at the LB (a SYN+ACK per request at least)"
metrics=$(nsx lb curl -sS --fail --max-time 5 "http://$XLB_API/metrics")
assert_contains "$metrics" 'reason="dsr_reply",verdict="pass"}' "the counter in /metrics"

step "diagnose names the replies passing through the LB"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "DSR replies are passing through the LB" "the finding"
assert_contains "$DIAG_OUT" "pass_dsr_reply = $replies" "the counter as evidence"
assert_contains "$DIAG_OUT" "must not be the backends' gateway for DSR" "the fix"
code=$(xlbctl diagnose lb "$VIP" --tcp=80 -o json | python3 -c '
import json, sys
print(" ".join(f["code"] for f in json.load(sys.stdin)["findings"] if f["severity"] == "problem"))
') || true
assert_eq dsr_replies_via_lb "$code" "the only problem, by code (-o json)"
