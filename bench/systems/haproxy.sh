# shellcheck shell=bash
# haproxy: HAProxy `mode tcp`, round robin — a userspace L4 proxy. It listens on the VIP, which
# the LB holds on lo while it runs; its default thread count (one per CPU) is kept.

HAPROXY_PID=""

haproxy_up() {
  local dir="$E2E_RUN_DIR/haproxy"
  mkdir -p "$dir"
  cat >"$dir/haproxy.cfg" <<CFG
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend http
  bind $VIP:$BENCH_HTTP_PORT
  default_backend http
backend http
  balance roundrobin
  server b1 $B1_IP:$BENCH_HTTP_PORT
  server b2 $B2_IP:$BENCH_HTTP_PORT
frontend iperf
  bind $VIP:$BENCH_IPERF_PORT
  default_backend iperf
backend iperf
  server b1 $B1_IP:$BENCH_IPERF_PORT
CFG
  addr_add lb lo "$VIP/32"
  # -db: stay in the foreground, so bg_run's PID is haproxy's and teardown stops it.
  bg_run lb haproxy haproxy -db -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
  HAPROXY_PID=$BG_PID
  wait_listening lb tcp "$BENCH_HTTP_PORT" ||
    fail "haproxy did not listen on $VIP:$BENCH_HTTP_PORT" "$(cat "$E2E_RUN_DIR/logs/haproxy.log")"
}

haproxy_down() {
  stop_pid "$HAPROXY_PID" "$(ns_name lb)"
  ip -n "$(ns_name lb)" addr del "$VIP/32" dev lo
}
