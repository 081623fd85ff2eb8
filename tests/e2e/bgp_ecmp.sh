#!/usr/bin/env bash
# Scale-out: three active LB nodes, each xlbd running gobgpd (--bgp) and peering with a BIRD 2
# router (TCP-MD5, hold time 3 s) that spreads flows over them by ECMP (merge paths,
# fib_multipath_hash_policy=1). L2-DSR with maglev to two backends. The router's route to the
# VIP has three next hops within 5 s of the rules' creation, and none of the router's own
# routes is accepted by the nodes. 300 new connections reach all three nodes. 30 held
# transfers keep running when one node is cut off (links down) and when it returns: each
# completes with the right checksum on the backend it started on (maglev picks alike on every
# node). A clean stop withdraws; --bgp-keep-on-exit keeps the route and the next xlbd adopts
# gobgpd; a killed gobgpd is restarted. An HA BACKUP node's worse MED takes it out of the
# multipath. The control: with rr the same cut breaks some transfers. Every endpoint down on a
# node, then every rule deleted: its next hop, then the route, are gone within 2 s. BGP over
# IPv6 (issue 24): lb1 also peers with the router over IPv6 and its IPv6 VIP reaches the
# router as a /128 with lb1's IPv6 address as next hop, and goes when the rule does.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/ha.sh
source "$(dirname "$0")/lib/ha.sh"
for tool in bird birdc gobgpd gobgp; do
  command -v "$tool" >/dev/null || {
    echo "SKIP: the BGP scenario needs $tool (bash scripts/install-deps.sh installs it)" >&2
    exit 77
  }
done
e2e_init "e2e BGP ECMP scale-out" 90
TOOLS="$(dirname "$0")/tools"

#   client 10.1.1.10 ── router 10.1.1.1 | 10.1.3.1 ──[sw: fab]──┬── lb1 10.1.3.11 ┐ AS 65001
#   (BIRD 2, AS 65000, ECMP to the VIP)                         ├── lb2 10.1.3.12 ├ xlbd --bgp
#                                                               ├── lb3 10.1.3.13 ┘
#                                                               ├── b1 10.1.3.21 (VIP on lo)
#                                                               └── b2 10.1.3.22 (VIP on lo)
step "topology: client | router (BIRD) | lb1 lb2 lb3, b1 b2 on one segment"
CLIENT_IP=10.1.1.10
ROUTER_FAB_IP=10.1.3.1
B1_IP=10.1.3.21
B2_IP=10.1.3.22
VIP=20.20.20.1
LBS=(lb1 lb2 lb3)
declare -A LB_IP=([lb1]=10.1.3.11 [lb2]=10.1.3.12 [lb3]=10.1.3.13)
ns_create client router sw lb1 lb2 lb3 b1 b2
veth_pair client eth0 router eth0
addr_add client eth0 "$CLIENT_IP/24"
addr_add router eth0 10.1.1.1/24
route_add client default via 10.1.1.1
bridge_create sw fab
bridge_connect sw fab router eth1
addr_add router eth1 "$ROUTER_FAB_IP/24"
sysctl_set router net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1
for lb in "${LBS[@]}"; do
  bridge_connect sw fab "$lb" eth0
  addr_add "$lb" eth0 "${LB_IP[$lb]}/24"
  sysctl_set "$lb" net.ipv4.ip_forward=1  # the datapath's FIB lookups need forwarding on
done
ROUTER_FAB_IP6=2001:db8:3::1
LB1_IP6=2001:db8:3::11
VIP6=2001:db8:f::100
addr6_add router eth1 "$ROUTER_FAB_IP6/64"
addr6_add lb1 eth0 "$LB1_IP6/64"
topo_backends fab "$ROUTER_FAB_IP"
for b in b1 b2; do
  addr_add "$b" lo "$VIP/32"
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  start_http_backend_with "$b" "$b" 80 "$b"
done
file=$(e2e_file transfer.bin 1)
want_sha=$(sha256sum "$file" | cut -d' ' -f1)

