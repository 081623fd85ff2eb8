#!/usr/bin/env bash
# fullproxy under faults: 200 slowloris connections (a byte every 2 s, never a whole head) are
# cut at the header deadline with a 408, and ordinary requests through the same VIP while all
# 200 are held are every one answered 200 by a backend (the rate beside slowloris is a
# benchmark figure: bench/, docs/benchmarks.md); right after, 1000 new connections all answered
# with the LB's ports to each endpoint cut to 300 (the backend connections the proxy closes
# keep no TIME-WAIT); the limits answer for hung, unreachable and
# stalled peers (504, 502, 408); past --l7-max-connections new clients wait; a client that
# stops reading a 64 MiB response costs the proxy no more than its bounded buffers; kill -9 of
# xlb-proxy: xlbd starts it again and an L4 rule keeps forwarding meanwhile.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$(dirname "$0")/lib/health.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$(dirname "$0")/lib/l7.sh"
e2e_init "e2e fullproxy faults" 90

# statuses_of <n>: n requests to http://VIP/ one after another, each on its own connection and
# given 5 s (a generous bound: the header deadline is 3 s); one line each: "<status> <body>".
statuses_of() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  nsx client bash -c 'for ((i = 0; i < $2; i++)); do
      curl -sS --max-time 5 -w " %{http_code}\n" "$1" 2>&1 | tr "\n" " " | awk "{ print \$NF, \$0 }"
    done' _ "http://$VIP/" "$1"
}

# slowloris_held: the client's established connections to the VIP's port 80.
slowloris_held() { nsx client ss -Htn state established dst "$VIP" dport = :80 | wc -l; }

step "topology: client | lb | b1, b2 (nginx :8080, b1 silent :9001); fullproxy :80 :91 :92, NAT :90"
topo_two_arm
start_l7_backend b1 b1 8080
start_l7_backend b2 b2 8080
start_silent_backend b1 9001
truncate -s 64M "$(e2e_files_dir)/big"
xlbd_start lb --interfaces=eth0,eth1 --l7-workers=2 --l7-header-timeout=3 --l7-response-timeout=1 \
  --l7-connect-timeout=0.5 --l7-body-timeout=1 --l7-max-connections=300
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullproxy --name=web
xlbctl create lb "$VIP" --tcp=90:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=l4
xlbctl create lb "$VIP" --tcp=91:9001 --endpoints="$B1_IP:1" --mode=fullproxy --name=hung
# No host has this address: the connect cannot finish (the kernel gives up on ARP after ~3 s).
xlbctl create lb "$VIP" --tcp=92:8080 --endpoints=10.1.2.99:1 --mode=fullproxy --name=nowhere
wait_until 10 proxy_running || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"
wait_until 10 vip_answers "$VIP" || fail "no answer from http://$VIP/" "$(xlbd_log_tail)"

step "slowloris: 200 connections, a byte every 2 s, cut at 3 s; 20 requests beside them all answered"
bg_run client slowloris python3 "$E2E_TOOLS/slowloris.py" "$VIP" 80 --connections=200 \
  --interval=2 --duration=8 --ready-file="$E2E_RUN_DIR/slowloris.ready"
loris=$BG_PID
wait_until 5 test -e "$E2E_RUN_DIR/slowloris.ready" || fail "slowloris did not open its connections"
answers=$(statuses_of 20)
held=$(slowloris_held)
log "beside slowloris: $(awk '{ print $1 }' <<<"$answers" | sort | uniq -c | paste -sd' ');" \
  "$held slowloris connections still held after them"
assert_eq 20 "$(grep -cE '^200 b[12] ' <<<"$answers" || true)" \
  "requests answered 200 by b1 or b2 beside slowloris (all:
$answers)"
# Proof the requests ran beside every slow connection, not after the proxy cut them.
assert_eq 200 "$held" "slowloris connections held when the last request was answered"
wait "$loris" || true
read -r closed answered latest <"$E2E_RUN_DIR/logs/slowloris.log"
log "slowloris: $closed closed, $answered answered 408, the last after ${latest}s"
assert_eq 200 "$closed" "slowloris connections closed by the proxy"
assert_eq 200 "$answered" "slowloris connections answered 408"
awk -v t="$latest" 'BEGIN { exit !(t >= 2.9 && t < 4.5) }' ||
  fail "slowloris cut after ${latest}s (deadline 3 s)"
