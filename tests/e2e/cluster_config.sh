#!/usr/bin/env bash
# One configuration for a cluster (docs/cluster-config.md): a three-member etcd cluster and three
# xlbd nodes A, B, C (--store=etcd://...) with FullNAT rules; A imports its file store at start
# (--store-import), and `save -f` / `apply -f` go through etcd. A rule created on A is answered
# through C's datapath within 1 s; 20 concurrent creates on A and B all succeed and reach C; two
# concurrent writes of one rule: one wins, the other gets 409, every node ends with the winner;
# one etcd member stopped: writes and watches go on; every member stopped: traffic flows, writes
# get 503 within 2 s naming an endpoint, `get lb` is marked stale, a restarted xlbd serves its
# last configuration; etcd back: writes work again on every node and reach every node.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/ha.sh
source "$(dirname "$0")/lib/ha.sh"
# shellcheck source=tests/e2e/lib/etcd.sh
source "$(dirname "$0")/lib/etcd.sh"
etcd_require
e2e_init "e2e cluster configuration in etcd" 100

step "topology: client | front | A, B, C | back | b1; etcd e1, e2, e3 on the ctl segment"
CLIENT_IP=10.1.1.10
B1_IP=10.1.2.10
VIP=20.20.20.1
declare -A FRONT=([a]=10.1.1.2 [b]=10.1.1.3 [c]=10.1.1.4)
declare -A BACK=([a]=10.1.2.2 [b]=10.1.2.3 [c]=10.1.2.4)
declare -A CTL=([a]=10.9.0.2 [b]=10.9.0.3 [c]=10.9.0.4)
ns_create sw client a b c b1 e1 e2 e3
for br in front back ctl; do bridge_create sw "$br"; done
bridge_connect sw front client eth0
addr_add client eth0 "$CLIENT_IP/24"
route_add client "$VIP/32" via "${FRONT[c]}" # the client reaches the VIP through C
for n in a b c; do
  bridge_connect sw front "$n" eth0
  bridge_connect sw back "$n" eth1
  bridge_connect sw ctl "$n" eth2
  addr_add "$n" eth0 "${FRONT[$n]}/24"
  addr_add "$n" eth1 "${BACK[$n]}/24"
  addr_add "$n" eth2 "${CTL[$n]}/24"
  sysctl_set "$n" net.ipv4.ip_forward=1
done
# FullNAT: b1 has no route to the client, only its own subnet.
bridge_connect sw back b1 eth0
addr_add b1 eth0 "$B1_IP/24"
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1 8080 'b1 $remote_addr'
for i in 1 2 3; do
  bridge_connect sw ctl "e$i" eth0
  addr_add "e$i" eth0 "10.9.0.1$i/24"
  etcd_cluster_define "e$i:10.9.0.1$i"
done

# has_rule <ns> <port> [name]: the node lists VIP:<port>/tcp (named <name>, if given).
rule_name_on() {
  xlbctl_in "$1" get lb -o json | python3 -c '
import json, sys
port = int(sys.argv[1])
print(" ".join(r["name"] for r in json.load(sys.stdin)["loadbalancers"] if r["port"] == port))' "$2"
}
has_rule() { [[ $(rule_name_on "$1" "$2") == "${3:-}"* && -n $(rule_name_on "$1" "$2") ]]; }
rule_count() {
  xlbctl_in "$1" get lb -o json | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["loadbalancers"]))'
}
rules_are() { [[ $(rule_count "$1") == "$2" ]]; }
# answered_through_c <port>: one request to VIP:<port> answered by b1, which saw C's address.
answered_through_c() {
  [[ $(nsx client curl -s --connect-timeout 0.3 --max-time 1 "http://$VIP:$1/") == "b1 ${BACK[c]}" ]]
}
# post_rule <ns> <port> <name> <body-file>: POST /api/v1/loadbalancers on <ns>'s xlbd, a FullNAT
# rule VIP:<port> -> b1:8080; prints the HTTP status, the answer goes to <body-file>.
post_rule() {
  nsx "$1" curl -s --max-time 10 -o "$4" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"vip\":\"$VIP\",\"protocol\":\"tcp\",\"port\":$2,\"name\":\"$3\",\"mode\":\"fullnat\",
\"endpoints\":[{\"ip\":\"$B1_IP\",\"port\":8080}]}" "http://$XLB_API/api/v1/loadbalancers"
}
elapsed_since() { python3 -c "print(round($EPOCHREALTIME - $1, 3))"; }
within() { python3 -c "import sys; sys.exit(0 if $1 <= $2 else 1)"; }

step "etcd: three members started together"
t0=$EPOCHREALTIME
etcd_start_all 15
log "etcd cluster healthy after $(python3 -c "print(round($EPOCHREALTIME - $t0, 2))")s"
STORE="etcd://$(etcd_endpoints)"