step "BIRD 2 on the router: one session per node, TCP-MD5, hold 3 s, multipath into the kernel"
password_file="$E2E_RUN_DIR/bgp.password"
(umask 077 && echo "xlb-e2e-md5" >"$password_file")
bird_conf="$E2E_RUN_DIR/bird.conf"
{
  cat <<CONF
router id $ROUTER_FAB_IP;
protocol device { scan time 1; }
protocol kernel { ipv4 { import none; export all; }; merge paths on; }
# Offered to the nodes, which must accept nothing.
protocol static { ipv4; route 198.51.100.0/24 blackhole; }
template bgp lbs {
  local $ROUTER_FAB_IP as 65000;
  hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 2;
  password "$(cat "$password_file")";
  ipv4 { import all; export all; };
}
CONF
  for lb in "${LBS[@]}"; do echo "protocol bgp $lb from lbs { neighbor ${LB_IP[$lb]} as 65001; }"; done
  cat <<CONF
# lb1 over IPv6: IPv6 unicast only, no password.
protocol bgp lb1v6 {
  local $ROUTER_FAB_IP6 as 65000; neighbor $LB1_IP6 as 65001;
  hold time 3; keepalive time 1; connect delay time 1; connect retry time 1; error wait time 1, 2;
  ipv6 { import all; export none; };
}
CONF
} >"$bird_conf"
bg_run router bird bird -f -c "$bird_conf" -s "$E2E_RUN_DIR/bird.ctl"
birdc_() { nsx router birdc -s "$E2E_RUN_DIR/bird.ctl" "$@"; }

step "xlbd --bgp on the three nodes (started in parallel), bgpglobal and bgpneighbor each"
for lb in "${LBS[@]}"; do ha_xlbd_launch "$lb" --interfaces=eth0 --bgp; done
# Three nodes load (verify) the datapath at once: more time than one.
for lb in "${LBS[@]}"; do ha_xlbd_wait_ready "$lb" 30; done
for lb in "${LBS[@]}"; do
  xlbctl_in "$lb" create bgpglobal --localAS=65001 --routerID="${LB_IP[$lb]}" >/dev/null
  xlbctl_in "$lb" create bgpneighbor "$ROUTER_FAB_IP" 65000 --holdTime=3 \
    --password-file="$password_file" >/dev/null
done
established() { [[ $(xlbctl_in "$1" get bgpneighbor) == *"| Established |"* ]]; }
for lb in "${LBS[@]}"; do
  wait_until 15 established "$lb" || fail "$lb's session to the router is not Established" \
    "$(xlbctl_in "$lb" get bgpneighbor 2>&1; birdc_ show protocols all "$lb")"
done
xlbctl_in lb1 get bgpneighbor
assert_not_contains "$(nsx lb1 gobgp global rib -a ipv4)" "198.51.100.0/24" \
  "lb1's gobgpd RIB (import policy: accept nothing from peers)"

step "BGP over IPv6: lb1's IPv6 VIP reaches the router as a /128 via lb1's IPv6 address"
xlbctl_in lb1 create bgpneighbor "$ROUTER_FAB_IP6" 65000 --holdTime=3 >/dev/null
established6() { [[ $(xlbctl_in lb1 get bgpneighbor) == *"| $ROUTER_FAB_IP6 "*"| Established |"* ]]; }
wait_until 15 established6 || fail "lb1's IPv6 session to the router is not Established" \
  "$(xlbctl_in lb1 get bgpneighbor 2>&1; birdc_ show protocols all lb1v6)"
xlbctl_in lb1 create lb "$VIP6" --tcp=80 --endpoints="[2001:db8:3::21]:1" --mode=dsr \
  --name=web6 >/dev/null
vip6_route() { birdc_ show route "$VIP6/128" all; }
vip6_via_lb1() { [[ $(vip6_route) == *"via $LB1_IP6 "* ]]; }
wait_until 5 vip6_via_lb1 || fail "the router has no route to $VIP6/128 via $LB1_IP6" "$(vip6_route)"
log "$(vip6_route)"
xlbctl_in lb1 delete lb "$VIP6" --tcp=80 >/dev/null
vip6_gone() { [[ $(vip6_route) != *"$VIP6/128"* ]]; }
wait_until 2 vip6_gone || fail "the router still has $VIP6/128 after the rule went" "$(vip6_route)"

# next_hops: how many next hops the router's kernel route to the VIP has (0: no route).
next_hops() {
  local route
  route=$(nsx router ip route show "$VIP/32")
  if [[ -z $route ]]; then
    echo 0
  elif [[ $route == *nexthop* ]]; then
    grep -c nexthop <<<"$route"
  else
    echo 1
  fi
}
next_hops_are() { [[ $(next_hops) == "$1" ]]; }
# elapsed_since <t0>: seconds since $EPOCHREALTIME was t0, two decimals.
elapsed_since() { python3 -c "print(f'{$EPOCHREALTIME - $1:.2f}')"; }
within() { python3 -c "import sys; sys.exit(0 if $1 <= $2 else 1)"; }

# rules <select>: the DSR rule on every node (created or replaced), in parallel.
rules() {
  local lb pids=()
  for lb in "${LBS[@]}"; do
    xlbctl_in "$lb" create lb "$VIP" --tcp=80 --endpoints="$B1_IP:1,$B2_IP:1" --mode=dsr \
      --select="$1" --name=web >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
}

