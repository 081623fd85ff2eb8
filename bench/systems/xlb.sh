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

xlb_fullproxy_up() {
  rm -rf "$E2E_RUN_DIR/state"
  # Room for the idle-connections figure (5,000 held at once) beside the check's own.
  xlbd_start lb --interfaces=eth0,eth1 --l7-max-connections=12000 >/dev/null
  xlbctl create lb "$VIP" --tcp="$BENCH_HTTP_PORT" --endpoints="$B1_IP:1,$B2_IP:1" \
    --mode=fullproxy --select=rr --name=http >/dev/null
  wait_until 10 xlb_proxy_pid || fail "xlbd did not start xlb-proxy" "$(xlbd_log_tail)"
}

# xlb_proxy_pid: prints the PID of the xlb-proxy xlbd runs (fails when none).
xlb_proxy_pid() { pgrep -P "$XLBD_PID" -x xlb-proxy; }

xlb_down() {
  xlbd_cleanup
  XLBD_PID=""
  # `xlbd --cleanup` detaches its programs but keeps the clsact qdisc it added; an empty clsact
  # still puts every later system's packets through the ingress hook, so it goes too.
  local dev
  for dev in eth0 eth1; do nsx lb tc qdisc del dev "$dev" clsact; done
}
