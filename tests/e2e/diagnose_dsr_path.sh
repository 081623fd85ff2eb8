#!/usr/bin/env bash
# L2-DSR whose endpoint the LB's policy routing sends through a gateway: `get lb -o wide` shows
# what the main table predicts (dsr:l2), the datapath follows its FIB lookup, which honours the
# policy rule, and tunnels; its per-endpoint counters say so (l2:0 ipip:N), and `xlbctl
# diagnose lb` reports the disagreement (dsr_path_mismatch) with the route it read. Exit 2.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: DSR predicted L2, tunnelled by policy routing" 50

step "topology: one arm; b1 holds the VIP on lo"
topo_one_arm
addr_add b1 lo "$VIP/32"
sysctl_set b1 net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
start_http_backend b1 b1 80
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1" --mode=dsr --name=dsr
wide=$(xlbctl get lb -o wide)
echo "$wide"
assert_contains "$wide" "dsr:l2" "the prediction: b1's main-table route is on-link"

step "the LB's policy routing sends b1 via the client (which drops what it gets)"
nsx lb ip rule add to "$B1_IP/32" lookup 100 pref 100
nsx lb ip route add "$B1_IP/32" via "$CLIENT_IP" dev eth0 table 100
answers=$(http_get_n client "http://$VIP/" 2 1) # both fail: 1 s each
echo "$answers"
wide=$(xlbctl get lb -o wide)
echo "$wide"
assert_contains "$wide" "dsr:l2" "the prediction has not changed"
tunnelled() { xlbctl get lb -o wide | grep -qE 'l2:0 ipip:[1-9]'; }
wait_until 5 tunnelled || fail "the datapath counted no tunnelled packet to b1" "$wide"

step "diagnose names the disagreement"
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "DSR endpoint $B1_IP:80 of rule dsr is reached over IPIP, not over L2" \
  "the finding"
assert_contains "$DIAG_OUT" "route to $B1_IP: on-link on eth0" "the main-table route as evidence"
assert_contains "$DIAG_OUT" "0 packets sent over L2" "the datapath's counts as evidence"
