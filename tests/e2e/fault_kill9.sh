#!/usr/bin/env bash
# kill -9 xlbd under steady traffic (issue 12, faults): a paced download (an established flow)
# and a loop of new connections run through the VIP while xlbd is killed with SIGKILL. The
# pinned datapath keeps forwarding both while xlbd is dead (256 KiB more and 5 new connections,
# polled); a restarted xlbd re-adopts the maps without resetting anything: the download goes on
# after the restart and completes byte-identical, its flow is still in `xlbctl get ct`, the
# rule is there once, and new connections never stopped working. The download is held at
# 2 MiB/s until all of that has been seen (held_download_start), then finishes at full speed.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e fault_kill9" 80

step "topology: client | lb | b1, b2 (nginx :8080); a rule for the VIP, port 80 -> b1, b2"
topo_two_arm
big=$(e2e_file big 32) # 16 s at 2 MiB/s: still going after the restart
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web

step "steady traffic: a download held at 2 MiB/s, and new connections back to back"
out="$E2E_RUN_DIR/download.bin"
held_download_start client "http://$VIP/files/big" "$out"
wait_until 5 file_larger_than "$out" $((256 * 1024)) || fail "download did not start" \
  "$(cat "$E2E_RUN_DIR/logs/download.log")"
sport=$(tcp_client_port client "$VIP" 80)  # before the loop's connections come and go
request_loop_start client new "http://$VIP/"
loop=$BG_PID
# loop_answered <n> [from]: the loop's connections answered (since <from>, epoch seconds) >= n.
loop_answered() {
  local answered
  read -r answered _ < <(request_loop_counts new "${2:-0}")
  ((answered >= $1))
}
wait_until 5 loop_answered 5 || fail "new connections are not answered" \
  "$(head -3 "$E2E_RUN_DIR/new.requests")"

step "kill -9 xlbd: both kinds of traffic go on without it"
killed_at=$EPOCHREALTIME
xlbd_crash
before=$(file_size "$out")
# More than the 64 KiB receive buffer could have held, and five new connections: polled (at
# 2 MiB/s and the loop's pace, well under a second), not a fixed wait; asserted below.
dead_enough() { file_larger_than "$out" $((before + 256 * 1024)) && loop_answered 5 "$killed_at"; }
wait_until 5 dead_enough || true
while_dead=$(file_size "$out")
dead_until=$EPOCHREALTIME
# More than the 64 KiB receive buffer could have held when xlbd died.
assert_gt $((before + 256 * 1024)) "$while_dead" "bytes downloaded while xlbd is dead (> 256 KiB)"
read -r ok bad < <(request_loop_counts new "$killed_at" "$dead_until")
log "while dead: $((while_dead - before)) bytes downloaded; new connections: $ok ok, $bad failed"
assert_ge 5 "$ok" "new connections answered while xlbd is dead"
assert_eq 0 "$bad" "new connections failed while xlbd is dead ($(grep -m3 ' fail ' \
  "$E2E_RUN_DIR/new.requests" || true))"

step "restart xlbd on the same state and pins: it re-adopts, nothing is reset"
xlbd_start lb
assert_eq 1 "$(lb_rule_count "$VIP" 80 tcp)" "rules for $VIP:80/tcp after the restart"
assert_ok "flow $CLIENT_IP:$sport -> $VIP:80 still est after the restart" \
  ct_has_state "$CLIENT_IP" "$VIP" 80 "$sport" est
ct_show "| $sport "
restarted_at=$EPOCHREALTIME
at_restart=$(file_size "$out")
wait_until 5 file_larger_than "$out" $((at_restart + 256 * 1024)) || true
assert_gt $((at_restart + 256 * 1024)) "$(file_size "$out")" \
  "bytes downloaded after the restart (more than 256 KiB more)"
wait_until 5 loop_answered 5 "$restarted_at" || true # asserted below

step "the download completes intact; new connections never failed"
status=0
held_download_finish || status=$?
assert_eq 0 "$status" "download exit status (log: $(cat "$E2E_RUN_DIR/logs/download.log"))"
assert_eq "$(sha256sum <"$big")" "$(sha256sum <"$out")" "sha256 of the downloaded file"
stop_pid "$loop"
read -r ok bad < <(request_loop_counts new)
read -r ok_after _ < <(request_loop_counts new "$restarted_at")
log "new connections over the whole run: $ok ok, $bad failed ($ok_after after the restart)"
assert_gt 0 "$ok_after" "new connections answered after the restart"
assert_eq 0 "$bad" "new connections failed over the whole run"