assert_gt 0 "$(nsx "$XLB_NS" curl -sS "http://$XLB_API/metrics" |
  awk '/^xlb_l7_refused_total\{status="408"\}/ {print int($2)}')" "408s counted"

step "new connections right after slowloris, with the LB's ports to each endpoint cut to 300: 1000 all answered"
# Each client connection opens its own backend connection (--reuse=safe); one the pool has no
# room for is closed by the proxy. Closed with a FIN, it held its port in TIME-WAIT for 60 s and
# a new-connection run ran the LB out of ports to the endpoints (connect() scanning the range,
# then failing: 502); closed with a reset (nothing in flight), it holds none. The bench's port
# range (28,232 ports per endpoint) is cut here so 1000 requests would exhaust it.
port_range=$(nsx lb sysctl -n net.ipv4.ip_local_port_range)
nsx lb sysctl -qw net.ipv4.ip_local_port_range="40000 40299"
answers=$(nsx client python3 "$E2E_TOOLS/many_requests.py" "$VIP" 1000)
nsx lb sysctl -qw net.ipv4.ip_local_port_range="$port_range"
backend_time_wait=$(nsx lb ss -Htn state time-wait dport = :8080 | wc -l)
log "1000 new connections: $(awk '{ print $1 }' <<<"$answers" | sort | uniq -c | paste -sd' ');" \
  "$backend_time_wait backend connections in TIME-WAIT at the LB"
assert_eq 1000 "$(grep -cE '^b[12] ' <<<"$answers" || true)" \
  "new-connection requests answered by b1 or b2 with 300 ports per endpoint"
assert_at_most_n 10 "$backend_time_wait" "backend connections in TIME-WAIT at the LB"

# timed_raw <port> <request> [--wait=s]: http_raw's first line and last line, then the seconds taken.
timed_raw() {
  local port=$1 request=$2 t0 out
  shift 2
  t0=$EPOCHREALTIME
  out=$(http_raw client "$VIP" "$port" "$@" "$request")
  echo "$(head -n1 <<<"$out" | awk '{print $1}') $(tail -n1 <<<"$out") $(seconds_between "$t0" "$EPOCHREALTIME")"
}
# assert_answer <want-status> <max-seconds> <what> <timed_raw-output-file>: answered
# <want-status> and closed within <max-seconds> (each timeout is well under the next thing that
# could answer).
assert_answer() {
  local want=$1 max=$2 what=$3 status state took
  read -r status state took <"$4"
  log "$what: $status $state after ${took}s"
  assert_eq "$want $state" "$status closed" "$what"
  awk -v t="$took" -v m="$max" 'BEGIN { exit !(t < m) }' || fail "$what took ${took}s (bound ${max}s)"
}

step "limits: a hung endpoint 504 at 1 s, an unreachable one 502 at 0.5 s, a stalled body 408 at 1 s"
# The three clients at once (each on its own connection): the step takes the longest deadline,
# not their sum.
timed_raw 91 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$E2E_RUN_DIR/limit-hung" &
hung=$!
timed_raw 92 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >"$E2E_RUN_DIR/limit-unreachable" &
unreachable=$!
# To the silent endpoint: nginx would answer before the body is whole.
timed_raw 91 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc' \
  >"$E2E_RUN_DIR/limit-stalled" &
stalled=$!
wait "$hung" "$unreachable" "$stalled"
assert_answer 504 2.5 "hung endpoint" "$E2E_RUN_DIR/limit-hung"
assert_answer 502 2 "unreachable endpoint" "$E2E_RUN_DIR/limit-unreachable"
assert_answer 408 2.5 "request body stalled" "$E2E_RUN_DIR/limit-stalled"

