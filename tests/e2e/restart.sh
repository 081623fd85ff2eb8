#!/usr/bin/env bash
# Restart: a paced download through the VIP started before xlbd is stopped (SIGTERM) keeps
# transferring while xlbd is down (256 KiB more, polled) and after it is restarted (same state dir and pins),
# completes with the right checksum, and the rule is back in `xlbctl get lb`. The download is
# held at 2 MiB/s until all that has been seen (held_download_start), then finishes at full
# speed. Last, the lifecycle's end: with xlbd stopped the VIP still answers; `xlbd --cleanup`
# detaches it all.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e restart" 60

step "topology: client | lb | b1, b2 (nginx :8080)"
topo_two_arm
big=$(e2e_file big 32) # 16 s at 2 MiB/s: still going after the restart
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web

step "download 32 MiB through $VIP, held at 2 MiB/s"
out="$E2E_RUN_DIR/download.bin"
held_download_start client "http://$VIP/files/big" "$out"
wait_until 5 file_larger_than "$out" $((256 * 1024)) || fail "download did not start" \
  "$(cat "$E2E_RUN_DIR/logs/download.log")"
sport=$(tcp_client_port client "$VIP" 80)

step "stop xlbd: the transfer goes on"
xlbd_stop
before=$(file_size "$out")
stopped_at=$EPOCHREALTIME
# More than the 64 KiB receive buffer could have held when xlbd stopped (at 2 MiB/s, about
# 0.15 s): polled, not a fixed wait.
wait_until 5 file_larger_than "$out" $((before + 256 * 1024)) || true
while_down=$(file_size "$out")
assert_gt $((before + 256 * 1024)) "$while_down" "bytes received while xlbd is stopped (> 256 KiB)"
log "received $before bytes before the stop, $while_down after $(python3 -c \
  "print(f'{$EPOCHREALTIME - $stopped_at:.2f}')") s without xlbd"

step "restart xlbd: the rule is back, the flow is still tracked, the transfer goes on"
xlbd_start lb
rules=$(xlbctl get lb)
echo "$rules"
assert_contains "$rules" "$VIP" "xlbctl get lb after the restart lists the VIP"
assert_eq 1 "$(lb_rule_count "$VIP" 80 tcp)" "rules for $VIP:80/tcp after the restart"
assert_ok "flow $CLIENT_IP:$sport -> $VIP:80 still est after the restart" \
  ct_has_state "$CLIENT_IP" "$VIP" 80 "$sport" est
at_restart=$(file_size "$out")
wait_until 5 file_larger_than "$out" $((at_restart + 256 * 1024)) || true
after=$(file_size "$out")
assert_gt $((at_restart + 256 * 1024)) "$after" \
  "bytes received after xlbd restarted (more than 256 KiB more)"
log "received $after bytes after the restart"
ct_show "| $sport "

step "the transfer completes intact; new connections work"
status=0
held_download_finish || status=$?
assert_eq 0 "$status" "download exit status (log: $(cat "$E2E_RUN_DIR/logs/download.log"))"
assert_eq "$(sha256sum <"$big")" "$(sha256sum <"$out")" "sha256 of the downloaded file"
answer=$(http_get client "http://$VIP/") || fail "a new request to $VIP after the restart failed"
assert_one_of "$answer" "the answer to a new request after the restart" b1 b2

step "stop xlbd: the datapath still answers; xlbd --cleanup detaches it and removes the pins"
xlbd_stop
assert_ok "ping $VIP with xlbd stopped" nsx client ping -c 1 -W 2 "$VIP"
xlbd_cleanup
assert_fails "ping $VIP after xlbd --cleanup" nsx client ping -c 1 -W 0.5 "$VIP"
for dev in eth0 eth1; do
  assert_eq "" "$(nsx lb tc filter show dev "$dev" ingress 2>&1)" "TC ingress filters left on lb/$dev"
done
assert_eq "" "$(ls -A "$(xlb_pin_dir)" 2>/dev/null)" "pins left in $(xlb_pin_dir)"
