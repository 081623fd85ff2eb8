# shellcheck shell=bash
# haproxy: HAProxy `mode tcp`, round robin — a userspace L4 proxy; haproxy-http: HAProxy
# `mode http` (`option forwardfor`, `http-reuse safe`), the L7 proxy xlb's fullproxy is compared
# with; haproxy-https: that, terminating TLS. Either listens on the VIP, which the LB holds on lo while it runs; the default thread
# count (one per CPU) is kept.

HAPROXY_PID=""

# haproxy_start <name> <config>: haproxy in the LB namespace with <config> (its `global`
# section is added), listening on the VIP's HTTP port.
haproxy_start() {
  local name=$1 config=$2 dir="$E2E_RUN_DIR/$1"
  mkdir -p "$dir"
  printf 'global\n  maxconn 8000\n%s\n' "$config" >"$dir/haproxy.cfg"
  addr_add lb lo "$VIP/32"
  # -db: stay in the foreground, so bg_run's PID is haproxy's and teardown stops it.
  bg_run lb "$name" haproxy -db -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid"
  HAPROXY_PID=$BG_PID
  wait_listening lb tcp "$BENCH_HTTP_PORT" ||
    fail "$name did not listen on $VIP:$BENCH_HTTP_PORT" "$(cat "$E2E_RUN_DIR/logs/$name.log")"
}

# haproxy_defaults <mode> [extra lines] [bind options]: the defaults section, then the HTTP
# frontend and its round-robin backend over both backends.
haproxy_defaults() {
  printf 'defaults\n  mode %s\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n%s' \
    "$1" "${2:-}"
  cat <<CFG
frontend http
  bind $VIP:$BENCH_HTTP_PORT ${3:-}
  default_backend http
backend http
  balance roundrobin
  server b1 $B1_IP:$BENCH_HTTP_PORT
  server b2 $B2_IP:$BENCH_HTTP_PORT
CFG
}

haproxy_up() {
  haproxy_start haproxy "$(haproxy_defaults tcp)
frontend iperf
  bind $VIP:$BENCH_IPERF_PORT
  default_backend iperf
backend iperf
  server b1 $B1_IP:$BENCH_IPERF_PORT"
}

haproxy_http_up() {
  haproxy_start haproxy-http "$(haproxy_defaults http '  option forwardfor
  http-reuse safe
  timeout http-request 10s
')"
}

# haproxy-https: the same, terminating TLS with the bench's certificate (cert and key in one
# PEM, as HAProxy wants it); plain HTTP to the backends.
haproxy_https_up() {
  cat "$BENCH_TLS_CERT" "$BENCH_TLS_KEY" >"$E2E_RUN_DIR/haproxy-tls.pem"
  haproxy_start haproxy-https "$(haproxy_defaults http '  option forwardfor
  http-reuse safe
  timeout http-request 10s
' "ssl crt $E2E_RUN_DIR/haproxy-tls.pem")"
}

haproxy_down() {
  stop_pid "$HAPROXY_PID" "$(ns_name lb)"
  # stop_pid may end with a SIGKILL it does not wait for: the next system binds the same port.
  wait_until 5 pid_gone "$HAPROXY_PID" || fail "haproxy (pid $HAPROXY_PID) did not exit"
  ip -n "$(ns_name lb)" addr del "$VIP/32" dev lo
}
