#!/usr/bin/env bash
# FullNAT source ports near exhaustion and packets dropped by reason. The SNAT port range is
# fixed (1024-32767: 31744 ports per SNAT address, endpoint and port; no option shrinks it), so
# 33000 UDP flows from distinct client ports fill it past 90%; `xlbctl diagnose lb` names the
# exhausted ports, and the flows that found none (drop_snat_exhausted: 32 probes each). TCP segments to the VIP with a
# truncated header are dropped and counted (drop_malformed); diagnose reports them too. Exit 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: FullNAT ports exhausted, drops by reason" 45

step "topology: two-arm; a FullNAT UDP rule to b1:5353 (SNAT: the LB's backend-side address)"
topo_two_arm
xlbd_start lb --ct-gc-interval=1
xlbctl create lb "$VIP" --udp=53:5353 --endpoints="$B1_IP:1" --mode=fullnat --name=dns

step "33000 UDP flows: one datagram from each client port 15000-47999"
nsx client python3 -c '
import socket, sys
for port in range(15000, 48000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", port))
    s.sendto(b"q", (sys.argv[1], 53))
    s.close()
' "$VIP"
snat_used() {
  xlbctl get ct --summary -o json | python3 -c '
import json, sys
print(max(json.load(sys.stdin)["snat_ports_by_target"].values(), default=0))'
}
ports_at_least() { (($(snat_used) >= $1)); }
wait_until 10 ports_at_least 28570 || fail "the summary never counted 90% of the SNAT ports" \
  "$(xlbctl get ct --summary)"
xlbctl get ct --summary | tail -n 4

step "6 TCP segments to the VIP with a 8-byte TCP header: dropped as malformed"
nsx client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for _ in range(6):
    s.sendto(b"\x4e\x20\x00\x35\x00\x00\x00\x01", (sys.argv[1], 0))
' "$VIP"
malformed() {
  xlbctl get stats -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["datapath"]["drop_malformed"])'
}
six_dropped() { (($(malformed) == 6)); }
wait_until 5 six_dropped || fail "drop_malformed is $(malformed), not 6"

step "diagnose names the exhausted ports and the drops"
diagnose_expect 2 "$VIP" --udp=53
assert_contains "$DIAG_OUT" "FullNAT source ports toward $LB_BACKEND_IP -> $B1_IP:5353 are 9" \
  "snat_ports_exhausted (90-99%)"
assert_contains "$DIAG_OUT" "of 31744 ports (1024-32767)" "the numbers"
assert_contains "$DIAG_OUT" "FullNAT ran out of source ports for some flows" "drop_snat_exhausted"
assert_contains "$DIAG_OUT" "add SNAT addresses (--snat=<ip>,<ip>)" "the fix"
assert_contains "$DIAG_OUT" "drop_malformed = 6." "drops by reason"
