# shellcheck shell=bash
# shellcheck disable=SC2034  # XLBD_PID belongs to tests/e2e/lib/xlb.sh
# xlb-nat, xlb-fullnat, xlb-dsr: xlbd attached to both LB interfaces, one rule for nginx (rr over
# both backends) and one for iperf3 (b1), in the given mode. xlbd is started for its rounds only
# and detached after them, so no other system runs with its program on the interfaces.

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

xlb_down() {
  xlbd_cleanup
  XLBD_PID=""
  # `xlbd --cleanup` detaches its programs but keeps the clsact qdisc it added; an empty clsact
  # still puts every later system's packets through the ingress hook, so it goes too.
  local dev
  for dev in eth0 eth1; do nsx lb tc qdisc del dev "$dev" clsact; done
}
