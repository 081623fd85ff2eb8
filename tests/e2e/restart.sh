#!/usr/bin/env bash
# Restart: a paced download through the VIP started before xlbd is stopped (SIGTERM) keeps
# transferring while xlbd is down (256 KiB more, polled) and after it is restarted (same state dir and pins),
# completes with the right checksum, and the rule is back in `xlbctl get lb`. The download is
# held at 2 MiB/s until all that has been seen (held_download_start), then finishes at full
# speed. The TC program runs from a tcx link pinned per interface (the default on this kernel):
# it is there while xlbd runs, the same link while xlbd is down and after the restart (which
# swaps the program in it), and gone after --cleanup. Last, the lifecycle's end: with xlbd
# stopped the VIP still answers; `xlbd --cleanup` detaches it all.
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

# expect_tcx_links <what>: each LB interface runs xlb_ingress from its pinned tcx link, and has no
# clsact filter; sets tcx_link[dev] and tcx_prog[dev].
declare -A tcx_link tcx_prog
expect_tcx_links() {
  local dev link
  for dev in eth0 eth1; do
    link=$(xlb_tcx_link "$dev")
    [[ -n $link ]] || fail "no tcx link pinned for lb/$dev $1" "$(bpftool link show 2>&1 | tail -5)"
    tcx_link[$dev]=${link% *}
    tcx_prog[$dev]=${link#* }
    assert_contains "$(bpftool prog show id "${tcx_prog[$dev]}")" "name xlb_ingress" \
      "the program of lb/$dev's tcx link $1"
    assert_eq "" "$(nsx lb tc filter show dev "$dev" ingress 2>&1)" "clsact filters on lb/$dev $1"
  done
}
expect_tcx_links "with xlbd running"
declare -A first_link=([eth0]=${tcx_link[eth0]} [eth1]=${tcx_link[eth1]})
declare -A first_prog=([eth0]=${tcx_prog[eth0]} [eth1]=${tcx_prog[eth1]})

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
expect_tcx_links "with xlbd stopped"
for dev in eth0 eth1; do
  assert_eq "${first_link[$dev]} ${first_prog[$dev]}" "${tcx_link[$dev]} ${tcx_prog[$dev]}" \
    "lb/$dev's tcx link and program with xlbd stopped"
done

step "restart xlbd: the rule is back, the flow is still tracked, the transfer goes on"
xlbd_start lb
rules=$(xlbctl get lb)
echo "$rules"
assert_contains "$rules" "$VIP" "xlbctl get lb after the restart lists the VIP"
expect_tcx_links "after the restart"
for dev in eth0 eth1; do
  assert_eq "${first_link[$dev]}" "${tcx_link[$dev]}" "lb/$dev's tcx link after the restart (updated in place)"
  [[ ${first_prog[$dev]} != "${tcx_prog[$dev]}" ]] ||
    fail "lb/$dev's tcx link still runs the first xlbd's program ${first_prog[$dev]} after the restart"
done
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
  assert_eq "" "$(xlb_tcx_link "$dev")" "tcx link pinned for lb/$dev after --cleanup"
  assert_fails "lb/$dev's tcx link ${tcx_link[$dev]} after --cleanup" \
    bpftool link show id "${tcx_link[$dev]}"
done
assert_eq "" "$(ls -A "$(xlb_pin_dir)" 2>/dev/null)" "pins left in $(xlb_pin_dir)"
