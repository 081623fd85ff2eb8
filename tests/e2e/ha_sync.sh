#!/usr/bin/env bash
# Conntrack sync in an HA pair (keepalived with the shipped config, --cluster-key-file): 40
# checksummed downloads, held at a slow rate, through lb1 at once — 10 each in NAT, FullNAT
# (SNAT = the floating address), FullNAT with Proxy Protocol v2 and L2-DSR; lb2's get ct shows
# every one, learnt from lb1, within 1 s of its handshake. lb1 is cut off: lb2 takes over and
# every transfer goes on through it; 20 new connections work. lb1 comes back, resyncs from lb2
# and stays BACKUP; then the roles are switched back on purpose (keepalived on lb2 stops, lb1's
# notify script sets MASTER once its resync is complete) and the transfers go on through lb1.
# Released, every transfer completes with the right checksum and no reset. A client without
# the key and one sending garbage are refused by the cluster port and write nothing.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/ha.sh
source "$(dirname "$0")/lib/ha.sh"
ha_require_keepalived
e2e_init "e2e HA conntrack sync" 90
TOOLS="$(dirname "$0")/tools"

step "topology: client | front | lb1, lb2 | back | b1, b2; nginx :8080, with Proxy Protocol :8081"
topo_ha_pair
for b in b1 b2; do
  addr_add "$b" lo "$VIP/32" # L2-DSR
  sysctl_set "$b" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  # shellcheck disable=SC2016  # nginx variables, expanded by nginx
  start_http_backend_with "$b" "$b" 8080 "$b \$remote_addr"
  # shellcheck disable=SC2016
  start_http_backend_with "$b" "$b-pp" "8081 proxy_protocol" "$b \$proxy_protocol_addr"
done
file=$(e2e_file sync 3)
sum=$(sha256sum "$file" | cut -d' ' -f1)
ha_pair_xlbd_start
for lb in lb1 lb2; do
  xlbctl_in "$lb" create lb "$VIP" --tcp=82:8081 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullnat \
    --snat="$FLOATING_IP" --ppv2en --name=fnat-pp >/dev/null
done
assert_contains "$(ha_log_tail xlbd-lb1 50)" "FullNAT source ports 1024-16895" "lb1's share"
assert_contains "$(ha_log_tail xlbd-lb2 50)" "FullNAT source ports 16896-32767" "lb2's share"

# sync_json <ns> <python expression over p, the first peer's JSON>: prints its value.
sync_json() {
  xlbctl_in "$1" get ha -o json | python3 -c "
import json, sys
p = json.load(sys.stdin)['peers'][0]
print($2)"
}
resync_complete() { [[ $(sync_json "$1" "p['resync']") == complete ]]; }
# rule_packets <ns>: packets counted by every rule of the xlbd in <ns>.
rule_packets() {
  xlbctl_in "$1" get lb -o json | python3 -c '
import json, sys
print(sum(r["counters"]["packets"] for r in json.load(sys.stdin)["loadbalancers"]))'
}
# packets_grow <ns> <since>: its rules count more packets than <since>.
packets_grow() { (($(rule_packets "$1") > $2)); }

step "keepalived on both: lb1 MASTER, lb2 BACKUP once lb1's dump reached it"
ha_keepalived_start lb1 xlb1
wait_until 10 ha_state_is lb1 MASTER || fail "lb1 is not MASTER" "lb1: $(ha_state lb1)"
ha_keepalived_start lb2 xlb2
keepalived_lb2=$BG_PID
wait_until 5 ha_state_is lb2 BACKUP || fail "lb2 is not BACKUP" "lb2: $(ha_state lb2)"
wait_until 5 resync_complete lb2 || fail "lb2 never completed lb1's dump"
lb1_mac=$(mac_of lb1 eth0)
lb2_mac=$(mac_of lb2 eth0)
client_arp_is() { [[ $(nsx client ip neigh show "$VIP") == *"lladdr $1 "* ]]; }

step "40 held downloads through lb1 (NAT, FullNAT, FullNAT+PPv2, L2-DSR); lb2 learns each within 1 s"
urls=()
for port in 80 81 82 8080; do
  for _ in {1..10}; do urls+=("http://$VIP:$port/files/sync"); done
done
release="$E2E_RUN_DIR/downloads.release"
handshakes="$E2E_RUN_DIR/handshakes.tsv"
: >"$handshakes"
bg_run client downloads python3 "$TOOLS/held_downloads.py" "$release" "$handshakes" 65536 "$sum" \
  "${urls[@]}"
downloads=$BG_PID
e2e_defer touch "$release" # a failing run lets them finish rather than hang on
lb2_ct=(ip netns exec "$(ns_name lb2)" timeout 10 "$XLBCTL" get ct -o json)
seen=$(python3 "$TOOLS/ct_seen.py" "$handshakes" 40 1.0 20 -- "${lb2_ct[@]}") ||
  fail "lb2 did not learn every flow within 1 s of its handshake" "$seen"
