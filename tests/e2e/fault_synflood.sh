#!/usr/bin/env bash
# SYN flood beyond conntrack capacity (issue 12, faults; docs/security.md "SYN floods"). xlbd
# runs with the smallest map of handshakes under way (--ct-syn-size=1024 entries, two per flow),
# a main conntrack map the flood alone would overflow three times (--ct-size=16384) and an rr
# rule; the client namespace floods the VIP with SYNs from random source ports for 3 s at
# 8000/s, ~50x what the syn map holds. Meanwhile:
#   - a download held at 2 MiB/s (an active established flow) goes on, and completes
#     byte-identical once released;
#   - an idle keep-alive connection keeps its conntrack entry through the flood (checked before
#     it speaks again: not evicted, not re-created) and answers afterwards from the same
#     backend; with rr a re-created flow could land on the other one;
#   - new connections keep succeeding (>= 50%; the rate is printed);
#   - the pressure shows in the counters: fwd_new jumps by about the SYNs sent, the syn map is
#     full and the main map is not.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
e2e_init "e2e fault_synflood" 85

FLOOD_SECONDS=3
FLOOD_RATE=8000
CT_SIZE=16384
CT_SYN_SIZE=1024

# dp_counter <name>: one datapath verdict counter from GET /api/v1/stats.
dp_counter() {
  xlbctl get stats -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)["datapath"][sys.argv[1]])' "$1"
}

# per_second <count> <from> <to>: count / (to - from), one decimal.
per_second() {
  awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'
}

ct_flow_count() {
  xlbctl get ct -o json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["flows"]))'
}

