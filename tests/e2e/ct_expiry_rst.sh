#!/usr/bin/env bash
# xlbd --ct-expiry-rst: an idle established TCP session through the VIP whose rule has a short
# --inatimeout is reset at both ends when conntrack ages it out, in NAT mode (the endpoint's RST
# comes from the client's address) and FullNAT (from the SNAT address and port). The client
# (socat) ends with "Connection reset by peer" no sooner than the timeout after it connected and
# within a few seconds of going idle (not at its own end 30 s away), the backend's socket is gone
# too, and so is the flow.
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

backend_has_session() { [[ -n $(nsx b1 ss -Htn state established "sport = :8080") ]]; }
backend_gone() { ! backend_has_session; }

# idle_session_is_reset <mode>: a session says hello, stays idle, and is reset at both ends.
idle_session_is_reset() {
  local mode=$1 session started lived session_log
  xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1" --inatimeout="$INATIMEOUT" \
    --mode="$mode" --name=ssh-like
  started=$EPOCHREALTIME
  bg_run client "session-$mode" socat -d "SYSTEM:echo hello; sleep 30" "TCP4:$VIP:80"
  session=$BG_PID
  wait_until 5 ct_has_state "$CLIENT_IP" "$VIP" 80 "" est ||
    fail "$mode: the session never got established"
  assert_ok "$mode: the backend holds the session" backend_has_session
  wait_until 12 pid_gone "$session" || fail "$mode: the client session survived its flow's expiry" \
    "$(xlbctl get ct)"
  lived=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  log "$mode: the client ended ${lived} s after it connected (its own end was 30 s away)"
  # Its last packet came after it started: a reset sooner than the timeout was not for idling.
  awk -v l="$lived" -v t="$INATIMEOUT" 'BEGIN { exit !(l >= t) }' ||
    fail "$mode: the session was reset before it was idle for --inatimeout" \
      "expected: >= $INATIMEOUT s after it connected" "seen:     $lived s"
  session_log=$(cat "$E2E_RUN_DIR/logs/session-$mode.log")
  echo "$session_log"
  # socat reports a reset read as a warning and exits 0: the message is the evidence.
  assert_contains "$session_log" "Connection reset by peer" "$mode: the client saw a reset"
  wait_until 3 backend_gone || fail "$mode: the backend still holds the session" "$(nsx b1 ss -tn)"
  assert_eq "" "$(ct_states "$CLIENT_IP" "$VIP" 80)" "$mode: the flow is gone from conntrack"
}

step "NAT: after --inatimeout=$INATIMEOUT s of silence both ends are reset"
idle_session_is_reset default

step "FullNAT: the same, the endpoint's RST from the SNAT address"
idle_session_is_reset fullnat
