#!/usr/bin/env bash
# HA pair with keepalived (the shipped contrib/keepalived config): lb1 MASTER, lb2 BACKUP, and
# only lb1 answers ARP for the VIP. lb1 is cut off (its links down): lb2 is MASTER within 1 s,
# its gratuitous ARPs move the client's ARP entry, and new connections work in NAT, FullNAT
# (SNAT = the floating endpoint-side address) and L2-DSR through lb2. lb1 comes back and stays
# BACKUP (nopreempt). Forced to MASTER by hand, lb1's diagnose reports both nodes MASTER. Then
# lb2's xlbd stops: keepalived's track script makes lb2 FAULT, lb1 takes over, and lb2's
# datapath no longer answers ARP for the VIP.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/ha.sh
source "$(dirname "$0")/lib/ha.sh"
ha_require_keepalived
e2e_init "e2e HA failover" 60
TOOLS="$(dirname "$0")/tools"

step "topology: client | front | lb1, lb2 | back | b1, b2 (gateway: the floating address)"
topo_ha_pair
for b in b1 b2; do
  # The VIP on lo for L2-DSR; NAT and FullNAT reach the same nginx on its own address.
  addr_add "$b" lo "$VIP/32"
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  # shellcheck disable=SC2016  # nginx variables, expanded by nginx
  start_http_backend_with "$b" "$b" 8080 "$b \$remote_addr"
done
ha_pair_xlbd_start

step "keepalived on both: lb1 MASTER, lb2 BACKUP"
# lb1's first: with nopreempt the first MASTER keeps the role, whatever the priorities say.
ha_keepalived_start lb1 xlb1
wait_until 10 ha_state_is lb1 MASTER || fail "lb1 is not MASTER" "lb1: $(ha_state lb1)"
ha_keepalived_start lb2 xlb2
wait_until 5 ha_state_is lb2 BACKUP || fail "lb2 is not BACKUP" "lb2: $(ha_state lb2)"
wait_until 5 ha_peer_connected lb1 || fail "lb1 does not see lb2 over the cluster channel"
xlbctl_in lb1 get ha
xlbctl_in lb2 get hastate -o wide
lb1_mac=$(mac_of lb1 eth0)
lb2_mac=$(mac_of lb2 eth0)
answers=$(nsx client python3 "$TOOLS/arp_who_has.py" eth0 "$VIP" 0.3)
assert_eq "$lb1_mac" "$answers" "MACs answering ARP for $VIP (lb1 $lb1_mac; lb2 $lb2_mac must not)"

# mode_requests <port> <want>: 6 new connections to VIP:<port>, each answered "<backend> <want>"
# (<want>: the address the backend saw as the client).
mode_requests() {
  local port=$1 want=$2 answers
  answers=$(http_get_n client "http://$VIP:$port/" 6)
  assert_eq 6 "$(grep -cE "^b[12] $want\$" <<<"$answers")" "answers on :$port (all:
$answers)"
}
step "NAT, FullNAT and L2-DSR through lb1"
mode_requests 80 "$CLIENT_IP"
mode_requests 81 "$FLOATING_IP"
mode_requests 8080 "$CLIENT_IP"
assert_contains "$(nsx client ip neigh show "$VIP")" "lladdr $lb1_mac" "client's ARP entry for the VIP"

step "cut lb1 off: lb2 MASTER within 1 s, the client's ARP entry moves to lb2 (gratuitous ARP)"
t0=$EPOCHREALTIME
ip -n "$(ns_name lb1)" link set eth0 down
ip -n "$(ns_name lb1)" link set eth1 down
wait_until 3 ha_state_is lb2 MASTER || fail "lb2 did not become MASTER" "lb2: $(ha_state lb2)"
took=$(python3 -c "print(round($EPOCHREALTIME - $t0, 2))")
log "lb2 MASTER ${took}s after the cut"
python3 -c "import sys; sys.exit(0 if $took <= 1.0 else 1)" ||
  fail "lb2 took ${took}s to become MASTER (bound: 1 s)"
client_arp_is() { [[ $(nsx client ip neigh show "$VIP") == *"lladdr $1 "* ]]; }
wait_until 3 client_arp_is "$lb2_mac" ||
  fail "the client's ARP entry did not move to lb2" "$(nsx client ip neigh show "$VIP")"

step "new connections through lb2: NAT, FullNAT (SNAT = $FLOATING_IP), L2-DSR"
before=$(lb_rule_new_flows lb2)
mode_requests 80 "$CLIENT_IP"
mode_requests 81 "$FLOATING_IP"
mode_requests 8080 "$CLIENT_IP"
assert_eq $((before + 18)) "$(lb_rule_new_flows lb2)" "new flows lb2 counted (all 18 went through it)"

step "lb1 comes back and stays BACKUP (nopreempt)"
ip -n "$(ns_name lb1)" link set eth0 up
ip -n "$(ns_name lb1)" link set eth1 up
wait_until 5 ha_state_is lb1 BACKUP || fail "lb1 is not BACKUP after coming back" "lb1: $(ha_state lb1)"
# Watched for a second: lb1, with the higher priority, must not take MASTER back.
watch_until=$((${EPOCHREALTIME/./} + 1000000))
while ((${EPOCHREALTIME/./} < watch_until)); do
  ha_state_is lb2 MASTER || fail "lb2 lost MASTER to the returning lb1" "lb2: $(ha_state lb2)"
  ha_state_is lb1 BACKUP || fail "lb1 left BACKUP" "lb1: $(ha_state lb1)"
done
xlbctl_in lb1 get ha -o wide
assert_contains "$(ha_log_tail xlbd-lb2 100)" "HA state changed: instance=default from=BACKUP to=MASTER" \
  "lb2's log of its transition"
metrics=$(nsx lb2 curl -sf "http://$XLB_API/metrics")
assert_contains "$metrics" 'xlb_ha_state{instance="default",state="MASTER"} 1' "lb2 /metrics"
assert_contains "$metrics" 'xlb_cluster_peer_connected{peer="10.1.2.2"}' "lb2 /metrics peer series"

step "lb1 forced to MASTER by hand: its diagnose reports both nodes MASTER"
wait_until 5 ha_peer_connected lb1 || fail "lb1 does not see lb2 again"
xlbctl_in lb1 set ha default --state=MASTER
status=0
report=$(xlbctl_in lb1 diagnose lb "$VIP" --tcp=80) || status=$?
assert_eq 2 "$status" "diagnose exit status with both nodes MASTER"
assert_contains "$report" "Both nodes are MASTER for HA instance default" "lb1's diagnose"
xlbctl_in lb1 set ha default --state=BACKUP

step "lb2's xlbd stops: its track script fails, lb1 takes over, lb2 stops answering ARP"
stop_pid "${HA_XLBD_PID[lb2]}" "$(ns_name lb2)"
wait_until 5 ha_state_is lb1 MASTER || fail "lb1 did not take over from lb2's dead xlbd"
answers=$(nsx client python3 "$TOOLS/arp_who_has.py" eth0 "$VIP" 0.3)
assert_eq "$lb1_mac" "$answers" "MACs answering ARP for $VIP once lb2's xlbd stopped"
mode_requests 81 "$FLOATING_IP"