step "xlbd A (importing its file store once: --store-import), B, C with --store=$STORE"
# A's file store, as a node that ran without etcd would have it.
mkdir -p "$E2E_RUN_DIR/state-a"
chmod 0700 "$E2E_RUN_DIR/state-a"
cat >"$E2E_RUN_DIR/state-a/config.json" <<JSON
{"services": [{"vip": "$VIP", "port": 90, "protocol": "tcp", "name": "imported", "mode": "fullnat",
  "endpoints": [{"ip": "$B1_IP", "port": 8080}]}]}
JSON
ha_xlbd_start a --interfaces=eth0,eth1 --store="$STORE" --node-name=A --store-import
for n in b c; do
  ha_xlbd_start "$n" --interfaces=eth0,eth1 --store="$STORE" --node-name="${n^^}"
done
cluster_nodes() {
  xlbctl_in "$1" get cluster -o json | python3 -c '
import json, sys
print(",".join(sorted(n["name"] for n in json.load(sys.stdin)["nodes"])))'
}
nodes_are() { [[ $(cluster_nodes "$1") == "$2" ]]; }
wait_until 3 nodes_are a A,B,C || fail "A does not list the three nodes" "$(cluster_nodes a)"
xlbctl_in a get cluster
assert_contains "$(ha_log_tail xlbd-a 40)" "imported 1 rules and probes from" "A's log"
wait_until 1 has_rule c 90 imported || fail "C does not have the rule A imported"
answered_through_c 90 || fail "the imported rule is not answered through C"

step "a second live node named A is refused at start, in one line"
status=0
out=$(nsx b timeout 10 "$XLBD" --api=127.0.0.1:11112 --state-dir="$E2E_RUN_DIR/state-dup" \
  --bpffs="$E2E_RUN_DIR/bpffs/dup" --store="$STORE" --node-name=A 2>&1) || status=$?
assert_eq 1 "$status" "exit status of a second xlbd named A"
assert_eq 1 "$(grep -c . <<<"$out")" "lines the refusal takes (output: $out)"
assert_contains "$out" 'xlbd: node name "A" is already registered in etcd by a live node' "refusal"
[[ ! -e $E2E_RUN_DIR/bpffs/dup ]] || fail "the refused xlbd touched the datapath (pins made)"

step "a FullNAT rule created on A is answered through C's datapath within 1 s"
xlbctl_in a create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --mode=fullnat --name=web
t0=$EPOCHREALTIME
wait_until 2 answered_through_c 80 || fail "C does not answer for the rule A created"
took=$(elapsed_since "$t0")
log "answered through C ${took}s after A's create returned"
within "$took" 1.0 || fail "C answered ${took}s after the create (bound: 1 s)"
assert_gt 0 "$(lb_rule_new_flows c)" "flows C's datapath counted"
assert_eq 0 "$(lb_rule_new_flows a)" "flows A's datapath counted (none reach it)"

step "20 creates of different rules, concurrently on A and B: all succeed, all reach C"
rules=$(rule_count c)
pids=()
for i in $(seq 1 20); do
  n=$([[ $((i % 2)) == 0 ]] && echo a || echo b)
  xlbctl_in "$n" create lb "$VIP" --tcp="$((1000 + i)):8080" --endpoints="$B1_IP:1" \
    --mode=fullnat --name="r$i" >"$E2E_RUN_DIR/create-$i.out" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || {
    failed=$((failed + 1))
    cat "$E2E_RUN_DIR/create-$((i + 1)).out" >&2
  }
done
assert_eq 0 "$failed" "concurrent creates that failed"
rules=$((rules + 20))
wait_until 1 rules_are c "$rules" || fail "C does not list the $rules rules" "$(rule_count c)"
wait_until 1 rules_are a "$rules" || fail "A does not list the $rules rules" "$(rule_count a)"
answered_through_c 1007 || fail "rule r7 (created on B) not answered through C"

step "xlbctl save -f on A, two rules deleted on B, apply -f on C: every node has them again"
xlbctl_in a save -f "$E2E_RUN_DIR/saved.json"
xlbctl_in b delete lb "$VIP" --tcp=1001
xlbctl_in b delete lb "$VIP" --tcp=1002
wait_until 1 rules_are a $((rules - 2)) || fail "A did not follow B's deletes" "$(rule_count a)"
xlbctl_in c apply -f "$E2E_RUN_DIR/saved.json"
for n in a b c; do
  wait_until 1 rules_are "$n" "$rules" || fail "node $n after apply -f" "$(rule_count "$n")"
done

