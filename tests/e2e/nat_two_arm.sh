#!/usr/bin/env bash
# NAT mode, two arms: client and two nginx backends on separate subnets, the backends' default
# gateway is the LB. 100 sequential requests to the VIP all succeed and round robin splits them
# 50/50; a held-open connection shows `est` in `xlbctl get ct`; the rule's counters moved.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e NAT two-arm" 60

step "topology: client | lb | b1, b2 (nginx :8080)"
topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=web

step "100 sequential requests to http://$VIP/"
answers=$(http_get_n client "http://$VIP/" 100)
b1=$(count_lines "$answers" b1)
b2=$(count_lines "$answers" b2)
assert_eq 100 "$((b1 + b2))" "requests answered by a backend (b1=$b1 b2=$b2; other lines:
$(grep -vxE 'b1|b2' <<<"$answers" | sed -n 1,5p))"
assert_eq "50 50" "$b1 $b2" "round-robin split between b1 and b2"
log "b1 answered $b1, b2 answered $b2"

step "a held-open connection is tracked as est"
hold_tcp_open client "$VIP" 80 30
wait_until 3 tcp_client_port client "$VIP" 80 || fail "the held-open connection to $VIP:80 did not connect" \
  "$(nsx client ss -tn)"
sport=$(tcp_client_port client "$VIP" 80)
wait_until 3 ct_has_state "$CLIENT_IP" "$VIP" 80 "$sport" est ||
  fail "flow $CLIENT_IP:$sport -> $VIP:80 not est in xlbctl get ct" \
    "states seen: $(ct_states "$CLIENT_IP" "$VIP" 80 "$sport" | tr '\n' ' ')" "$(ct_show "$sport")"
ct_show "| $sport "

step "counters of the rule and both endpoints moved"
xlbctl get lb -o wide
for ep in "$B1_IP" "$B2_IP"; do
  assert_ge 50 "$(lb_endpoint_counter "$VIP" 80 tcp "$ep" new_flows)" "new flows counted for $ep"
  assert_gt 0 "$(lb_endpoint_counter "$VIP" 80 tcp "$ep" packets)" "packets counted for $ep"
done
