# shellcheck shell=bash
# Helpers of the fullproxy (L7) scenarios: nginx backends that report what the proxy sent them,
# a raw HTTP client, and the L7 series of /metrics.

E2E_TOOLS=$(cd "$E2E_LIB/../tools" && pwd)

# start_l7_backend <ns> <name> <port>...: nginx answering every request on each port with
# "<name> host=<Host> xff=<X-Forwarded-For> xfp=<X-Forwarded-Proto> xfport=<X-Forwarded-Port>
# conn=<nginx connection serial>", logging "<connection> <host> <xff> <request>" per port to
# $E2E_RUN_DIR/nginx-<name>/access-<port>.log; /files/ serves the run's files (e2e_files_dir).
# Connections stay up for 100000 requests. Each port listens on IPv4 and IPv6. A port given as
# <port>/tls speaks HTTPS with $L7_BACKEND_CERT and $L7_BACKEND_KEY, and its answers end in
# " tls=<protocol>".
start_l7_backend() {
  local ns=$1 name=$2 spec port listen tls_note servers="" files
  shift 2
  local dir="$E2E_RUN_DIR/nginx-$name"
  files=$(e2e_files_dir)
  mkdir -p "$dir"
  for spec in "$@"; do
    port=${spec%/tls} listen="$port;
    listen [::]:$port" tls_note=""
    if [[ $spec == */tls ]]; then
      listen="$port ssl;
    listen [::]:$port ssl;
    ssl_certificate $L7_BACKEND_CERT;
    ssl_certificate_key $L7_BACKEND_KEY"
      tls_note=" tls=\$ssl_protocol"
    fi
    # shellcheck disable=SC2016  # nginx variables, expanded by nginx
    servers+="
  server {
    listen $listen;
    access_log $dir/access-$port.log l7;
    location /files/ { alias $files/; }
    location / {
      default_type text/plain;
      return 200 \"$name host=\$host xff=\$http_x_forwarded_for xfp=\$http_x_forwarded_proto xfport=\$http_x_forwarded_port conn=\$connection$tls_note\\n\";
    }
  }"
  done
  # shellcheck disable=SC2016  # nginx variables, expanded by nginx
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir")
  log_format l7 '\$connection \$host "\$http_x_forwarded_for" "\$request"';
  keepalive_requests 100000;
$servers
}
CONF
  bg_run "$ns" "nginx-$name" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  for spec in "$@"; do
    port=${spec%/tls}
    wait_listening "$ns" tcp "$port" || fail "nginx '$name' in $ns did not listen on :$port" \
      "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-$name.log" 2>/dev/null)"
  done
}

# start_bad_response_backend <ns> <port>: answers every request with a response carrying both
# Content-Length and Transfer-Encoding (what a proxy must not pass on), and logs each request.
start_bad_response_backend() {
  local ns=$1 port=$2
  # shellcheck disable=SC2016  # expanded by the inner shell
  bg_run "$ns" "bad-response" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept(); c.recv(65536); print("request", flush=True)
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    c.close()' "$port"
  wait_listening "$ns" tcp "$port" || fail "the bad-response backend did not listen on :$port"
}

# start_silent_backend <ns> <port>: accepts connections and never answers (a hung endpoint).
start_silent_backend() {
  local ns=$1 port=$2
  bg_run "$ns" "silent-backend" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])' "$port"
  wait_listening "$ns" tcp "$port" || fail "the silent backend did not listen on :$port"
}

# http_raw <ns> <host> <port> <request>...: tools/http_raw.py (one connection, one line per
# response, then "closed" or "open").
http_raw() {
  local ns=$1
  shift
  nsx "$ns" timeout 15 python3 "$E2E_TOOLS/http_raw.py" "$@"
}

# log_lines <file>: lines in an access log (0 when it does not exist yet).
log_lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# distinct_connections <file> [from-line]: distinct nginx connection serials after line <from>.
distinct_connections() {
  tail -n +"$((${2:-0} + 1))" "$1" | awk '{print $1}' | sort -u | wc -l
}

# l7_metric <name> <rule-label> [extra-label-match]: the value of an xlb_l7_* series of the
# rule (any rule when <rule-label> is empty; 0 when absent).
l7_metric() {
  local name=$1 rule=$2 extra=${3:-}
  nsx "$XLB_NS" curl -sS --max-time 5 "http://$XLB_API/metrics" |
    awk -v n="$name" -v r="${rule:+rule=\"$rule\"}" -v x="$extra" \
      'index($1, n "{") == 1 && (r == "" || index($0, r)) && index($0, x) { v = $2 }
       END { print v + 0 }'
}

# proxy_pid: the PID of the xlb-proxy xlbd runs now (empty when none).
proxy_pid() { pgrep -P "$XLBD_PID" -x xlb-proxy || true; }

proxy_running() { [[ -n $(proxy_pid) ]]; }

# vip_answers <vip> [port]: an HTTP GET from the client through the VIP (IPv4 or IPv6) succeeds.
vip_answers() {
  local host=$1
  [[ $host == *:* ]] && host="[$host]"
  nsx client curl -sf --max-time 1 "http://$host:${2:-80}/" >/dev/null
}

# assert_at_most_n <bound> <actual> <what>: integers.
assert_at_most_n() {
  ((${2:-0} <= $1)) || fail "$3" "expected: <= $1" "seen:     ${2:-<empty>}"
}