step "--l7-max-connections=300: with 300 clients held, the next one waits; then it is served"
bg_run client holders python3 "$E2E_TOOLS/slowloris.py" "$VIP" 80 --connections=300 \
  --interval=60 --duration=10 --ready-file="$E2E_RUN_DIR/holders.ready" \
  --release-file="$E2E_RUN_DIR/holders.release"
holders=$BG_PID
wait_until 5 test -e "$E2E_RUN_DIR/holders.ready" || fail "the 300 holders did not connect"
# Connected is not yet accepted: on a busy machine a worker may not have taken every holder from
# its accept queue when the next client arrives, and that client would be accepted before them.
accept_queues_empty() { [[ $(nsx lb ss -Hltn | awk '{ q += $2 } END { print q + 0 }') == 0 ]]; }
wait_until 5 accept_queues_empty || fail "xlb-proxy did not accept the 300 holders"
nsx client curl -sf --max-time 0.5 "http://$VIP/" >/dev/null &&
  fail "a client past --l7-max-connections was served at once"
touch "$E2E_RUN_DIR/holders.release"
wait "$holders" || true
wait_until 5 vip_answers "$VIP" || fail "no answer once the 300 held connections closed"

step "a client that stops reading a 64 MiB response: xlb-proxy's memory stays bounded"
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$(proxy_pid)/status"; }
rss_before=$(rss_kib)
# Paused for less than --l7-body-timeout (1 s): a response the client does not take for that
# long is cut, as documented.
bg_run client slow-reader python3 "$E2E_TOOLS/slow_reader.py" "$VIP" 80 /files/big --pause=0.8
reader=$BG_PID
sleep 0.5
rss_paused=$(rss_kib)
wait "$reader" || fail "the slow reader failed" "$(cat "$E2E_RUN_DIR/logs/slow-reader.log")"
read -r status bytes <"$E2E_RUN_DIR/logs/slow-reader.log"
log "xlb-proxy RSS ${rss_before} KiB before, ${rss_paused} KiB with the reader paused; got $status, $bytes bytes"
assert_eq "200 $((64 << 20))" "$status $bytes" "the whole response after the pause"
assert_at_most_n $((16 << 10)) $((rss_paused - rss_before)) "KiB xlb-proxy grew by while the client paused"

step "kill -9 xlb-proxy: xlbd restarts it; the L4 rule forwards throughout"
request_loop_start client l4 "http://$VIP:90/"
loop=$BG_PID
# l4_attempts_since <epoch>: the L4 loop finished an attempt (ok or not) after that moment.
l4_attempts_since() { [[ $(request_loop_counts l4 "$1") != "0 0" ]]; }
wait_until 5 l4_attempts_since 0 || fail "the L4 request loop did not start"
old=$(proxy_pid)
killed_at=$EPOCHREALTIME
kill -KILL "$old"
new_proxy() { local p; p=$(proxy_pid); [[ -n $p && $p != "$old" ]]; }
wait_until 10 new_proxy || fail "xlb-proxy not restarted" "$(xlbd_log_tail)"
wait_until 10 vip_answers "$VIP" || fail "fullproxy does not answer after the restart"
back_at=$EPOCHREALTIME
log "xlb-proxy $old killed, $(proxy_pid) serving after $(seconds_between "$killed_at" "$back_at")s"
# Every attempt that overlapped the restart has ended once one ends after it.
wait_until 5 l4_attempts_since "$back_at" || fail "no L4 attempt ended after the restart"
stop_pid "$loop"
read -r ok bad <<<"$(request_loop_counts l4 "$killed_at" "$EPOCHREALTIME")"
log "L4 rule during the restart: $ok ok, $bad failed"
assert_gt 0 "$ok" "L4 requests answered while xlb-proxy restarted"
assert_eq 0 "$bad" "L4 requests failed while xlb-proxy restarted"
assert_ge 1 "$(nsx "$XLB_NS" curl -sS "http://$XLB_API/metrics" |
  awk '/^xlb_l7_proxy_restarts_total/ {print int($2)}')" "xlb_l7_proxy_restarts_total"
assert_contains "$(xlbd_log_tail 60)" "was killed by signal 9" "xlbd logs the crash"
kill -0 "$XLBD_PID" || fail "xlbd died with the proxy"
