#!/usr/bin/env bash
# DSR over IPv6 (issue 24), every address added with nodad. L2-DSR6: b1, b2 share the LB's link
# and hold the VIP on lo; the LB only rewrites MACs and they answer the client directly.
# L3-DSR6: b3, b4 sit behind a router; the LB tunnels each request in IPv6-in-IPv6, xlb-decap
# strips it on the backends, and the replies go router -> client, never through the LB.
#
#   [front: br0] ─┬─ client 2001:db8:1::10   (VIP via the LB)
#                 ├─ lb     2001:db8:1::1    (2001:db8:4::/64 via the router)
#                 ├─ b1     2001:db8:1::21, b2 2001:db8:1::22          nginx :80, VIP on lo
#                 └─ router 2001:db8:1::2 ── 2001:db8:4::1 [back: br0] ─┬─ b3 2001:db8:4::10
#                                                                        └─ b4 2001:db8:4::11 :81
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e DSR over IPv6: L2-DSR6, L3-DSR6 through a router" 60

XLB_DECAP=${XLB_DECAP:-$XLB_ROOT/build/src/decap/xlb-decap}
[[ -x $XLB_DECAP ]] || fail "missing $XLB_DECAP" "build first (or set XLB_DECAP)"

CLIENT6=2001:db8:1::10
LB6=2001:db8:1::1
ROUTER6=2001:db8:1::2
ROUTER_BACK6=2001:db8:4::1
VIP6=2001:db8:f::100


step "topology: client, lb, b1, b2, router on one link; b3, b4 behind the router; VIP on lo"
ns_create front back client lb router b1 b2 b3 b4
bridge_create front br0
bridge_create back br0
for host in client:$CLIENT6 lb:$LB6 router:$ROUTER6 b1:2001:db8:1::21 b2:2001:db8:1::22; do
  bridge_connect front br0 "${host%%:*}" eth0
  addr6_add "${host%%:*}" eth0 "${host#*:}/64"
done
ip -n "$(ns_name client)" -6 route add "$VIP6/128" via "$LB6"
ip -n "$(ns_name lb)" -6 route add 2001:db8:4::/64 via "$ROUTER6"
bridge_connect back br0 router eth1
addr6_add router eth1 "$ROUTER_BACK6/64"
sysctl_set router net.ipv6.conf.all.forwarding=1
sysctl_set lb net.ipv6.conf.all.forwarding=1
big=$(e2e_file big.bin 4)
for b in b1 b2; do
  addr6_add "$b" lo "$VIP6/128"
  start_http_backend_with "$b" "$b" '[::]:80' "$b"
done
for host in b3:2001:db8:4::10 b4:2001:db8:4::11; do
  b=${host%%:*}
  bridge_connect back br0 "$b" eth0
  addr6_add "$b" eth0 "${host#*:}/64"
  ip -n "$(ns_name "$b")" -6 route add default via "$ROUTER_BACK6"
  addr6_add "$b" lo "$VIP6/128"
  assert_ok "xlb-decap attach eth0 in $b" nsx "$b" "$XLB_DECAP" attach eth0
  start_http_backend_with "$b" "$b" '[::]:81' "$b"
done
xlbd_start lb
xlbctl create lb "$VIP6" --tcp=80 --endpoints="[2001:db8:1::21]:1,[2001:db8:1::22]:1" --mode=dsr \
  --select=rr --name=l2dsr6
xlbctl create lb "$VIP6" --tcp=81 --endpoints="[2001:db8:4::10]:1,[2001:db8:4::11]:1" --mode=dsr \
  --select=rr --name=l3dsr6
wide=$(xlbctl get lb -o wide)
echo "$wide"
assert_contains "$wide" "dsr:l2" "get lb -o wide: the on-link rule is L2-DSR"
assert_contains "$wide" "dsr:ipip" "get lb -o wide: the routed rule tunnels"

step "L2-DSR6: 20 requests to http://[$VIP6]/, both backends answer"
answers=$(http_get_n client "http://[$VIP6]/" 20)
assert_eq 20 "$(($(count_lines "$answers" b1) + $(count_lines "$answers" b2)))" \
  "requests answered (all: $(sort <<<"$answers" | uniq -c | paste -sd' '))"
assert_gt 0 "$(count_lines "$answers" b1)" "requests answered by b1"
assert_gt 0 "$(count_lines "$answers" b2)" "requests answered by b2"
assert_contains "$(xlbctl get ct)" "dsr:l2-2001:db8:1::2" "get ct: dsr:l2-<v6 endpoint>"

step "L3-DSR6: 20 requests to http://[$VIP6]:81/ through the tunnel, both backends answer"
answers=$(http_get_n client "http://[$VIP6]:81/" 20)
assert_eq 20 "$(($(count_lines "$answers" b3) + $(count_lines "$answers" b4)))" \
  "requests answered (all: $(sort <<<"$answers" | uniq -c | paste -sd' '))"
assert_gt 0 "$(count_lines "$answers" b3)" "requests answered by b3"
assert_gt 0 "$(count_lines "$answers" b4)" "requests answered by b4"
assert_contains "$(xlbctl get ct)" "dsr:ipip-2001:db8:4::1" "get ct: dsr:ipip-<v6 endpoint>"

step "a 4 MiB L3-DSR6 download: the reply goes backend -> router -> client, not through the LB"
before=$(xlb_endpoint_bytes)
capture_start router eth0 reply "ip6 and src host $VIP6 and dst host $CLIENT6"
want=$(sha256sum <"$big" | cut -d' ' -f1)
got=$(nsx client curl -sS --fail --max-time 20 "http://[$VIP6]:81/files/big.bin" |
  sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of the 4 MiB download"
replies=$(capture_stop reply | wc -l)
after=$(xlb_endpoint_bytes)
log "rule byte counters: $before before, $after after; $replies reply packets left the router"
assert_gt "$((after - before))" $((1024 * 1024)) "bytes seen by the LB for a 4 MiB DSR download (< 1 MiB)"
assert_gt 10 "$replies" "reply packets from the VIP to the client leaving the router's front port"