# ct_summary_field <name>: one field of the conntrack summary (latest aging pass).
ct_summary_field() {
  xlbctl get ct --summary -o json | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# ct_packets <src-port>: packets (both directions) of the client's flow from <src-port> to the
# VIP; empty when conntrack does not hold it.
ct_packets() {
  xlbctl get ct -o json | python3 -c '
import json, sys
src, vip, sport = sys.argv[1], sys.argv[2], int(sys.argv[3])
for f in json.load(sys.stdin)["flows"]:
    if f["src_ip"] == src and f["dest_ip"] == vip and f["dport"] == 80 and f["sport"] == sport:
        print(f["packets"])
' "$CLIENT_IP" "$VIP" "$1"
}

# idle_client_start: one keep-alive connection to the VIP; asks once now and once more when
# $E2E_RUN_DIR/ask-again exists. Its log: "<local port> <answer>" per answer.
idle_client_start() {
  bg_run client idle python3 -u -c '
import os, socket, sys, time
vip, flag = sys.argv[1], sys.argv[2]
s = socket.create_connection((vip, 80), timeout=5)
def ask():
    s.sendall(b"GET / HTTP/1.1\r\nHost: xlb\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("connection closed by the server")
        head += chunk
    print(s.getsockname()[1], head.split(b"\r\n\r\n", 1)[1].decode().strip(), flush=True)
ask()
while not os.path.exists(flag):
    time.sleep(0.1)
ask()
' "$VIP" "$E2E_RUN_DIR/ask-again"
  IDLE_PID=$BG_PID
}

step "topology: client | lb (--ct-size=$CT_SIZE --ct-syn-size=$CT_SYN_SIZE) | b1, b2; a rule for the VIP, port 80, --select=rr"
topo_two_arm
big=$(e2e_file big 32) # 16 s at 2 MiB/s: still going after the flood
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlbd_start lb --ct-size="$CT_SIZE" --ct-syn-size="$CT_SYN_SIZE" --ct-gc-interval=1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --select=rr --name=web

step "established flows: a download held at 2 MiB/s and an idle keep-alive connection"
out="$E2E_RUN_DIR/download.bin"
held_download_start client "http://$VIP/files/big" "$out"
idle_client_start
idle_log="$E2E_RUN_DIR/logs/idle.log"
wait_until 5 grep -q . "$idle_log" || fail "the idle client got no first answer" "$(cat "$idle_log")"
read -r idle_port idle_backend <"$idle_log"
log "idle connection from port $idle_port answered by $idle_backend"
idle_packets=$(ct_packets "$idle_port")
assert_eq est "$(ct_states "$CLIENT_IP" "$VIP" 80 "$idle_port")" "idle connection's state before the flood"
wait_until 5 file_larger_than "$out" $((256 * 1024)) || fail "download did not start" \
  "$(cat "$E2E_RUN_DIR/logs/download.log")"
request_loop_start client new "http://$VIP/"
loop=$BG_PID
quiet_from=$EPOCHREALTIME
sleep 1
read -r quiet_ok _ < <(request_loop_counts new "$quiet_from" "$EPOCHREALTIME")
quiet_rate=$(per_second "$quiet_ok" "$quiet_from" "$EPOCHREALTIME")
log "new connections without a flood: $quiet_rate/s answered"
fwd_new_before=$(dp_counter fwd_new)

step "flood: SYNs at up to $FLOOD_RATE/s for ${FLOOD_SECONDS}s from shuffled ports below 32768"
flood_from=$EPOCHREALTIME
bytes_before=$(file_size "$out")
read -r sent flood_seconds < <(nsx client python3 "$(dirname "$0")/tools/syn_flood.py" \
  --src="$CLIENT_IP" --dst="$VIP" --dport=80 --rate="$FLOOD_RATE" --seconds="$FLOOD_SECONDS" \
  --ports=1024-32767)
flood_to=$EPOCHREALTIME
bytes_during=$(($(file_size "$out") - bytes_before))
ct_now=$(ct_flow_count)
idle_packets_after=$(ct_packets "$idle_port")
idle_state=$(ct_states "$CLIENT_IP" "$VIP" 80 "$idle_port")
fwd_new_delta=$(($(dp_counter fwd_new) - fwd_new_before))
read -r ok bad < <(request_loop_counts new "$flood_from" "$flood_to")
stop_pid "$loop"
rate=$(per_second "$ok" "$flood_from" "$flood_to")
log "sent $sent SYNs ($((sent * 2)) conntrack entries wanted, $CT_SYN_SIZE fit the syn map)"
log "during the flood ($(per_second "$sent" 0 "$flood_seconds") SYN/s): download" \
  "+$bytes_during bytes; new connections $ok ok, $bad failed ($rate/s answered, $quiet_rate/s" \
  "without a flood); fwd_new +$fwd_new_delta; flows in conntrack now: $ct_now"

assert_gt $((CT_SYN_SIZE * 10)) "$sent" "SYNs sent (the flood must overflow the syn map many times)"
assert_gt "$CT_SIZE" $((sent * 2)) "conntrack entries the flood wants (more than the main map holds)"
assert_gt $((1024 * 1024)) "$bytes_during" "bytes downloaded during the flood"
assert_ge 5 "$ok" "new connections answered during the flood"
assert_ge "$bad" "$ok" "new connections answered (at least as many as failed, i.e. >= 50%)"
assert_ge $((sent / 2)) "$fwd_new_delta" "fwd_new counter growth (the flood shows in the stats)"
assert_ge $((CT_SYN_SIZE * 4 / 10)) "$ct_now" "flows in conntrack right after the flood (syn map near full)"
# The next aging pass (every second) reports the fill of each map.
sleep_until "$flood_to" 1.5
syn_entries=$(ct_summary_field syn_entries)
main_entries=$(ct_summary_field entries)
log "conntrack after the flood: syn map $syn_entries of $CT_SYN_SIZE entries, main map $main_entries of $CT_SIZE"
# An LRU map keeps some free nodes per CPU: "full" is well above half.
assert_ge $((CT_SYN_SIZE * 6 / 10)) "$syn_entries" "syn map entries after the flood (full)"
# The main map holds the established and finished legitimate connections (a few thousand
# entries at most before aging clears the closed ones); the flood alone would fill it.
((main_entries < CT_SIZE * 3 / 4)) ||
  fail "main map entries after the flood (the flood stays out)" "expected: < $((CT_SIZE * 3 / 4))" \
    "seen:     $main_entries"

step "after the flood: the idle connection kept its entry and answers from the same backend; the download is intact"
log "idle connection's conntrack entry after the flood: ${idle_state:-evicted}," \
  "${idle_packets_after:-no} packets (${idle_packets} before)"
assert_eq est "$idle_state" "idle connection's conntrack state after the flood (not evicted)"
assert_ge "$idle_packets" "${idle_packets_after:-0}" \
  "idle connection's packets after the flood (the same entry, not a re-created one)"
touch "$E2E_RUN_DIR/ask-again"
status=0
wait "$IDLE_PID" || status=$?
assert_eq 0 "$status" "idle client exit status (log: $(cat "$idle_log"))"
assert_eq "$idle_port $idle_backend" "$(sed -n 2p "$idle_log")" \
  "second answer on the idle connection (same port, same backend)"
status=0
held_download_finish || status=$?
assert_eq 0 "$status" "download exit status (log: $(cat "$E2E_RUN_DIR/logs/download.log"))"
assert_eq "$(sha256sum <"$big")" "$(sha256sum <"$out")" "sha256 of the downloaded file"
answer=$(http_get client "http://$VIP/") || fail "a new request after the flood failed"
assert_one_of "$answer" "the answer to a new request after the flood" b1 b2
