#!/usr/bin/env bash
# xlbd --ct-expiry-rst: an idle established TCP session through the VIP whose rule has a short
# --inatimeout is reset at both ends when conntrack ages it out, in NAT mode (the endpoint's RST
# comes from the client's address) and FullNAT (from the SNAT address and port), one session of
# each at the same time (two rules, two ports). Each client (socat) ends with "Connection reset
# by peer" no sooner than the timeout after it connected and within a few seconds of going idle
# (not at its own end 30 s away), the backend's sockets are gone too, and so are the flows.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e conntrack expiry RST" 55

step "topology: two-arm NAT; a socat echo server on b1:8080"
topo_two_arm
bg_run b1 echo-b1 socat TCP4-LISTEN:8080,reuseaddr,fork EXEC:cat
wait_listening b1 tcp 8080 || fail "socat echo server did not listen on b1:8080"
xlbd_start lb --ct-expiry-rst --ct-gc-interval=1
INATIMEOUT=2 # seconds: long enough to see the session established first

# backend_sessions: established connections the echo server holds.
backend_sessions() { nsx b1 ss -Htn state established "sport = :8080" | wc -l; }
backend_idle() { (($(backend_sessions) == 0)); }

declare -A SESSION_PID SESSION_STARTED SESSION_PORT

# idle_session_start <mode> <port>: a rule for VIP:<port> in <mode> with the short --inatimeout,
# and a client session through it that says hello and then stays idle.
idle_session_start() {
  local mode=$1 port=$2
  xlbctl create lb "$VIP" --tcp="$port:8080" --endpoints="$B1_IP:1" --inatimeout="$INATIMEOUT" \
    --mode="$mode" --name="idle-$mode"
  SESSION_PORT[$mode]=$port
  SESSION_STARTED[$mode]=$EPOCHREALTIME
  bg_run client "session-$mode" socat -d "SYSTEM:echo hello; sleep 30" "TCP4:$VIP:$port"
  SESSION_PID[$mode]=$BG_PID
  wait_until 5 ct_has_state "$CLIENT_IP" "$VIP" "$port" "" est ||
    fail "$mode: the session never got established"
}

# session_was_reset <mode>: the client ended with a reset, once its flow had been idle for the
# timeout; its flow is gone from conntrack.
session_was_reset() {
  local mode=$1 lived session_log
  wait_until 12 pid_gone "${SESSION_PID[$mode]}" ||
    fail "$mode: the client session survived its flow's expiry" "$(xlbctl get ct)"
  lived=$(awk -v a="${SESSION_STARTED[$mode]}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  log "$mode: the client ended ${lived} s after it connected (its own end was 30 s away)"
  # Its last packet came after it started: a reset sooner than the timeout was not for idling.
  awk -v l="$lived" -v t="$INATIMEOUT" 'BEGIN { exit !(l >= t) }' ||
    fail "$mode: the session was reset before it was idle for --inatimeout" \
      "expected: >= $INATIMEOUT s after it connected" "seen:     $lived s"
  session_log=$(cat "$E2E_RUN_DIR/logs/session-$mode.log")
  echo "$session_log"
  # socat reports a reset read as a warning and exits 0: the message is the evidence.
  assert_contains "$session_log" "Connection reset by peer" "$mode: the client saw a reset"
  assert_eq "" "$(ct_states "$CLIENT_IP" "$VIP" "${SESSION_PORT[$mode]}")" \
    "$mode: the flow is gone from conntrack"
}

step "idle sessions through a NAT rule (:80) and a FullNAT rule (:81), --inatimeout=$INATIMEOUT s"
idle_session_start default 80
idle_session_start fullnat 81
assert_eq 2 "$(backend_sessions)" "sessions the backend holds (NAT and FullNAT)"

step "NAT: after $INATIMEOUT s of silence the client is reset"
session_was_reset default

step "FullNAT: the same (the endpoint's RST from the SNAT address)"
session_was_reset fullnat

step "the backend's ends are reset too"
wait_until 3 backend_idle || fail "the backend still holds sessions" "$(nsx b1 ss -tn)"
