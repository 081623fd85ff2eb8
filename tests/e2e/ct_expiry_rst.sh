#!/usr/bin/env bash
# xlbd --ct-expiry-rst: an idle established TCP session through the VIP whose rule has a short
# --inatimeout is reset at both ends when conntrack ages it out, in NAT mode (the endpoint's RST
# comes from the client's address) and FullNAT (from the SNAT address and port), one session of
# each at the same time (two rules, two ports), and NAT66 beside them (an IPv6 VIP: the RSTs are
# IPv6 packets with the pseudo-header checksum, issue 24). Each client (socat) ends with
# "Connection reset by peer" no sooner than the timeout after it connected and within a few seconds of going idle
# (not at its own end 30 s away), the backend's sockets are gone too, and so are the flows.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e conntrack expiry RST" 55

step "topology: two-arm NAT, IPv6 beside IPv4 (nodad); a socat echo server on b1:8080 (both)"
topo_two_arm
topo_two_arm_ipv6
bg_run b1 echo-b1 socat TCP6-LISTEN:8080,ipv6only=0,reuseaddr,fork EXEC:cat
wait_listening b1 tcp 8080 || fail "socat echo server did not listen on b1:8080"
xlbd_start lb --ct-expiry-rst --ct-gc-interval=1
INATIMEOUT=2 # seconds: long enough to see the session established first

# backend_sessions: established connections the echo server holds.
backend_sessions() { nsx b1 ss -Htn state established "sport = :8080" | wc -l; }
backend_idle() { (($(backend_sessions) == 0)); }

declare -A SESSION_PID SESSION_STARTED SESSION_PORT SESSION_VIP SESSION_CLIENT

# idle_session_start <name> <mode> <port> [v6]: a rule for VIP:<port> (the IPv6 VIP with "v6")
# in <mode> with the short --inatimeout, and a client session through it that says hello and
# then stays idle.
idle_session_start() {
  local name=$1 mode=$2 port=$3 vip=$VIP endpoint="$B1_IP:1" client=$CLIENT_IP target
  target="TCP4:$VIP:$port"
  if [[ ${4:-} == v6 ]]; then
    vip=$VIP6 endpoint="[$B1_6]:1" client=$CLIENT6 target="TCP6:[$VIP6]:$port"
  fi
  xlbctl create lb "$vip" --tcp="$port:8080" --endpoints="$endpoint" --inatimeout="$INATIMEOUT" \
    --mode="$mode" --name="idle-$name"
  SESSION_PORT[$name]=$port SESSION_VIP[$name]=$vip SESSION_CLIENT[$name]=$client
  SESSION_STARTED[$name]=$EPOCHREALTIME
  bg_run client "session-$name" socat -d "SYSTEM:echo hello; sleep 30" "$target"
  SESSION_PID[$name]=$BG_PID
  wait_until 5 ct_has_state "$client" "$vip" "$port" "" est ||
    fail "$name: the session never got established"
}

# session_was_reset <name>: the client ended with a reset, once its flow had been idle for the
# timeout; its flow is gone from conntrack.
session_was_reset() {
  local name=$1 lived session_log
  wait_until 12 pid_gone "${SESSION_PID[$name]}" ||
    fail "$name: the client session survived its flow's expiry" "$(xlbctl get ct)"
  lived=$(awk -v a="${SESSION_STARTED[$name]}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  log "$name: the client ended ${lived} s after it connected (its own end was 30 s away)"
  # Its last packet came after it started: a reset sooner than the timeout was not for idling.
  awk -v l="$lived" -v t="$INATIMEOUT" 'BEGIN { exit !(l >= t) }' ||
    fail "$name: the session was reset before it was idle for --inatimeout" \
      "expected: >= $INATIMEOUT s after it connected" "seen:     $lived s"
  session_log=$(cat "$E2E_RUN_DIR/logs/session-$name.log")
  echo "$session_log"
  # socat reports a reset read as a warning and exits 0: the message is the evidence.
  assert_contains "$session_log" "Connection reset by peer" "$name: the client saw a reset"
  assert_eq "" "$(ct_states "${SESSION_CLIENT[$name]}" "${SESSION_VIP[$name]}" \
    "${SESSION_PORT[$name]}")" "$name: the flow is gone from conntrack"
}

step "idle sessions through NAT (:80), FullNAT (:81) and NAT66 ([$VIP6]:80), --inatimeout=$INATIMEOUT s"
idle_session_start default default 80
idle_session_start fullnat fullnat 81
idle_session_start nat66 default 80 v6
assert_eq 3 "$(backend_sessions)" "sessions the backend holds (NAT, FullNAT, NAT66)"

step "NAT: after $INATIMEOUT s of silence the client is reset"
session_was_reset default

step "FullNAT: the same (the endpoint's RST from the SNAT address)"
session_was_reset fullnat

step "NAT66: the same, in IPv6"
session_was_reset nat66

step "the backend's ends are reset too"
wait_until 3 backend_idle || fail "the backend still holds sessions" "$(nsx b1 ss -tn)"
