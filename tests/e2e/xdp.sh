#!/usr/bin/env bash
# xlbd --attach=xdp: one LB serving a NAT rule, a FullNAT rule and an L2-DSR rule in the two-arm
# layout, the peers of the LB's veths readied for XDP (veth_peers_for_xdp: an XDP pass program,
# or frames XDP sends into a veth are dropped; TX checksum offload off, or what a local stack sends
# keeps a partial checksum that XDP's rewrite turns bad). Each rule carries real TCP to nginx (a 1 MiB download
# checked by sha256 through NAT); `get stats`, /metrics and diagnose say xdp for both
# interfaces; the LB's own tcpdump on its client side sees almost none of the client's packets
# to the VIP, because XDP forwarded them before any socket buffer (or packet tap) existed.
# No XDP program and TX checksum offload on at the client's veth make diagnose warn of both;
# GRO instead of the program still leaves one warning (XDP_TX frames).
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e XDP attach (NAT, FullNAT, L2-DSR)" 60
command -v ethtool >/dev/null || {
  echo "SKIP: needs ethtool (bash scripts/install-deps.sh installs it)" >&2
  exit 77
}

VIP2=20.20.20.2
step "topology: client | lb | b1, b2; NAT :80 -> b1:8080, FullNAT :81 -> b2:8080, DSR $VIP2:80"
topo_two_arm
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1 8080 'b1 $remote_addr'
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b2 b2 8080 'b2 $remote_addr'
for b in b1 b2; do
  addr_add "$b" lo "$VIP2/32"
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  start_http_backend_with "$b" "$b-dsr" "$VIP2:80" "$b-dsr"
done
route_add client "$VIP2/32" via "$LB_CLIENT_IP"
veth_peers_for_xdp lb
big=$(e2e_file big.bin 1)
xlbd_start lb --interfaces=eth0,eth1 --attach=xdp
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --name=nat
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B2_IP:1" --mode=fullnat --name=fnat
xlbctl create lb "$VIP2" --tcp=80 --endpoints="$B1_IP:1,$B2_IP:1" --mode=dsr --name=dsr

step "get stats, /metrics: requested xdp, both interfaces on xdp"
stats=$(xlbctl get stats)
echo "$stats" | sed -n 1,6p
assert_contains "$stats" "attach: xdp (xlbd --attach)" "get stats: the requested mode"
for ifname in eth0 eth1; do
  assert_contains "$stats" "| $ifname      | xdp  |" "get stats: the hook of $ifname"
done
metrics=$(nsx lb curl -sS --fail --max-time 5 "http://$XLB_API/metrics")
assert_contains "$metrics" 'xlb_interface_hook_info{hook="xdp",interface="eth1"} 1' \
  "/metrics: the hook of eth1"

step "real TCP through each rule, with the LB's client side tapped"
capture_start lb eth0 lb-eth0 --immediate-mode tcp and dst net 20.20.20.0/24
answers=$(http_get_n client "http://$VIP/" 10)
assert_eq 10 "$(count_lines "$answers" "b1 $CLIENT_IP")" "NAT answers (client address kept):
$(sort <<<"$answers" | uniq -c)"
want=$(sha256sum <"$big" | cut -d' ' -f1)
got=$(nsx client curl -sS --fail --max-time 10 "http://$VIP/files/big.bin" | sha256sum | cut -d' ' -f1)
assert_eq "$want" "$got" "sha256 of a 1 MiB download through NAT"
answers=$(http_get_n client "http://$VIP:81/" 10)
assert_eq 10 "$(count_lines "$answers" "b2 $LB_BACKEND_IP")" "FullNAT answers (peer = the LB):
$(sort <<<"$answers" | uniq -c)"
answers=$(http_get_n client "http://$VIP2/" 10)
b1=$(count_lines "$answers" b1-dsr)
b2=$(count_lines "$answers" b2-dsr)
assert_eq 10 "$((b1 + b2))" "L2-DSR answers: $(sort <<<"$answers" | uniq -c | tr '\n' ' ')"
tapped=$(capture_stop lb-eth0 | wc -l)
forwarded=0
for rule in "$VIP 80" "$VIP 81" "$VIP2 80"; do
  read -r vip port <<<"$rule"
  n=$(lb_rule_counter "$vip" "$port" tcp packets)
  log "rule $vip:$port counted $n packets"
  assert_gt 0 "$n" "packets counted for $vip:$port"
  forwarded=$((forwarded + n))
done
log "the LB's tap on eth0 saw $tapped of the client's packets to the VIPs; the rules counted $forwarded"
# A rule counts both directions; the client sent well over a third of them. Under tc every one
# of those would be in the capture (packet taps run before tc ingress); XDP redirects them
# before any tap. A few may still reach TC (a neighbour not resolved yet is passed to it).
assert_gt "$tapped" $((forwarded / 10)) "client packets the LB's tap saw (XDP forwards before it)"

step "diagnose: the hook of each interface; the client's veth unready -> two warnings"
diagnose_expect 0 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "eth0: xdp" "diagnose names the hook of eth0"
nsx client ip link set dev eth0 xdpdrv off
nsx client ethtool -K eth0 gro off tx on >/dev/null
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "Frames XDP sends into eth0 will be dropped" \
  "diagnose warns about eth0's peer without NAPI"
assert_contains "$DIAG_OUT" "may leave XDP with bad checksums" \
  "diagnose warns about eth0's peer with TX checksum offload"
assert_contains "$DIAG_OUT" "ip netns exec $(ns_name client) ip link set dev eth0 xdpdrv obj" \
  "diagnose says the fix"
step "diagnose: GRO alone on the client's veth -> XDP_TX frames still lost"
nsx client ethtool -K eth0 gro on tx off >/dev/null
diagnose_expect 2 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "Frames XDP sends back out of eth0 will be dropped" \
  "diagnose warns about eth0's peer with GRO but no XDP program"
assert_not_contains "$DIAG_OUT" "Frames XDP sends into eth0" "no NAPI warning once GRO is on"
