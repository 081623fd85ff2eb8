#!/usr/bin/env bash
# Health checks take a dead backend out of a live VIP and bring it back. Two nginx backends
# behind a monitored rule, each host probed with tcp every 0.4 s (down after 2 failures, up
# after 2 successes); a client loop sends sequential requests through the VIP the whole time.
# Stopping b2's nginx: b2 is `down` within period x retries + one period (+10% jitter; measured
# with the transition time xlbd records), and from then on no request fails and b2 gets no new
# flow. Requests sent to b2 between its death and detection can fail (its kernel answers RST);
# they are counted and reported, not hidden with client retries. Starting b2 again: `ok` within
# rise x period + one period, and it answers requests again.
# The bounds are in probe periods, so a short period keeps them as tight; each observation
# window lasts at least as many periods as the 1 s-period original (4 down, 3 back up) and until
# as many requests were answered (31 by b1, 11 by b2), however slow the machine.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
e2e_init "e2e health tcp" 60

PERIOD=0.4 RETRIES=2 RISE=2
DOWN_BOUND=$(probe_bound $((RETRIES + 1))) # period x retries + period, + 10% jitter (xlbd's clock)
UP_BOUND=$(probe_bound $((RISE + 1)))      # period x rise + period, + the same

step "topology: client | lb | b1, b2 (nginx :8080); rule with --monitor, tcp probes every ${PERIOD}s"
topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
B2_PID=$BG_PID
xlbd_start lb --interfaces=eth0,eth1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --monitor --name=web
for ip in "$B1_IP" "$B2_IP"; do
  xlbctl create endpoint "$ip" --probetype=tcp --period="$PERIOD" --timeout="$PERIOD" \
    --retries="$RETRIES" --rise="$RISE"
done
wait_ep_state "$B1_IP" ok 5
wait_ep_state "$B2_IP" ok 5
xlbctl get ep

step "continuous requests through the VIP"
t_start=$(now)
traffic_start client "http://$VIP/"
wait_until 10 traffic_answered "$t_start" 5 b2 || true # asserted at the end

step "stop b2's nginx"
stop_pid "$B2_PID"
t_stop=$(now)
wait_ep_state "$B2_IP" down 10
t_down=$(now) # requests started from here on are after detection (and after the reconcile)
detect=$(seconds_between "$t_stop" "$(ep_json "$B2_IP" since)")
log "b2 down after ${detect}s: $(ep_json "$B2_IP" last_error)"
assert_at_most "$DOWN_BOUND" "$detect" "b2 marked down within period x retries + period"
assert_eq "connection refused" "$(ep_json "$B2_IP" last_error)" "b2's last error"
b2_flows=$(lb_endpoint_counter "$VIP" 80 tcp "$B2_IP" new_flows)
xlbctl get lb -o wide | tee "$E2E_RUN_DIR/lb-down.txt"
assert_contains "$(grep -F "$B2_IP" "$E2E_RUN_DIR/lb-down.txt")" "down" "b2's state in get lb -o wide"
traffic_window "$t_down" "$(periods 4)" 31 b1
t_restart=$(now)
assert_eq 0 "$(traffic_count "$t_down" "$t_restart" fail)" "failed requests started after \
detection (first ones: $(traffic_failures "$t_down" "$t_restart"))"
assert_gt 30 "$(traffic_count "$t_down" "$t_restart" ok b1)" "requests b1 answered while b2 was down"
assert_eq "$b2_flows" "$(lb_endpoint_counter "$VIP" 80 tcp "$B2_IP" new_flows)" \
  "new flows sent to b2 after detection"
log "requests failed during detection: $(traffic_count "$t_stop" "$t_down" fail) of \
$(($(traffic_count "$t_stop" "$t_down" fail) + $(traffic_count "$t_stop" "$t_down" ok)))"

step "start b2 again"
start_http_backend b2 b2 8080
t_back=$(now)
wait_ep_state "$B2_IP" ok 10
t_ok=$(now)
recover=$(seconds_between "$t_back" "$(ep_json "$B2_IP" since)")
log "b2 ok after ${recover}s"
assert_at_most "$UP_BOUND" "$recover" "b2 ok again within rise x period + period"
traffic_window "$t_ok" "$(periods 3)" 11 b2
t_end=$(now)
traffic_stop
assert_gt 10 "$(traffic_count "$t_ok" "$t_end" ok b2)" "requests b2 answered after it recovered"
assert_eq 0 "$(traffic_count "$t_down" "$t_end" fail)" "failed requests after detection, to the end"
assert_gt 0 "$(traffic_count "$t_start" "$t_stop" ok b2)" "b2 answered before it was stopped"

step "each transition logged once, with its reason"
b2_log=$(grep -F "check=$B2_IP:8080 " "$E2E_RUN_DIR/logs/xlbd.log")
assert_eq 1 "$(grep -c 'from=ok to=down reason="connection refused"' <<<"$b2_log")" "b2's ok -> down log lines:
$b2_log"
assert_eq 1 "$(grep -c 'from=down to=ok' <<<"$b2_log")" "b2's down -> ok log lines:
$b2_log"