step "rules (L2-DSR, maglev) on the three nodes: three next hops within 5 s"
t0=$EPOCHREALTIME
rules maglev
wait_until 5 next_hops_are 3 || fail "the router's route to $VIP has $(next_hops) next hops" \
  "$(nsx router ip route show "$VIP/32"; birdc_ show route all "$VIP/32")"
log "three next hops $(elapsed_since "$t0")s after the rules"
nsx router ip route show "$VIP/32"

step "300 new connections reach all three nodes"
before=(); for lb in "${LBS[@]}"; do before+=("$(lb_rule_new_flows "$lb")"); done
answers=$(nsx client python3 "$TOOLS/many_requests.py" "$VIP" 300)
assert_eq 300 "$(($(count_lines "$answers" b1) + $(count_lines "$answers" b2)))" \
  "connections answered by a backend"
total=0
for i in 0 1 2; do
  n=$(($(lb_rule_new_flows "${LBS[$i]}") - before[i]))
  log "${LBS[$i]}: $n new flows"
  assert_gt 0 "$n" "new flows through ${LBS[$i]}"
  total=$((total + n))
done
assert_eq 300 "$total" "new flows counted over the three nodes"

# cut_and_return <select> <expect: all|some-broken>: 30 held transfers; lb1's links go down until
# the router drops its next hop, then come back until it is used again; the transfers are then
# released and their results checked.
transfers_out="$E2E_RUN_DIR/transfers.out"
cut_and_return() {
  local select=$1 expect=$2 flag="$E2E_RUN_DIR/transfers.go" started="$E2E_RUN_DIR/transfers.up"
  rm -f "$flag" "$started"
  nsx client python3 "$TOOLS/held_transfers.py" "$VIP" /files/transfer.bin 30 49152 "$flag" \
    "$started" >"$transfers_out" 2>&1 &
  local tpid=$!
  wait_until 10 test -e "$started" || fail "the transfers did not start" "$(cat "$transfers_out")"
  local t0=$EPOCHREALTIME
  ip -n "$(ns_name lb1)" link set eth0 down
  wait_until 6 next_hops_are 2 || fail "the router kept lb1's next hop" "$(nsx router ip route)"
  log "$select: lb1 cut off, its next hop gone after $(elapsed_since "$t0")s (hold time 3 s)"
  if [[ $expect == all ]]; then
    t0=$EPOCHREALTIME
    ip -n "$(ns_name lb1)" link set eth0 up
    wait_until 10 next_hops_are 3 || fail "lb1's next hop did not come back" "$(birdc_ show protocols)"
    log "$select: lb1 back, its next hop used again after $(elapsed_since "$t0")s"
  fi
  touch "$flag"
  wait "$tpid" || fail "the transfer client failed" "$(cat "$transfers_out")"
  if [[ $expect != all ]]; then
    ip -n "$(ns_name lb1)" link set eth0 up
    wait_until 10 next_hops_are 3 || fail "lb1's next hop did not come back" "$(birdc_ show protocols)"
  fi
}

step "maglev: 30 transfers survive lb1 cut off and back; each keeps its backend"
cut_and_return maglev all
ok=$(grep -c "^ok b[12] $want_sha\$" "$transfers_out" || true)
assert_eq 30 "$ok" "transfers complete with the right checksum (results:
$(sort "$transfers_out" | uniq -c))"
for b in b1 b2; do
  # The backend named at the start served the whole file: its log shows a complete answer for
  # each transfer the client saw start there.
  served=$(grep -c "\"GET /files/transfer.bin HTTP/1.1\" 200 1048576 " \
    "$E2E_RUN_DIR/nginx-$b/access.log" || true)
  assert_eq "$(grep -c "^ok $b " "$transfers_out" || true)" "$served" "complete transfers served by $b"
done

step "lb2's xlbd stops: withdrawn at once; with --bgp-keep-on-exit the route stays and is adopted"
t0=$EPOCHREALTIME
stop_pid "${HA_XLBD_PID[lb2]}" "$(ns_name lb2)"
wait_until 2 next_hops_are 2 || fail "lb2's route stayed after a clean stop"
log "lb2's next hop gone $(elapsed_since "$t0")s after its xlbd stopped"
ha_xlbd_launch lb2 --interfaces=eth0 --bgp --bgp-keep-on-exit
ha_xlbd_wait_ready lb2 30
wait_until 10 next_hops_are 3 || fail "lb2's next hop did not come back after its restart"
gobgpd_pid=$(cat "$E2E_RUN_DIR/state-lb2/bgp/gobgpd.pid")
stop_pid "${HA_XLBD_PID[lb2]}" "$(ns_name lb2)"
kept_until=$((${EPOCHREALTIME/./} + 1000000))
while ((${EPOCHREALTIME/./} < kept_until)); do
  next_hops_are 3 || fail "lb2's route went with --bgp-keep-on-exit"
