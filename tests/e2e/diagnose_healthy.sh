#!/usr/bin/env bash
# `xlbctl diagnose lb` on a working two-arm NAT rule says healthy and exits 0 (also -o json);
# for a port or VIP without a rule it names the missing rule and exits 2; bad arguments are one
# line naming the flag. `xlbctl get ct --summary` shows capacity, fill and flows by state.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e diagnose: healthy and no rule" 50

step "topology: two-arm NAT, nginx on b1 and b2"
topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb --ct-gc-interval=1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web

step "traffic: 6 requests, and one connection held open"
assert_both_backends_answer "http://$VIP/" 6
hold_tcp_open client "$VIP" 80 30
wait_until 5 ct_has_state "$CLIENT_IP" "$VIP" 80 "" est || fail "no established flow to hold"

step "diagnose: healthy, exit 0"
diagnose_expect 0 "$VIP" --tcp=80
assert_contains "$DIAG_OUT" "diagnose $VIP:80/tcp: healthy" "summary line"
assert_contains "$DIAG_OUT" "$VIP:80/tcp looks healthy." "the healthy finding"
assert_contains "$DIAG_OUT" "checked:" "the report says what it checked"
json=$(xlbctl diagnose lb "$VIP" --tcp=80 -o json)
assert_eq "True problems=0" "$(python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print(r["healthy"], "problems=%d" % sum(f["severity"] in ("problem", "warning") for f in r["findings"]))
' "$json")" "diagnose -o json: healthy, no problem"

step "diagnose: no rule for the port, no rule for the VIP (exit 2)"
diagnose_expect 2 "$VIP" --tcp=81
assert_contains "$DIAG_OUT" "No rule for $VIP:81/tcp" "the missing rule is named"
assert_contains "$DIAG_OUT" "rules on $VIP: $VIP:80/tcp" "the rules that do exist are listed"
diagnose_expect 2 "$VIP" --udp=80
assert_contains "$DIAG_OUT" "No rule for $VIP:80/udp" "the protocol counts"
diagnose_expect 2 20.20.20.99
assert_contains "$DIAG_OUT" "20.20.20.99 is in no rule" "an unknown VIP is named"
assert_contains "$DIAG_OUT" "VIPs with rules: $VIP" "and the VIPs that have rules"

step "bad arguments: one line naming the flag, exit 1"
diagnose_expect 1 not-an-ip --tcp=80
assert_contains "$DIAG_OUT" "vip must be an IPv4 or IPv6 address" "bad VIP"
diagnose_expect 1 "$VIP" --tcp=0
assert_contains "$DIAG_OUT" "--tcp" "bad port names --tcp"

step "get ct --summary: capacity, fill, flows by state"
summary=$(xlbctl get ct --summary)
echo "$summary"
assert_contains "$summary" "CAPACITY" "table header"
assert_contains "$summary" "est=" "flows by state lists the held connection"
check=$(xlbctl get ct --summary -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)
ok = s["capacity"] == 262144 and s["flows_by_state"].get("est", 0) >= 1 \
    and s["entries"] >= 2 * s["flows"] > 0 and s["flows_by_proto"].get("tcp", 0) == s["flows"] \
    and abs(s["fill_percent"] - 100.0 * s["entries"] / s["capacity"]) < 1e-9
print("ok" if ok else "bad: %s" % s)')
assert_eq ok "$check" "get ct --summary -o json fields"
