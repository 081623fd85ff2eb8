#!/usr/bin/env bash
# L3 DSR (IPIP): the backends sit on another subnet behind a router. The LB tunnels each request
# to the endpoint (outer header LB -> endpoint), the backends strip it with xlb-decap and answer
# from the VIP on lo straight back through the router to the client, never through the LB.
#
#   [front: br0] ──┬── client 10.1.1.10   (VIP via the LB)
#                  ├── lb     10.1.1.1    (10.1.4.0/24 via the router)
#                  └── router 10.1.1.2 ──eth1 10.1.4.1── [back: br0] ──┬── b1 10.1.4.10
#                                                                      └── b2 10.1.4.11
# Curls succeed, both backends answer, `get lb -o wide` shows dsr:ipip, `get ct` dsr:ipip-<ep>,
# and a 4 MiB download leaves the rule's byte counters under 1 MiB.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e DSR IPIP" 55

XLB_DECAP=${XLB_DECAP:-$XLB_ROOT/build/src/decap/xlb-decap}
[[ -x $XLB_DECAP ]] || fail "missing $XLB_DECAP" "build first (or set XLB_DECAP)"

step "topology: client, lb, router on one bridge; b1, b2 behind the router; VIP on their lo"
CLIENT_IP=10.1.1.10
LB_IP=10.1.1.1
ROUTER_IP=10.1.1.2
ROUTER_BACK_IP=10.1.4.1
B1_IP=10.1.4.10
B2_IP=10.1.4.11
VIP=20.20.20.1
ns_create front back client lb router b1 b2
bridge_create front br0
bridge_create back br0
for host in client:$CLIENT_IP lb:$LB_IP router:$ROUTER_IP; do
  bridge_connect front br0 "${host%%:*}" eth0
  addr_add "${host%%:*}" eth0 "${host#*:}/24"
done
route_add client "$VIP/32" via "$LB_IP"
route_add lb 10.1.4.0/24 via "$ROUTER_IP"
bridge_connect back br0 router eth1
addr_add router eth1 "$ROUTER_BACK_IP/24"
sysctl_set router net.ipv4.ip_forward=1
sysctl_set lb net.ipv4.ip_forward=1
big=$(e2e_file big.bin 4)
for b in b1 b2; do
  ip=B${b#b}_IP
  bridge_connect back br0 "$b" eth0
  addr_add "$b" eth0 "${!ip}/24"
  route_add "$b" default via "$ROUTER_BACK_IP"
  addr_add "$b" lo "$VIP/32"
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  assert_ok "xlb-decap attach eth0 in $b" nsx "$b" "$XLB_DECAP" attach eth0
  start_http_backend_with "$b" "$b" 80 "$b"
done
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1,$B2_IP:1" --mode=dsr --select=rr --name=l3dsr
wide=$(xlbctl get lb -o wide)
echo "$wide"
assert_contains "$wide" "dsr:ipip" "get lb -o wide MODE of a DSR rule with routed endpoints"

step "20 sequential requests to http://$VIP/"
assert_both_backends_answer "http://$VIP/" 20
ct=$(xlbctl get ct)
echo "$ct" | sed -n 1,4p
assert_contains "$ct" "dsr:ipip-" "get ct Act column of an IPIP DSR flow"

step "a 4 MiB download: the reply goes backend -> router -> client, not through the LB"
before=$(xlb_endpoint_bytes)
capture_start router eth0 reply "src host $VIP and dst host $CLIENT_IP"
want=$(sha256sum <"$big" | cut -d' ' -f1)
got=$(nsx client curl -sS --fail --max-time 20 "http://$VIP/files/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of the 4 MiB download"
replies=$(capture_stop reply | wc -l)
after=$(xlb_endpoint_bytes)
log "rule byte counters: $before before, $after after; $replies reply packets left the router to the client"
assert_gt "$before" "$after" "the rule counted the download's client->server packets"
assert_gt "$((after - before))" $((1024 * 1024)) "bytes seen by the LB for a 4 MiB DSR download (< 1 MiB)"
assert_gt 10 "$replies" "reply packets from $VIP to the client leaving the router's front port"
