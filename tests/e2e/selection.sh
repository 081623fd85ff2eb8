#!/usr/bin/env bash
# Endpoint selection through real TCP connections.
# persist: every connection of one client lands on one backend; 16 other clients spread over
# both; when the client's backend goes down its affinity is dropped at once (no failed request).
# maglev: new connections spread over both backends; with one endpoint removed every request
# goes to the other, and re-adding it brings it back into rotation.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e selection: persist and maglev" 70

# answers_from <src-ip> <url> <n>: n sequential requests from one client address.
answers_from() {
  local src=$1 url=$2 n=$3 i
  for ((i = 1; i <= n; i++)); do
    http_get client "$url" --interface "$src" 2>&1 || echo "request $i from $src failed"
  done
}

# distinct_answers <answers>: the sorted set of distinct lines, space-separated.
distinct_answers() { sort -u <<<"$1" | paste -sd' '; }

step "topology: client (17 addresses) | lb | b1, b2 (nginx :8080)"
topo_two_arm
clients=()
for i in $(seq 11 26); do
  addr_add client eth0 "10.1.1.$i/24"
  clients+=("10.1.1.$i")
done
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=persist \
  --persist-timeout=60 --name=sticky
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=maglev \
  --name=consistent
xlbctl get lb -o wide

step "persist: 30 connections of $CLIENT_IP all land on one backend"
answers=$(answers_from "$CLIENT_IP" "http://$VIP/" 30)
sticky=$(distinct_answers "$answers")
assert_one_of "$sticky" "backends that answered $CLIENT_IP's 30 connections" b1 b2
log "$CLIENT_IP sticks to $sticky"

step "persist: 16 other clients, 3 connections each: each sticks, together they use both"
used=()
for src in "${clients[@]}"; do
  one=$(distinct_answers "$(answers_from "$src" "http://$VIP/" 3)")
  assert_one_of "$one" "backends that answered $src's 3 connections" b1 b2
  used+=("$one")
done
spread=$(printf '%s\n' "${used[@]}" | sort | uniq -c | paste -sd' ')
assert_eq "b1 b2" "$(distinct_answers "$(printf '%s\n' "${used[@]}")")" \
  "backends chosen across 16 clients ($spread)"
log "16 clients: $spread"

step "persist: $CLIENT_IP's backend ($sticky) goes down: its next connections go to the other"
sticky_ip=$B1_IP other=b2
[[ $sticky == b2 ]] && sticky_ip=$B2_IP other=b1
xlbctl set ep "$sticky_ip" --state=down
answers=$(answers_from "$CLIENT_IP" "http://$VIP/" 10)
assert_eq "$other" "$(distinct_answers "$answers")" "answers to $CLIENT_IP after $sticky went down"
xlbctl set ep "$sticky_ip" --state=up
answers=$(answers_from "$CLIENT_IP" "http://$VIP/" 10)
assert_eq "$other" "$(distinct_answers "$answers")" \
  "answers to $CLIENT_IP once $sticky is back: the new affinity holds"

step "maglev: 40 new connections spread over both backends"
assert_both_backends_answer "http://$VIP:81/" 40

step "maglev: with b2 removed from the rule every request goes to b1"
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1" --select=maglev --name=consistent
answers=$(http_get_n client "http://$VIP:81/" 20)
assert_eq "b1" "$(distinct_answers "$answers")" "answers with b1 the only endpoint"

step "maglev: b2 re-added, both answer again"
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=maglev \
  --name=consistent
assert_both_backends_answer "http://$VIP:81/" 40
