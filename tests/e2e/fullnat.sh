#!/usr/bin/env bash
# FullNAT: the backends sit on another subnet and have NO route back to the client (no default
# route, only their connected subnet, on which the LB has an address). 20 requests all succeed,
# both backends answer, and each sees the LB's address as the peer ($remote_addr); `get ct`
# shows fnat- translations. Then, in a second run (`fullnat.sh one-arm`), the one-arm layout
# where NAT fails (one_arm.sh): client, LB and backend on one bridge, and FullNAT works.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"

if [[ ${1:-} == one-arm ]]; then
  e2e_init "e2e FullNAT one-arm" 40
  step "one-arm topology: client, lb, b1 on 10.9.16.0/24 (one bridge); b1 has no default route"
  topo_one_arm
  ip -n "$(ns_name b1)" route del default
  # shellcheck disable=SC2016  # nginx variables, expanded by nginx
  start_http_backend_with b1 b1 8080 'b1 $remote_addr'
  xlbd_start lb
  xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --mode=fullnat --name=onearm
  step "20 requests to http://$VIP/ in one-arm FullNAT"
  answers=$(http_get_n client "http://$VIP/" 20)
  assert_eq 20 "$(count_lines "$answers" "b1 $LB_IP")" "one-arm FullNAT answers 'b1 $LB_IP' (all:
$(sort <<<"$answers" | uniq -c))"
  ct=$(xlbctl get ct)
  echo "$ct" | sed -n 1,5p
  assert_contains "$ct" "fnat-$CLIENT_IP->$LB_IP:" "get ct shows the FullNAT translation"
  exit 0
fi

e2e_init "e2e FullNAT" 55

step "topology: client | lb | b1, b2 (nginx :8080), backends without a route to the client"
topo_two_arm
for b in b1 b2; do
  ip -n "$(ns_name "$b")" route del default
done
assert_fails "b1 has no route to the client" nsx b1 ip route get "$CLIENT_IP"
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b1 b1 8080 'b1 $remote_addr'
# shellcheck disable=SC2016  # nginx variables, expanded by nginx
start_http_backend_with b2 b2 8080 'b2 $remote_addr'
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullnat --name=fnat
xlbctl get lb -o wide

step "20 sequential requests to http://$VIP/"
answers=$(http_get_n client "http://$VIP/" 20)
b1=$(count_lines "$answers" "b1 $LB_BACKEND_IP")
b2=$(count_lines "$answers" "b2 $LB_BACKEND_IP")
assert_eq 20 "$((b1 + b2))" "requests answered with the LB's address as the peer (b1=$b1 b2=$b2; all:
$(sort <<<"$answers" | uniq -c))"
assert_gt 0 "$b1" "requests answered by b1"
assert_gt 0 "$b2" "requests answered by b2"
log "b1 answered $b1, b2 answered $b2, both saw $LB_BACKEND_IP"

step "get ct shows the FullNAT translations"
ct=$(xlbctl get ct)
echo "$ct" | sed -n 1,6p
assert_contains "$ct" "fnat-$CLIENT_IP->$LB_BACKEND_IP:" "get ct Act column (fnat-<client>-><snat>:<port>)"
for ep in "$B1_IP" "$B2_IP"; do
  assert_contains "$ct" "-> $ep:8080" "a FullNAT flow to $ep:8080"
done

step "the one-arm layout (where NAT fails) works in FullNAT"
bash "$0" one-arm || fail "one-arm FullNAT run failed (its output above)"
