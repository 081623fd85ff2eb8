#!/usr/bin/env bash
# L2 DSR, one-arm: client, LB and two backends on one bridge. The backends hold the VIP on lo
# (arp_ignore=1, arp_announce=2) and nginx on :80; the LB only rewrites MACs. 20 requests all
# succeed and both backends answer; `get lb -o wide` shows dsr:l2; a 4 MiB download leaves the
# rule's byte counters under 1 MiB (replies bypass the LB). A DSR rule with port translation is
# refused with the documented message and leaves `get lb` unchanged.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e DSR L2" 55

step "topology: client, lb, b1, b2 on 10.9.16.0/24 (one bridge); VIP on the backends' lo"
topo_one_arm
B2_IP=10.9.16.21
ns_create b2
bridge_connect sw br0 b2 eth0
addr_add b2 eth0 "$B2_IP/24"
big=$(e2e_file big.bin 4)
for b in b1 b2; do
  addr_add "$b" lo "$VIP/32"
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  start_http_backend_with "$b" "$b" 80 "$b"
done
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1,$B2_IP:1" --mode=dsr --select=rr --name=dsr
wide=$(xlbctl get lb -o wide)
echo "$wide"
assert_contains "$wide" "dsr:l2" "get lb -o wide MODE of a DSR rule with on-link endpoints"

step "the LB, not a backend, answers ARP for the VIP"
assert_ok "ping $VIP from the client" nsx client ping -c 1 -W 2 "$VIP"
assert_contains "$(nsx client ip neigh show "$VIP")" "lladdr $(mac_of lb eth0)" \
  "client's neighbour entry for the VIP is the LB's MAC"

step "20 sequential requests to http://$VIP/"
assert_both_backends_answer "http://$VIP/" 20
ct=$(xlbctl get ct)
echo "$ct" | sed -n 1,4p
assert_contains "$ct" "dsr:l2-" "get ct Act column of a DSR flow"

step "a 4 MiB download: the reply bypasses the LB"
before=$(xlb_endpoint_bytes)
want=$(sha256sum <"$big" | cut -d' ' -f1)
got=$(nsx client curl -sS --fail --max-time 20 "http://$VIP/files/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of the 4 MiB download"
after=$(xlb_endpoint_bytes)
log "rule byte counters: $before before, $after after the download"
assert_gt "$before" "$after" "the rule counted the download's client->server packets"
assert_gt "$((after - before))" $((1024 * 1024)) "bytes seen by the LB for a 4 MiB DSR download (< 1 MiB)"

step "a DSR rule with port translation is refused; get lb unchanged"
lb_before=$(xlbctl get lb -o json | python3 -c '
import json, sys
print(json.dumps([(r["vip"], r["port"], r["protocol"], r.get("mode")) for r in json.load(sys.stdin)["loadbalancers"]]))')
if out=$(xlbctl create lb 10.9.16.248 --tcp=80:8080 --endpoints="$B1_IP:1" --mode=dsr 2>&1); then
  fail "create of a DSR rule with port translation succeeded" "output: $out"
fi
assert_contains "$out" "DSR cannot translate ports (80 -> 8080): use the same port or --mode=fullnat" \
  "error message for DSR with port translation"
lb_after=$(xlbctl get lb -o json | python3 -c '
import json, sys
print(json.dumps([(r["vip"], r["port"], r["protocol"], r.get("mode")) for r in json.load(sys.stdin)["loadbalancers"]]))')
assert_eq "$lb_before" "$lb_after" "rules after the refused create"
