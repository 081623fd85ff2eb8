#!/usr/bin/env bash
# IPv6 end to end (issue 24), every address added with nodad: NAT66 keeps the client's address
# and balances over two nginx backends; `get ct` prints the flows in RFC 5952 form with
# [v6]:port; ping6 to the VIP is answered by the datapath; FullNAT66 shows the LB's IPv6 address
# to the backend; an ICMPv6 (ping) health check takes a backend whose link went down out, and
# requests keep working;
# `diagnose` on a v6 NAT rule whose backend answers the client directly (same subnet) finds it.
#
#   [sw: br1] ─┬─ client 2001:db8:c::10          [sw: br0] ─┬─ b1 2001:db8:b::10
#              ├─ b3     2001:db8:c::30                     └─ b2 2001:db8:b::11
#              └─ lb eth0 2001:db8:c::1 ── lb eth1 2001:db8:b::1 ─┘
#   VIP 2001:db8:f::100 (on no interface; the client's default route is the LB)
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
e2e_init "e2e IPv6: NAT66, FullNAT66, ping6, health, diagnose" 60

CLIENT6=2001:db8:c::10
B3_6=2001:db8:c::30
LB_CLIENT6=2001:db8:c::1
LB_BACKEND6=2001:db8:b::1
B1_6=2001:db8:b::10
B2_6=2001:db8:b::11
VIP6=2001:db8:f::100

route6() { ip -n "$(ns_name "$1")" -6 route add default via "$2"; }

step "topology: client and b3 | lb | b1, b2 (nginx [::]:8080), IPv6 only, nodad"
ns_create client b3 lb sw b1 b2
bridge_create sw br1
bridge_create sw br0
for host in client b3 lb; do bridge_connect sw br1 "$host" eth0; done
bridge_connect sw br0 lb eth1
for b in b1 b2; do bridge_connect sw br0 "$b" eth0; done
addr6_add client eth0 "$CLIENT6/64"
addr6_add b3 eth0 "$B3_6/64"
addr6_add lb eth0 "$LB_CLIENT6/64"
addr6_add lb eth1 "$LB_BACKEND6/64"
addr6_add b1 eth0 "$B1_6/64"
addr6_add b2 eth0 "$B2_6/64"
route6 client "$LB_CLIENT6"
route6 b3 "$LB_CLIENT6"
route6 b1 "$LB_BACKEND6"
route6 b2 "$LB_BACKEND6"
sysctl_set lb net.ipv6.conf.all.forwarding=1
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
for b in b1 b2 b3; do start_http_backend_with "$b" "$b" '[::]:8080' "$b \$remote_addr"; done
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP6" --tcp=80:8080 --endpoints="[$B1_6]:1,[$B2_6]:1" --name=web6
xlbctl get lb -o wide

step "NAT66: 20 requests to http://[$VIP6]/ keep the client's address, both backends answer"
answers=$(http_get_n client "http://[$VIP6]/" 20)
b1=$(count_lines "$answers" "b1 $CLIENT6")
b2=$(count_lines "$answers" "b2 $CLIENT6")
assert_eq 20 "$((b1 + b2))" "answers naming the client's own address (b1=$b1 b2=$b2; all:
$(sort <<<"$answers" | uniq -c))"
assert_gt 0 "$b1" "requests answered by b1"
assert_gt 0 "$b2" "requests answered by b2"
ct=$(xlbctl get ct)
echo "$ct" | sed -n 1,4p
assert_contains "$ct" "| web6 " "flows named by their rule"
assert_contains "$ct" "dnat-[$B1_6]:8080" "get ct prints the endpoint as [v6]:port"
assert_contains "$(xlbctl get ct --vip=2001:DB8:F:0::100)" "$CLIENT6" \
  "get ct --vip takes any form of the address"

step "ping6 to the VIP is answered; to an address of no rule it is not"
assert_ok "ping6 $VIP6" nsx client ping -6 -c 2 -i 0.2 -W 1 "$VIP6"
assert_fails "ping6 to 2001:db8:f::199 (no rule)" nsx client ping -6 -c 1 -W 1 2001:db8:f::199

step "FullNAT66: the backend sees the LB's IPv6 address"
xlbctl create lb "$VIP6" --tcp=81:8080 --endpoints="[$B1_6]:1" --mode=fullnat --name=fnat6
answers=$(http_get_n client "http://[$VIP6]:81/" 5)
assert_eq 5 "$(count_lines "$answers" "b1 $LB_BACKEND6")" "answers naming the LB's address (all:
$(sort <<<"$answers" | uniq -c))"
assert_contains "$(xlbctl get ct)" "fnat-$CLIENT6->[$LB_BACKEND6]:" "get ct: fnat-<client>->[snat]:port"

step "a ping6 health check takes an unreachable backend out; requests keep working"
xlbctl delete lb "$VIP6" --tcp=80
xlbctl create lb "$VIP6" --tcp=80:8080 --endpoints="[$B1_6]:1,[$B2_6]:1" --monitor --name=web6
for ip in "$B1_6" "$B2_6"; do
  xlbctl create endpoint "$ip" --probetype=ping --period=0.3 --timeout=0.3 --retries=2 --rise=2
done
wait_ep_state "$B1_6" ok 5
wait_ep_state "$B2_6" ok 5
ip -n "$(ns_name b2)" link set eth0 down
wait_ep_state "$B2_6" down 5
answers=$(http_get_n client "http://[$VIP6]/" 10)
assert_eq 10 "$(count_lines "$answers" "b1 $CLIENT6")" "all answered by b1 once b2 is down (all:
$(sort <<<"$answers" | uniq -c))"

step "diagnose: a v6 NAT rule whose backend (b3) answers the client directly"
xlbctl create lb "$VIP6" --tcp=82:8080 --endpoints="[$B3_6]:1" --name=bypass6
# 2.5 s: diagnose counts a flow as stuck after 2 s in syn-sent without an answer.
attempts=()
for _ in 1 2; do
  nsx client curl -sS --connect-timeout 2.5 --max-time 2.5 "http://[$VIP6]:82/" 2>/dev/null &
  attempts+=($!)
done
for attempt in "${attempts[@]}"; do
  if wait "$attempt"; then fail "curl through a NAT rule whose replies bypass the LB must not complete"; fi
done
diagnose_expect 2 "$VIP6" --tcp=82
assert_contains "$DIAG_OUT" "replies are not returning through the LB" "the finding"
assert_contains "$DIAG_OUT" "flows to [$B3_6]:8080 are in syn-sent" "conntrack evidence, [v6]:port"
assert_contains "$DIAG_OUT" "client $CLIENT6 and backend $B3_6 are both on 2001:db8:c::/64" \
  "the shared IPv6 subnet"
