#!/usr/bin/env bash
# Conntrack near capacity: xlbd with the smallest --ct-size (1024 entries), 430 UDP flows (two
# entries each, 84% full). `xlbctl get ct --summary` shows the fill and `xlbctl diagnose lb`
# warns that conntrack is filling up, with the numbers, and exits 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: conntrack near capacity" 50

step "topology: two-arm NAT; xlbd --ct-size=1024; a UDP rule"
topo_two_arm
xlbd_start lb --ct-size=1024 --ct-gc-interval=1
xlbctl create lb "$VIP" --udp=53:5353 --endpoints="$B1_IP:1" --name=dns

step "430 UDP flows, one datagram from each of 430 client ports"
nsx client python3 -c '
import socket, sys
socks = []
for _ in range(430):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"q", (sys.argv[1], 53))
    socks.append(s)
' "$VIP"
summary_flows() {
  xlbctl get ct --summary -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["flows"])'
}
flows_at_least() { (($(summary_flows) >= $1)); }
wait_until 10 flows_at_least 400 || fail "the summary never counted the flows" \
  "$(xlbctl get ct --summary)"
summary=$(xlbctl get ct --summary)
echo "$summary"
assert_contains "$summary" "1024" "capacity in the summary"
assert_contains "$summary" "udp=" "flows by proto"

step "diagnose warns about conntrack capacity"
diagnose_expect 2 "$VIP" --udp=53
assert_contains "$DIAG_OUT" "Conntrack is 8" "fill percentage (80-89%)"
assert_contains "$DIAG_OUT" "of 1024 entries used" "the numbers"
assert_contains "$DIAG_OUT" "--ct-size" "the fix"
