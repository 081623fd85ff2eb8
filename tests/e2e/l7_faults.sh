#!/usr/bin/env bash
# fullproxy under faults: slowloris connections (a byte a second, never a whole head) are cut at
# the header deadline with a 408 while wrk through the same VIP keeps at least 90% of its rate;
# kill -9 of xlb-proxy: xlbd starts it again and an L4 rule keeps forwarding meanwhile.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$(dirname "$0")/lib/l7.sh"
e2e_init "e2e fullproxy faults" 90

# wrk_rate <seconds>: requests per second of wrk -c10 through the VIP:80, the best of two runs
# (the machine is shared: one slow second is noise, not the proxy).
wrk_rate() {
  local best=0 rate i
  for i in 1 2; do
    rate=$(nsx client wrk -t1 -c10 -d"$1"s "http://$VIP/" | awk '/^Requests\/sec/ {print int($2)}')
    ((rate > best)) && best=$rate
  done
  echo "$best"
}

step "topology: client | lb | b1, b2 (nginx :8080); fullproxy :80, NAT :90; header deadline 3 s"
topo_two_arm
start_l7_backend b1 b1 8080
start_l7_backend b2 b2 8080
xlbd_start lb --interfaces=eth0,eth1 --l7-workers=2 --l7-header-timeout=3
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullproxy --name=web
xlbctl create lb "$VIP" --tcp=90:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=l4
wait_until 10 proxy_running || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"
wait_until 10 vip_answers "$VIP" || fail "no answer from http://$VIP/" "$(xlbd_log_tail)"

# The deadline outlasts both loaded wrk runs, so each runs beside all 50 slow connections.
step "slowloris: 50 connections, a byte a second, cut at 3 s; wrk keeps >= 90% of its rate"
base=$(wrk_rate 1)
bg_run client slowloris python3 "$E2E_TOOLS/slowloris.py" "$VIP" 80 --connections=50 \
  --interval=1 --duration=8
loris=$BG_PID
sleep 0.3
loaded=$(wrk_rate 1)
log "wrk: $base req/s alone, $loaded req/s beside slowloris"
assert_ge "$((base * 9 / 10))" "$loaded" "wrk's rate beside slowloris (90% of $base)"
wait "$loris" || true
read -r closed answered latest <"$E2E_RUN_DIR/logs/slowloris.log"
log "slowloris: $closed closed, $answered answered 408, the last after ${latest}s"
assert_eq 50 "$closed" "slowloris connections closed by the proxy"
assert_eq 50 "$answered" "slowloris connections answered 408"
awk -v t="$latest" 'BEGIN { exit !(t >= 2.9 && t < 4.5) }' ||
  fail "slowloris cut after ${latest}s (deadline 3 s)"
assert_gt 0 "$(nsx "$XLB_NS" curl -sS "http://$XLB_API/metrics" |
  awk '/^xlb_l7_refused_total\{status="408"\}/ {print int($2)}')" "408s counted"

step "kill -9 xlb-proxy: xlbd restarts it; the L4 rule forwards throughout"
request_loop_start client l4 "http://$VIP:90/"
loop=$BG_PID
sleep 0.5
old=$(proxy_pid)
killed_at=$EPOCHREALTIME
kill -KILL "$old"
new_proxy() { local p; p=$(proxy_pid); [[ -n $p && $p != "$old" ]]; }
wait_until 10 new_proxy || fail "xlb-proxy not restarted" "$(xlbd_log_tail)"
wait_until 10 vip_answers "$VIP" || fail "fullproxy does not answer after the restart"
back_at=$EPOCHREALTIME
log "xlb-proxy $old killed, $(proxy_pid) serving after $(seconds_between "$killed_at" "$back_at")s"
sleep 0.5
stop_pid "$loop"
read -r ok bad <<<"$(request_loop_counts l4 "$killed_at" "$EPOCHREALTIME")"
log "L4 rule during the restart: $ok ok, $bad failed"
assert_gt 0 "$ok" "L4 requests answered while xlb-proxy restarted"
assert_eq 0 "$bad" "L4 requests failed while xlb-proxy restarted"
assert_ge 1 "$(nsx "$XLB_NS" curl -sS "http://$XLB_API/metrics" |
  awk '/^xlb_l7_proxy_restarts_total/ {print int($2)}')" "xlb_l7_proxy_restarts_total"
assert_contains "$(xlbd_log_tail 60)" "was killed by signal 9" "xlbd logs the crash"
kill -0 "$XLBD_PID" || fail "xlbd died with the proxy"