step "two concurrent writes of one rule (A and B): one wins, the other gets 409"
# Each try is a new rule both nodes create at once; a try where one create landed before the
# other node read it is a plain replacement (both succeed): try again, at most 5 times.
conflict_seen=0
for try in 1 2 3 4 5; do
  port=$((2000 + try))
  post_rule a "$port" from-a "$E2E_RUN_DIR/same-a.json" >"$E2E_RUN_DIR/same-a.code" &
  pa=$!
  post_rule b "$port" from-b "$E2E_RUN_DIR/same-b.json" >"$E2E_RUN_DIR/same-b.code" &
  pb=$!
  wait "$pa" "$pb"
  codes="$(cat "$E2E_RUN_DIR/same-a.code") $(cat "$E2E_RUN_DIR/same-b.code")"
  if [[ $codes == "201 200" || $codes == "200 201" ]]; then
    log "try $try: both succeeded one after the other (no overlap); again"
    continue
  fi
  case $codes in
    "201 409") winner=from-a loser=b ;;
    "409 201") winner=from-b loser=a ;;
    *) fail "concurrent writes of one rule: HTTP $codes" "$(cat "$E2E_RUN_DIR"/same-?.json)" ;;
  esac
  loser_out=$(cat "$E2E_RUN_DIR/same-$loser.json")
  assert_contains "$loser_out" "was created by another writer" "the losing write's answer"
  log "try $try: $winner won; $loser got 409: $loser_out"
  for n in a b c; do
    wait_until 1 has_rule "$n" "$port" "$winner" ||
      fail "node $n does not end with the winner $winner" "$(rule_name_on "$n" "$port")"
  done
  conflict_seen=1
  break
done
((conflict_seen)) || fail "5 pairs of concurrent writes never overlapped"

step "one etcd member (e1) stopped: writes and watches keep working"
etcd_member_stop e1
xlbctl_in b create lb "$VIP" --tcp=3001:8080 --endpoints="$B1_IP:1" --mode=fullnat --name=one-down
for n in a c; do
  wait_until 1 has_rule "$n" 3001 one-down || fail "node $n did not get the rule B wrote"
done
xlbctl_in c delete lb "$VIP" --tcp=3001
wait_until 1 rules_are a "$(rule_count c)" || fail "A did not follow C's delete"
answered_through_c 3001 && fail "the deleted rule still answers through C"

step "every etcd member stopped: traffic flows, writes get 503 within 2 s, reads are stale"
etcd_stop_all
disconnected() { [[ $(xlbctl_in "$1" get cluster -o json) == *'"connected": false'* ]]; }
wait_until 3 disconnected a || fail "A does not see etcd gone"
answered_through_c 80 || fail "traffic through C stopped with etcd"
t0=$EPOCHREALTIME
code=$(post_rule a 4001 down "$E2E_RUN_DIR/down.json")
took=$(elapsed_since "$t0")
out=$(cat "$E2E_RUN_DIR/down.json")
log "write with etcd down: HTTP $code after ${took}s: $out"
assert_eq 503 "$code" "HTTP status of a write with etcd down"
assert_contains "$out" "10.9.0.12:2379" "the write's answer names an endpoint that failed"
within "$took" 2.0 || fail "the write took ${took}s to fail (bound: 2 s)"
listing=$(xlbctl_in a get lb)
assert_contains "$listing" "STALE: the shared store is unreachable" "get lb on A"
assert_contains "$(xlbctl_in a get lb -o json)" '"stale": true' "get lb -o json on A"
assert_contains "$(nsx a curl -sf "http://$XLB_API/metrics")" 'xlb_store_connected{store="etcd"} 0' \
  "A's /metrics"
status=0
report=$(xlbctl_in a diagnose lb "$VIP" --tcp=80) || status=$?
assert_contains "$report" "The shared configuration store is unreachable" "A's diagnose"

step "C's xlbd restarted while etcd is down serves its last configuration"
rules=$(rule_count c)
stop_pid "${HA_XLBD_PID[c]}" "$(ns_name c)"
ha_xlbd_start c --interfaces=eth0,eth1 --store="$STORE" --node-name=C
assert_eq "$rules" "$(rule_count c)" "rules C serves after its restart"
assert_contains "$(xlbctl_in c get lb)" "this node's local copy" "get lb on the restarted C"
assert_contains "$(ha_log_tail xlbd-c 40)" "serving the local copy" "C's log"
answered_through_c 1013 || fail "traffic through the restarted C"

step "etcd back: writes work again on every node, and reach every node"
etcd_start_all 15
connected() { [[ $(xlbctl_in "$1" get cluster -o json) == *'"connected": true'* ]]; }
for n in a b c; do
  wait_until 5 connected "$n" || fail "node $n did not reconnect to etcd"
done
declare -A BACK_PORT=([a]=5001 [b]=5002 [c]=5003)
for n in a b c; do
  xlbctl_in "$n" create lb "$VIP" --tcp="${BACK_PORT[$n]}:8080" --endpoints="$B1_IP:1" \
    --mode=fullnat --name="back-$n"
done
for n in a b c; do
  wait_until 1 rules_are "$n" $((rules + 3)) ||
    fail "node $n does not list the $((rules + 3)) rules" "$(rule_count "$n")"
done
answered_through_c 5001 || fail "the rule A wrote after etcd came back, through C"
wait_until 3 nodes_are b A,B,C || fail "B does not list the three nodes" "$(cluster_nodes b)"
xlbctl_in b get cluster
