#!/usr/bin/env bash
# NAT64 (issue 25): an IPv6 client reaches IPv4-only nginx backends through an IPv6 VIP in
# FullNAT. `get lb -o wide` names it fullnat:nat64; a 3 MiB download arrives intact and the
# backend saw the LB's IPv4 address; with --ppv2en nginx learns the client's IPv6 address from
# the Proxy Protocol header; the rule's tcp health check marks the IPv4 backend ok; diagnose
# finds the rule healthy; and an upload through a router whose onward link has a 1400-byte MTU
# completes: the router's ICMPv4 Fragmentation Needed reaches the client as ICMPv6 Packet Too
# Big (MTU 1420, in its route cache).
#
#   client 2001:db8:c::10 ── lb eth0 2001:db8:c::1
#                            lb eth1 10.0.2.1/24 ── b1 10.0.2.10 (nginx :8080, :8081 proxy_protocol)
#                            lb eth2 10.0.3.1/24 ── rt 10.0.3.254 | rt 10.0.4.254 ══ b2 10.0.4.10
#                                                                   (rt's MTU 1400 toward b2)
#   VIP 2001:db8:f::200 (on no interface; the client's default route is the LB)
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
e2e_init "e2e NAT64: IPv6 client, IPv4 backends" 50

CLIENT6=2001:db8:c::10
LB_CLIENT6=2001:db8:c::1
VIP6=2001:db8:f::200
LB_B1=10.0.2.1
B1=10.0.2.10
LB_RT=10.0.3.1
RT_LB=10.0.3.254
RT_B2=10.0.4.254
B2=10.0.4.10

step "topology: client (IPv6 only) | lb | b1 (IPv4), and b2 behind a router with a 1400-byte link"
ns_create client lb b1 rt b2
veth_pair client eth0 lb eth0
veth_pair lb eth1 b1 eth0
veth_pair lb eth2 rt eth0
veth_pair rt eth1 b2 eth0
# Only the router's side is narrow: b2 keeps 1500, so its MSS does not spare the client the
# path MTU discovery (b2 sends nothing larger than acknowledgements and a short answer).
ip -n "$(ns_name rt)" link set eth1 mtu 1400
addr6_add client eth0 "$CLIENT6/64"
addr6_add lb eth0 "$LB_CLIENT6/64"
addr_add lb eth1 "$LB_B1/24"
addr_add b1 eth0 "$B1/24"
addr_add lb eth2 "$LB_RT/24"
addr_add rt eth0 "$RT_LB/24"
addr_add rt eth1 "$RT_B2/24"
addr_add b2 eth0 "$B2/24"
ip -n "$(ns_name client)" -6 route add default via "$LB_CLIENT6"
route_add lb 10.0.4.0/24 via "$RT_LB"
route_add b2 default via "$RT_B2"
sysctl_set lb net.ipv6.conf.all.forwarding=1 net.ipv4.ip_forward=1
sysctl_set rt net.ipv4.ip_forward=1
big=$(e2e_file big.bin 3)
want=$(sha256sum <"$big" | cut -d' ' -f1)
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1 8080 'b1 $remote_addr'
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1pp "8081 proxy_protocol" 'b1pp $proxy_protocol_addr $remote_addr'
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b2 b2 8080 'b2 $remote_addr'
xlbd_start lb --interfaces=eth0,eth1,eth2
xlbctl create lb "$VIP6" --tcp=80:8080 --endpoints="$B1:1" --mode=fullnat --monitor --name=web64
xlbctl create lb "$VIP6" --tcp=81:8081 --endpoints="$B1:1" --mode=fullnat --ppv2en --name=pp64
xlbctl create lb "$VIP6" --tcp=82:8080 --endpoints="$B2:1" --mode=fullnat --name=pmtu64
lbs=$(xlbctl get lb -o wide)
echo "$lbs"
assert_contains "$lbs" "fullnat:nat64" "get lb -o wide names NAT64"
out=$(xlbctl create lb "$VIP6" --tcp=83:8080 --endpoints="$B1:1" 2>&1 || true)
assert_contains "$out" "needs --mode=fullnat" "NAT64 in default mode is refused, naming the fix"

step "the tcp health check of the IPv4 backend marks it ok"
xlbctl create endpoint "$B1" --probetype=tcp --period=0.4 --timeout=0.4 --retries=2 --rise=2
wait_ep_state "$B1" ok 5

step "a 3 MiB download through the IPv6 VIP arrives intact; b1 saw the LB's IPv4 address"
got=$(nsx client curl -sS --fail --max-time 20 "http://[$VIP6]/files/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of the 3 MiB download"
assert_eq "b1 $LB_B1" "$(http_get client "http://[$VIP6]/")" "b1's answer (its peer address)"
ct=$(xlbctl get ct)
assert_contains "$ct" "fnat-$CLIENT6->$LB_B1:" "get ct: the IPv6 client, the LB's IPv4 source"

step "--ppv2en: nginx learns the client's IPv6 address from the Proxy Protocol header"
assert_eq "b1pp $CLIENT6 $LB_B1" "$(http_get client "http://[$VIP6]:81/")" "b1pp's answer"

step "PMTU: a 3 MiB upload past the 1400-byte link completes after Packet Too Big"
code=$(nsx client curl -sS --max-time 20 -o /dev/null -w '%{http_code}' -T "$big" \
  "http://[$VIP6]:82/upload/up.bin")
assert_one_of "$code" "HTTP status of the PUT" 201 204
stored="$E2E_RUN_DIR/nginx-b2/uploads/up.bin"
assert_eq "$want" "$(sha256sum <"$stored" | cut -d' ' -f1)" "sha256 of the stored upload"
route=$(nsx client ip -6 route get "$VIP6")
assert_contains "$route" "mtu 1420" "the client's route to the VIP learnt MTU 1400 + 20"
step "diagnose finds the NAT64 rule healthy (its flows folded by their IPv4 endpoints)"
diagnose_expect 0 "$VIP6" --tcp=80
assert_contains "$DIAG_OUT" "tracked flows" "diagnose counted the rule's flows"
log "NAT64: download, PPv2, health and PMTU upload through $VIP6 all as expected"