log "lb2 learnt all 40: slowest $(sort -k3 -n <<<"$seen" | tail -1)"
assert_contains "$(xlbctl_in lb2 get ct)" "peer" "lb2's get ct marks the flows from lb1"
assert_ge "$(sync_json lb2 "p['sync']['flows_received']")" 40 "flow records lb2 received"

step "lb1 cut off: lb2 MASTER, the transfers go on through lb2"
ip -n "$(ns_name lb1)" link set eth0 down
ip -n "$(ns_name lb1)" link set eth1 down
wait_until 3 ha_state_is lb2 MASTER || fail "lb2 did not become MASTER" "lb2: $(ha_state lb2)"
wait_until 3 client_arp_is "$lb2_mac" || fail "the client's ARP entry did not move to lb2"
before=$(rule_packets lb2)
wait_until 5 packets_grow lb2 "$((before + 400))" ||
  fail "the transfers do not go on through lb2" "packets before: $before, now: $(rule_packets lb2)"
kill -0 "$downloads" || fail "the downloads ended early" "$(ha_log_tail downloads 50)"

step "20 new connections through lb2"
answers=$(http_get_n client "http://$VIP:80/" 5; http_get_n client "http://$VIP:81/" 5
  http_get_n client "http://$VIP:82/" 5; http_get_n client "http://$VIP:8080/" 5)
assert_eq 15 "$(grep -cE "^b[12] $CLIENT_IP\$" <<<"$answers")" "NAT, PPv2 and DSR answers (all:
$answers)"
assert_eq 5 "$(grep -cE "^b[12] $FLOATING_IP\$" <<<"$answers")" "FullNAT answers"

step "lb1 comes back: it resyncs from lb2 and stays BACKUP"
back_at=$EPOCHREALTIME
received=$(sync_json lb1 "p['sync']['flows_received']")
ip -n "$(ns_name lb1)" link set eth0 up
ip -n "$(ns_name lb1)" link set eth1 up
resynced_since() {
  resync_complete lb1 &&
    (($(sync_json lb1 "p['sync']['flows_received']") >= received + 40)) &&
    [[ $(sync_json lb1 "p['sync']['last_full_resync'] or ''") > $(date -u -d "@${back_at%.*}" +%FT%T) ]]
}
wait_until 10 resynced_since || fail "lb1 did not resync from lb2" "$(xlbctl_in lb1 get ha -o wide)"
wait_until 5 ha_state_is lb1 BACKUP || fail "lb1 is not BACKUP after coming back" "lb1: $(ha_state lb1)"
watch_until=$((${EPOCHREALTIME/./} + 1000000))
while ((${EPOCHREALTIME/./} < watch_until)); do
  ha_state_is lb2 MASTER || fail "lb2 lost MASTER to the returning lb1" "lb2: $(ha_state lb2)"
done
xlbctl_in lb1 get ha -o wide
kill -0 "$downloads" || fail "the downloads ended early" "$(ha_log_tail downloads 50)"

step "roles switched back: keepalived on lb2 stops, lb1 MASTER; the transfers go on through lb1"
stop_pid "$keepalived_lb2" "$(ns_name lb2)"
wait_until 5 ha_state_is lb1 MASTER || fail "lb1 did not become MASTER" "lb1: $(ha_state lb1)"
wait_until 3 client_arp_is "$lb1_mac" || fail "the client's ARP entry did not move back to lb1"
before=$(rule_packets lb1)
wait_until 5 packets_grow lb1 "$((before + 400))" ||
  fail "the transfers do not go on through lb1" "packets before: $before, now: $(rule_packets lb1)"

step "released: every transfer completes with the right checksum and no reset"
touch "$release"
status=0
wait "$downloads" || status=$?
results=$(ha_log_tail downloads 60)
assert_eq 0 "$status" "downloads' exit status (results:
$results)"
assert_eq 40 "$(grep -c " ok $((3 * 1024 * 1024))\$" <<<"$results")" "transfers complete and intact"

step "a client without the key and one sending garbage: refused, nothing written"
synced_flows() {
  xlbctl_in lb1 get ct -o json | python3 -c '
import json, sys
print(sorted((f["src_ip"], f["sport"], f["dport"]) for f in json.load(sys.stdin)["flows"] if f["synced"]))'
}
flows_before=$(synced_flows)
handshake_before=$(xlbctl_in lb1 get ha -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rejected"]["handshake"])')
# From lb2's own address (a --cluster address of lb1): another key, then no TLS at all.
nsx lb2 timeout 5 openssl s_client -connect "$LB1_BACK_IP:22222" -tls1_3 -psk_identity xlb \
  -psk "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" </dev/null >/dev/null 2>&1 || true
head -c 4096 /dev/urandom | nsx lb2 timeout 5 socat -u - "TCP:$LB1_BACK_IP:22222" || true
handshakes_refused() {
  (($(xlbctl_in lb1 get ha -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["rejected"]["handshake"])') >= handshake_before + 2))
}
wait_until 5 handshakes_refused || fail "lb1 did not refuse both clients"
flows_after=$(synced_flows)
python3 -c "import sys; sys.exit(0 if set($flows_after) <= set($flows_before) else 1)" ||
  fail "a refused client wrote flows" "before: $flows_before" "after: $flows_after"
