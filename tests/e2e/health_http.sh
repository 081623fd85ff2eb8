#!/usr/bin/env bash
# Per-endpoint http probes: each backend host has its own probe (`xlbctl create endpoint
# --probetype=http --probereq=/health --proberesp=200`), which governs it even though the rule
# has no --monitor. A client loop sends sequential requests through the VIP the whole time.
# b2's nginx is reloaded to answer 503 on /health while still serving /: b2 is `down` (last
# error "http 503") within period x retries + one period, and from then on no request goes to
# b2; since b2 still serves, no request fails at all. Back to 200: b2 is `ok` within rise x
# period + one period and answers requests again.
# Probes every 0.4 s: the bounds are in probe periods, so they stay as tight as with the 1 s
# original; each observation window lasts at least as many periods as then (4 down, 3 back up)
# and until as many requests were answered (31 by b1, 11 by b2), however slow the machine.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
e2e_init "e2e health http" 60

PERIOD=0.4 RETRIES=2 RISE=2
DOWN_BOUND=$(probe_bound $((RETRIES + 1))) # period x retries + period, + 10% jitter (xlbd's clock)
UP_BOUND=$(probe_bound $((RISE + 1)))      # period x rise + period, + the same

step "topology: client | lb | b1, b2 (nginx :8080 with /health); http probes every ${PERIOD}s"
topo_two_arm
start_health_backend b1 b1 8080
start_health_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web
for host in "b1 $B1_IP" "b2 $B2_IP"; do
  read -r name ip <<<"$host"
  xlbctl create endpoint "$ip" --name="$name" --probetype=http --probereq=/health \
    --proberesp=200 --period="$PERIOD" --timeout="$PERIOD" --retries="$RETRIES" --rise="$RISE"
done
wait_ep_state "$B1_IP" ok 5
wait_ep_state "$B2_IP" ok 5
xlbctl get ep
assert_eq http "$(ep_json "$B2_IP" probe)" "b2's probe type"

step "continuous requests through the VIP"
t_start=$(now)
traffic_start client "http://$VIP/"
wait_until 10 traffic_answered "$t_start" 5 b2 || true # asserted at the end

step "b2 answers 503 on /health"
set_health_status b2 b2 8080 503
t_503=$(now)
wait_ep_state "$B2_IP" down 10
t_down=$(now) # requests started from here on are after detection (and after the reconcile)
detect=$(seconds_between "$t_503" "$(ep_json "$B2_IP" since)")
log "b2 down after ${detect}s: $(ep_json "$B2_IP" last_error)"
assert_at_most "$DOWN_BOUND" "$detect" "b2 marked down within period x retries + period"
assert_eq "http 503" "$(ep_json "$B2_IP" last_error)" "b2's last error"
assert_contains "$(xlbctl get ep -o wide)" "http 503" "get ep -o wide shows the last error"
b2_flows=$(lb_endpoint_counter "$VIP" 80 tcp "$B2_IP" new_flows)
traffic_window "$t_down" "$(periods 4)" 31 b1
t_fix=$(now)
assert_eq 0 "$(traffic_count "$t_down" "$t_fix" ok b2)" "requests b2 answered after detection"
assert_eq "$b2_flows" "$(lb_endpoint_counter "$VIP" 80 tcp "$B2_IP" new_flows)" \
  "new flows sent to b2 after detection"
assert_gt 30 "$(traffic_count "$t_down" "$t_fix" ok b1)" "requests b1 answered while b2 was down"

step "b2 answers 200 on /health again"
set_health_status b2 b2 8080 200
t_200=$(now)
wait_ep_state "$B2_IP" ok 10
t_ok=$(now)
recover=$(seconds_between "$t_200" "$(ep_json "$B2_IP" since)")
log "b2 ok after ${recover}s"
assert_at_most "$UP_BOUND" "$recover" "b2 ok again within rise x period + period"
traffic_window "$t_ok" "$(periods 3)" 11 b2
t_end=$(now)
traffic_stop
assert_gt 10 "$(traffic_count "$t_ok" "$t_end" ok b2)" "requests b2 answered after it recovered"
assert_gt 0 "$(traffic_count "$t_start" "$t_503" ok b2)" "b2 answered before its /health failed"
assert_eq 0 "$(traffic_count 0 "$t_end" fail)" "failed requests over the whole run (first ones: \
$(traffic_failures 0 "$t_end"))"

step "each transition logged once, with its reason"
b2_log=$(grep -F "check=$B2_IP:8080 " "$E2E_RUN_DIR/logs/xlbd.log")
assert_eq 1 "$(grep -c 'from=ok to=down reason="http 503"' <<<"$b2_log")" "b2's ok -> down log lines:
$b2_log"
assert_eq 1 "$(grep -c 'from=down to=ok' <<<"$b2_log")" "b2's down -> ok log lines:
$b2_log"
