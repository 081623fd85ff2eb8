# shellcheck shell=bash
# nginx-proxy: nginx as the L7 proxy people would otherwise use: an upstream of both backends
# with `keepalive` (pooled backend connections), `$proxy_add_x_forwarded_for`, one worker per
# CPU. It listens on the VIP, which the LB holds on lo while it runs.

NGINX_PROXY_PID=""

# nginx_proxy_up [tls]: with "tls", the listener terminates TLS with the bench's certificate
# (nginx-https), plain HTTP to the backends.
nginx_proxy_up() {
  local dir="$E2E_RUN_DIR/nginx-proxy" listen="$VIP:$BENCH_HTTP_PORT backlog=4096"
  if [[ ${1:-} == tls ]]; then
    # Debian's nginx 1.22 leaves TLS 1.3 out by default: the others negotiate it, so does nginx.
    listen+=" ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $BENCH_TLS_CERT;
    ssl_certificate_key $BENCH_TLS_KEY"
  fi
  mkdir -p "$dir"
  # shellcheck disable=SC2016  # nginx variables, expanded by nginx
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir" auto 12000)
  access_log off;
  keepalive_requests 100000000;
  upstream backends {
    server $B1_IP:$BENCH_HTTP_PORT;
    server $B2_IP:$BENCH_HTTP_PORT;
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen $listen;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
CONF
  addr_add lb lo "$VIP/32"
  bg_run lb nginx-proxy nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  NGINX_PROXY_PID=$BG_PID
  wait_listening lb tcp "$BENCH_HTTP_PORT" || fail "nginx-proxy did not listen" \
    "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-proxy.log" 2>/dev/null)"
}

nginx_proxy_down() {
  stop_pid "$NGINX_PROXY_PID" "$(ns_name lb)"
  wait_until 5 pid_gone "$NGINX_PROXY_PID" || fail "nginx (pid $NGINX_PROXY_PID) did not exit"
  ip -n "$(ns_name lb)" addr del "$VIP/32" dev lo
}