done
kill -0 "$gobgpd_pid" || fail "lb2's gobgpd stopped with --bgp-keep-on-exit"
ha_xlbd_launch lb2 --interfaces=eth0 --bgp --bgp-keep-on-exit
ha_xlbd_wait_ready lb2 30
assert_contains "$(ha_log_tail xlbd-lb2 40)" "adopted the running gobgpd (pid $gobgpd_pid)" \
  "lb2's log after its restart"
next_hops_are 3 || fail "lb2's route went while xlbd restarted"
assert_contains "$(birdc_ show protocols lb2)" "Established" "the router's session to lb2"

step "lb2's gobgpd killed: xlbd restarts it, the route comes back; its log is kept"
kill -KILL "$gobgpd_pid"
gobgpd_restarted() { [[ $(cat "$E2E_RUN_DIR/state-lb2/bgp/gobgpd.pid" 2>/dev/null) != "$gobgpd_pid" ]]; }
wait_until 5 gobgpd_restarted || fail "lb2's gobgpd was not restarted" "$(ha_log_tail xlbd-lb2)"
assert_contains "$(ha_log_tail xlbd-lb2 20)" "gobgpd (pid $gobgpd_pid) exited" "lb2's log"
# The old gobgpd is gone: a session Established with a route sent is the new one's.
announcing() { [[ $(xlbctl_in lb2 get bgpneighbor) == *"| Established | "*"| 1 "* ]]; }
wait_until 10 announcing || fail "lb2's new gobgpd does not announce" "$(xlbctl_in lb2 get bgpnei)"
wait_until 5 next_hops_are 3 || fail "lb2's route did not come back after gobgpd was killed"
assert_ge 2 "$(grep -c 'gobgpd started' "$E2E_RUN_DIR/state-lb2/bgp/gobgpd.log")" \
  "gobgpd starts in its log (kept across restarts)"

step "HA BACKUP on lb3: its worse MED takes it out of the multipath; MASTER again: back"
xlbctl_in lb3 set ha default --state=BACKUP >/dev/null
wait_until 3 next_hops_are 2 || fail "lb3 as BACKUP still in the multipath" "$(birdc_ show route all "$VIP/32")"
assert_contains "$(birdc_ show route all "$VIP/32")" "BGP.med: 100" "lb3's route as BACKUP"
xlbctl_in lb3 set ha default --state=MASTER >/dev/null
wait_until 3 next_hops_are 3 || fail "lb3 as MASTER not back in the multipath"

step "control: with rr the same cut breaks some transfers (mid-flow picks differ between nodes)"
for lb in "${LBS[@]}"; do nsx "$lb" timeout 10 "$XLBCTL" delete lb "$VIP" --tcp=80 >/dev/null; done
wait_until 3 next_hops_are 0 || true
rules rr
wait_until 5 next_hops_are 3 || fail "rr rules: the router's route has $(next_hops) next hops"
cut_and_return rr some-broken
broken=$(grep -vc "^ok b[12] $want_sha\$" "$transfers_out" || true)
log "rr: $broken of 30 transfers broke"
assert_gt 0 "$broken" "transfers broken by the cut with rr"

step "every endpoint down on lb1: its next hop gone within 2 s; every rule deleted: no route"
rules maglev
wait_until 5 next_hops_are 3 || fail "maglev rules again: $(next_hops) next hops"
t0=$EPOCHREALTIME
xlbctl_in lb1 set ep "$B1_IP" --state=down >/dev/null
xlbctl_in lb1 set ep "$B2_IP" --state=down >/dev/null
wait_until 2 next_hops_are 2 || fail "lb1 with no endpoint up still announces $VIP"
log "lb1's next hop gone $(elapsed_since "$t0")s after its endpoints went down"
t0=$EPOCHREALTIME
for lb in lb2 lb3; do nsx "$lb" timeout 10 "$XLBCTL" delete lb "$VIP" --tcp=80 >/dev/null; done
wait_until 2 next_hops_are 0 || fail "the router still routes $VIP" "$(nsx router ip route show "$VIP/32")"
took=$(elapsed_since "$t0")
log "no route $took s after the last rule was deleted"
within "$took" 2 || fail "the route took ${took}s to go (bound: 2 s)"
