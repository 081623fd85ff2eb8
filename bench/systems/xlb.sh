# shellcheck shell=bash
# shellcheck disable=SC2034  # XLBD_PID belongs to tests/e2e/lib/xlb.sh
# xlb-nat, xlb-fullnat, xlb-dsr: xlbd attached to both LB interfaces, one rule for nginx (rr over
# both backends) and one for iperf3 (b1), in the given mode; xlb-fullproxy: one fullproxy rule
# for nginx (xlb-proxy, its default event loop per CPU). xlbd is started for its rounds only and
# detached after them, so no other system runs with its program on the interfaces.

# xlb_up <mode>: default | fullnat | dsr
xlb_up() {
  local mode=$1
  rm -rf "$E2E_RUN_DIR/state"  # each start begins with no rules
  xlbd_start lb --interfaces=eth0,eth1 >/dev/null
  xlbctl create lb "$VIP" --tcp="$BENCH_HTTP_PORT" --endpoints="$B1_IP:1,$B2_IP:1" \
    --mode="$mode" --select=rr --name=http >/dev/null
  xlbctl create lb "$VIP" --tcp="$BENCH_IPERF_PORT" --endpoints="$B1_IP:1" \
    --mode="$mode" --name=iperf >/dev/null
}

# xlb_nat6_up: NAT66, the same two rules on V6_VIP (endpoints in brackets).
xlb_nat6_up() {
  rm -rf "$E2E_RUN_DIR/state"
  xlbd_start lb --interfaces=eth0,eth1 >/dev/null
  xlbctl create lb "$V6_VIP" --tcp="$BENCH_HTTP_PORT" --endpoints="[$B1_6]:1,[$B2_6]:1" \
    --select=rr --name=http6 >/dev/null
  xlbctl create lb "$V6_VIP" --tcp="$BENCH_IPERF_PORT" --endpoints="[$B1_6]:1" --name=iperf6 >/dev/null
  SYS_HTTP_HOST="[$V6_VIP]"
  SYS_IPERF_HOST=$V6_VIP
}

# xlb_fullproxy_up [tls]: with "tls", the rule is --security=https with the bench's
# certificate (xlb-https).
xlb_fullproxy_up() {
  local tls=()
  [[ ${1:-} == tls ]] && tls=(--security=https --tls-cert="$BENCH_TLS_CERT" --tls-key="$BENCH_TLS_KEY")
  local -a rule_args
  read -r -a rule_args <<<"${BENCH_XLB_RULE_ARGS:-}"
  rm -rf "$E2E_RUN_DIR/state"
  # Room for the idle-connections figure (5,000 held at once) beside the check's own.
  # BENCH_XLBD_ARGS, BENCH_XLB_RULE_ARGS: extra xlbd and rule flags for an ablation run (e.g.
  # --l7-workers=1, --reuse=always).
  # shellcheck disable=SC2086  # split on purpose
  xlbd_start lb --interfaces=eth0,eth1 --l7-max-connections=12000 ${BENCH_XLBD_ARGS:-} >/dev/null
  xlbctl create lb "$VIP" --tcp="$BENCH_HTTP_PORT" --endpoints="$B1_IP:1,$B2_IP:1" \
    --mode=fullproxy --select=rr --name=http "${tls[@]}" "${rule_args[@]}" >/dev/null
  wait_until 10 xlb_proxy_pid || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"
}

# xlb_proxy_pid: prints the PID of the xlb-proxy xlbd runs (fails when none).
xlb_proxy_pid() { pgrep -P "$XLBD_PID" -x xlb-proxy; }

xlb_down() {
  xlbd_cleanup
  XLBD_PID=""
  # `xlbd --cleanup` detaches its programs but keeps the clsact qdisc it added (--tc-attach=clsact,
  # or a kernel without tcx; on tcx there is none); an empty clsact still puts every later
  # system's packets through the ingress hook, so it goes too.
  local dev
  for dev in eth0 eth1; do nsx lb tc qdisc del dev "$dev" clsact 2>/dev/null || true; done
}

# xlb-proxy-alone (an ablation, not in the default list): xlb-proxy by itself listening on the
# VIP like nginx and HAProxy, without xlbd, its TC program, the policy route or the sk_lookup
# steering; beside xlb-fullproxy it tells what the steering path costs.
XLB_PROXY_ALONE_PID=""
xlb_proxy_alone_up() {
  local config="$E2E_RUN_DIR/xlb-proxy-alone.json"
  cat >"$config" <<JSON
{"op": "config", "rules": [{"vip": "$VIP", "protocol": "tcp", "port": $BENCH_HTTP_PORT,
  "mode": "fullproxy", "select": "rr",
  "endpoints": [{"ip": "$B1_IP", "port": $BENCH_HTTP_PORT}, {"ip": "$B2_IP", "port": $BENCH_HTTP_PORT}]}]}
JSON
  addr_add lb lo "$VIP/32"
  bg_run lb xlb-proxy-alone "$(dirname "$XLBD")/../proxy/xlb-proxy" --config="$config" \
    --listen="$VIP:$BENCH_HTTP_PORT"
  XLB_PROXY_ALONE_PID=$BG_PID
  wait_listening lb tcp "$BENCH_HTTP_PORT" || fail "xlb-proxy alone did not listen" \
    "$(cat "$E2E_RUN_DIR/logs/xlb-proxy-alone.log")"
}

xlb_proxy_alone_down() {
  stop_pid "$XLB_PROXY_ALONE_PID" "$(ns_name lb)"
  wait_until 5 pid_gone "$XLB_PROXY_ALONE_PID" || fail "xlb-proxy (alone) did not exit"
  ip -n "$(ns_name lb)" addr del "$VIP/32" dev lo
}
