#!/usr/bin/env bash
# A UDP service through the VIP: each request (a new client port, so a new flow) gets its reply
# from the VIP's own address and port — the client's connected socket accepts nothing else —
# and round robin alternates the two echo backends.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e UDP" 60

step "topology: client | lb | b1, b2 (UDP echo :5353)"
topo_two_arm
start_udp_echo b1 b1 5353
start_udp_echo b2 b2 5353
xlbd_start lb
xlbctl create lb "$VIP" --udp=53:5353 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=dns

step "10 requests to $VIP:53"
replies=""
for i in $(seq 10); do
  reply=$(udp_request client "$VIP" 53 "req-$i")
  [[ $reply =~ ^b[12]\ req-$i$ ]] || fail "UDP request $i through $VIP:53" \
    "expected: b1 req-$i or b2 req-$i" "seen:     ${reply:-<no reply within 2 s>}"
  replies+="${reply%% *}"$'\n'
done
assert_eq "5 5" "$(count_lines "$replies" b1) $(count_lines "$replies" b2)" \
  "round-robin split of 10 UDP flows between b1 and b2"

step "the flows are tracked as udp-est"
xlbctl get ct
states=$(ct_states "$CLIENT_IP" "$VIP" 53)
assert_eq 10 "$(count_lines "$states" udp-est)" "UDP flows from the client in udp-est"
