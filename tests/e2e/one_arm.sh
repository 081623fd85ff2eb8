#!/usr/bin/env bash
# One-arm layout (loxilb's documentation): client, LB and backend on one subnet behind a bridge,
# the VIP an unused address of that subnet. The LB's datapath answers ARP and ping for the VIP.
# In NAT mode the backend answers the client directly (same subnet), bypassing the LB, so the
# TCP handshake cannot complete: the client sees a SYN-ACK from the backend's own address and
# the flow stays in syn-sent. This scenario pins that behaviour (docs/troubleshooting.md).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e one-arm" 60

step "topology: client, lb, b1 on 10.9.16.0/24 (one bridge)"
topo_one_arm
start_http_backend b1 b1 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --name=onearm

step "the LB answers ARP and ping for the VIP $VIP"
assert_ok "ping $VIP from the client" nsx client ping -c 2 -i 0.2 -W 2 "$VIP"
lb_mac=$(mac_of lb eth0)
neigh=$(nsx client ip neigh show "$VIP")
assert_contains "$neigh" "lladdr $lb_mac" "client's neighbour entry for the VIP is the LB's MAC"

unused=10.9.16.248
assert_fails "ping to $unused (no rule) must not be answered" nsx client ping -c 1 -W 0.5 "$unused"
assert_not_contains "$(nsx client ip neigh show "$unused")" lladdr \
  "nobody answers ARP for $unused, which is in no rule"

step "NAT mode in one arm: the backend's reply bypasses the LB"
capture_start client eth0 onearm tcp
assert_fails "curl to the VIP must not complete in one-arm NAT mode" \
  nsx client curl -sS --connect-timeout 1 --max-time 1 "http://$VIP/"
packets=$(capture_stop onearm)
echo "$packets"
assert_contains "$packets" "$B1_IP.8080 > $CLIENT_IP." \
  "the client receives the backend's reply from the backend's own address"
assert_contains "$(grep "$B1_IP.8080 > $CLIENT_IP." <<<"$packets")" "Flags [S.]" \
  "that reply is the SYN-ACK"
assert_not_contains "$packets" "$VIP.80 > $CLIENT_IP." "no reply comes from the VIP"
states=$(ct_states "$CLIENT_IP" "$VIP" 80)
assert_eq syn-sent "$(sort -u <<<"$states")" "conntrack state of the one-arm NAT flow"
xlbctl get ct
