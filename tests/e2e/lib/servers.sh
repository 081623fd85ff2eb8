# shellcheck shell=bash
# Real servers and clients for e2e scenarios: nginx (answers with its name, serves files), a
# socat UDP echo server that prefixes replies with its name, curl/python/socat clients, tcpdump.

# ---- servers

# e2e_files_dir: the run's directory of served files, readable by nginx's unprivileged workers.
e2e_files_dir() {
  mkdir -p "$E2E_RUN_DIR/files"
  chmod 0755 "$E2E_RUN_DIR" "$E2E_RUN_DIR/files"
  echo "$E2E_RUN_DIR/files"
}

# e2e_file <name> <MiB>: a random file every nginx backend serves at /files/<name>; created on
# first use; prints its path.
e2e_file() {
  local path
  path="$(e2e_files_dir)/$1"
  [[ -f $path ]] || head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$path"
  echo "$path"
}

# nginx_temp_paths <dir>: temp-path directives for the modules this nginx was built with, so
# nothing is written outside the run's dir.
nginx_temp_paths() {
  local dir=$1 built module
  built=$(nginx -V 2>&1)
  echo "client_body_temp_path $dir/body;"
  for module in proxy fastcgi uwsgi scgi; do
    [[ $built == *"--without-http_${module}_module"* ]] || echo "${module}_temp_path $dir/$module;"
  done
}

# nginx_conf_head <dir> [workers] [connections]: the part of every nginx.conf that only depends
# on its run directory (1 worker of 512 connections unless told); the caller closes the http
# block.
nginx_conf_head() {
  local dir=$1 workers=${2:-1} connections=${3:-512}
  cat <<CONF
daemon off;
master_process on;
worker_processes $workers;
worker_rlimit_nofile $((connections + 1024));
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections $connections; }
http {
  access_log $dir/access.log;
  $(nginx_temp_paths "$dir")
  default_type application/octet-stream;
CONF
}

# start_http_backend <ns> <name> <port>: nginx answering GET / with "<name>\n", serving the
# run's files under /files/. Waits until it listens.
start_http_backend() {
  local ns=$1 name=$2 port=$3 files
  local dir="$E2E_RUN_DIR/nginx-$name"
  files=$(e2e_files_dir)
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir")
  server {
    listen $port;
    location = / { default_type text/plain; return 200 "$name\n"; }
    location /files/ { alias $files/; }
  }
}
CONF
  bg_run "$ns" "nginx-$name" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  wait_listening "$ns" tcp "$port" || fail "nginx '$name' in $ns did not listen on :$port" \
    "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-$name.log" 2>/dev/null)"
}

# start_udp_echo <ns> <name> <port>: answers every datagram "<text>" with "<name> <text>".
start_udp_echo() {
  local ns=$1 name=$2 port=$3
  # shellcheck disable=SC2016  # $line is expanded by the per-datagram shell, not here
  bg_run "$ns" "udp-$name" socat "UDP4-RECVFROM:$port,reuseaddr,fork" \
    SYSTEM:"read -r line; echo \"$name \$line\""
  wait_listening "$ns" udp "$port" || fail "UDP echo '$name' in $ns did not bind :$port" \
    "log: $(cat "$E2E_RUN_DIR/logs/udp-$name.log" 2>/dev/null)"
}

# wait_listening <ns> tcp|udp <port>: up to 5 s.
wait_listening() {
  local ns=$1 proto=$2 port=$3 flags=-Hltn
  [[ $proto == udp ]] && flags=-Hlun
  wait_until 5 port_is_listening "$ns" "$flags" "$port"
}

port_is_listening() {
  [[ -n $(nsx "$1" ss "$2" "sport = :$3") ]]
}

# ---- clients

# http_get <ns> <url> [curl args...]: body on stdout; non-zero if the request failed.
http_get() {
  local ns=$1 url=$2
  shift 2
  nsx "$ns" curl -sS --fail --connect-timeout 2 --max-time 5 "$@" "$url"
}

# http_get_n <ns> <url> <n> [connect-timeout]: n sequential requests, one connection each, from
# inside the namespace (each given 2 s to connect unless said otherwise, 1 s more to answer);
# one line per request: the body, or "request <i> failed" after curl's error.
http_get_n() {
  # shellcheck disable=SC2016  # expanded by the inner shell
  nsx "$1" bash -c 'for ((i = 1; i <= $2; i++)); do
      curl -sS --connect-timeout "$3" --max-time "$(($3 + 1))" "$1" 2>&1 || echo "request $i failed"
    done' _ "$2" "$3" "${4:-2}"
}

# udp_request <ns> <ip> <port> <text>: one datagram from a new client port; prints the reply
# (nothing after 2 s). The socket is connected, so only a reply from ip:port is accepted.
udp_request() {
  nsx "$1" python3 -c '
import socket, sys
ip, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((ip, port))
s.send((text + "\n").encode())
try:
    print(s.recv(2048).decode().strip())
except socket.timeout:
    pass
' "$2" "$3" "$4"
}

# held_download_start <ns> <url> <out>: GET <url> (http://<ip>[:port]/<path>) into <out>, read
# at 2 MiB/s until held_download_finish, then at full speed: an established flow carrying data
# for as long as the scenario needs, however slow the machine. The receive buffer is 64 KiB, so
# <out> grows only as data crosses the network (the kernel cannot buffer megabytes ahead). Its
# PID in HELD_DOWNLOAD_PID; non-zero exit unless the whole body (Content-Length) arrived.
held_download_start() {
  local ns=$1 url=$2 out=$3
  HELD_DOWNLOAD_FLAG=$E2E_RUN_DIR/download.finish
  bg_run "$ns" download python3 -u -c '
import http.client, os, socket, sys, time, urllib.parse
url, out, flag = urllib.parse.urlsplit(sys.argv[1]), sys.argv[2], sys.argv[3]
rate = 2 * 1024 * 1024
conn = http.client.HTTPConnection(url.hostname, url.port or 80)
conn.sock = socket.socket()
conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
conn.sock.settimeout(10)
conn.sock.connect((url.hostname, url.port or 80))
conn.request("GET", url.path)
resp = conn.getresponse()
if resp.status != 200:
    sys.exit(f"answer: {resp.status} {resp.reason}")
length, got, t0 = int(resp.getheader("Content-Length")), 0, time.monotonic()
with open(out, "wb", buffering=0) as f:
    while got < length:
        if not os.path.exists(flag):
            time.sleep(max(0.0, got / rate - (time.monotonic() - t0)))
        chunk = resp.read(65536)
        if not chunk:
            sys.exit(f"connection closed after {got} of {length} bytes")
        f.write(chunk)
        got += len(chunk)
print(f"{got} bytes")
' "$url" "$out" "$HELD_DOWNLOAD_FLAG"
  HELD_DOWNLOAD_PID=$BG_PID
}

# held_download_finish: lets the held download run at full speed; returns its exit status once
# it ends.
held_download_finish() {
  local status=0
  touch "$HELD_DOWNLOAD_FLAG"
  wait "$HELD_DOWNLOAD_PID" || status=$?
  return "$status"
}

# hold_tcp_open <ns> <ip> <port> <seconds>: a client connection that stays established and idle
# for that long (nothing sent); its PID in BG_PID.
hold_tcp_open() {
  local ns=$1 ip=$2 port=$3 seconds=$4
  bg_run "$ns" "hold-$ip-$port" socat -u "EXEC:sleep $seconds" "TCP4:$ip:$port"
}

# tcp_client_port <ns> <ip> <port>: local port of an established connection to ip:port.
tcp_client_port() {
  local local_addr
  local_addr=$(nsx "$1" ss -Htn state established "dst $2:$3" | awk 'NR == 1 {print $3}')
  [[ -n $local_addr ]] || return 1
  echo "${local_addr##*:}"
}

# count_lines <text> <line>: how many lines of the text are exactly <line>.
count_lines() {
  local n
  n=$(grep -cxF -- "$2" <<<"$1" || true)
  echo "${n:-0}"
}

file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# file_larger_than <path> <bytes>
file_larger_than() { (($(file_size "$1") > $2)); }

# ---- packet capture

# capture_start <ns> <if> <name> [filter...]: tcpdump to $E2E_RUN_DIR/<name>.pcap.
capture_start() {
  local ns=$1 ifname=$2 name=$3
  shift 3
  bg_run "$ns" "tcpdump-$name" tcpdump -U -n -i "$ifname" -w "$E2E_RUN_DIR/$name.pcap" "$@"
  CAPTURE_PID=$BG_PID
  wait_until 5 grep -q "listening on" "$E2E_RUN_DIR/logs/tcpdump-$name.log" ||
    fail "tcpdump on $ns/$ifname did not start" "$(cat "$E2E_RUN_DIR/logs/tcpdump-$name.log")"
}

# capture_stop <name>: stops the last capture and prints it as text.
capture_stop() {
  sleep 0.2
  stop_pid "$CAPTURE_PID"
  tcpdump -n -r "$E2E_RUN_DIR/$1.pcap" 2>/dev/null
}

# start_http_backend_with <ns> <name> <listen> <answer>: nginx like start_http_backend, but
# `listen <listen>;` (e.g. "8080 proxy_protocol", "80") and GET / answering "<answer>\n", where
# <answer> may use nginx variables ($remote_addr, $proxy_protocol_addr). PUT /upload/<file>
# stores the body in $E2E_RUN_DIR/nginx-<name>/uploads/<file>. Waits until it listens.
start_http_backend_with() {
  local ns=$1 name=$2 listen=$3 answer=$4 files port
  local dir="$E2E_RUN_DIR/nginx-$name"
  port=${listen%% *}
  port=${port##*:}
  files=$(e2e_files_dir)
  mkdir -p "$dir/uploads"
  chmod 0777 "$dir/uploads"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir")
  server {
    listen $listen;
    location = / { default_type text/plain; return 200 "$answer\n"; }
    location /files/ { alias $files/; add_header X-Backend "$name"; }
    location /upload/ {
      alias $dir/uploads/;
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 64m;
    }
  }
}
CONF
  bg_run "$ns" "nginx-$name" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  wait_listening "$ns" tcp "$port" || fail "nginx '$name' in $ns did not listen on :$port" \
    "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-$name.log" 2>/dev/null)"
}

# start_haproxy_ppv2_backend <ns> <name> <port>: HAProxy (mode http) on :<port> with
# `accept-proxy`, answering every request with "<name> <src>\n": <src> is the client address
# HAProxy took from the Proxy Protocol header. Waits until it listens.
start_haproxy_ppv2_backend() {
  local ns=$1 name=$2 port=$3
  local dir="$E2E_RUN_DIR/haproxy-$name"
  mkdir -p "$dir"
  cat >"$dir/haproxy.cfg" <<CONF
global
  pidfile $dir/haproxy.pid
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend ppv2
  bind :$port accept-proxy
  http-request return status 200 content-type text/plain lf-string "$name %[src]\n"
CONF
  haproxy -c -q -f "$dir/haproxy.cfg" || fail "haproxy '$name': invalid config $dir/haproxy.cfg"
  bg_run "$ns" "haproxy-$name" haproxy -db -f "$dir/haproxy.cfg"
  wait_listening "$ns" tcp "$port" || fail "haproxy '$name' in $ns did not listen on :$port" \
    "log: $(cat "$E2E_RUN_DIR/logs/haproxy-$name.log" 2>/dev/null)"
}

# N requests to URL, every one answered by b1 or b2, and both of them used.
assert_both_backends_answer() {
  local url=$1 n=$2 answers b1 b2
  answers=$(http_get_n client "$url" "$n")
  b1=$(count_lines "$answers" b1)
  b2=$(count_lines "$answers" b2)
  assert_eq "$n" "$((b1 + b2))" "requests answered by a backend (b1=$b1 b2=$b2; all:
$(sort <<<"$answers" | uniq -c))"
  assert_gt 0 "$b1" "requests answered by b1"
  assert_gt 0 "$b2" "requests answered by b2"
}

# ---- request loops (steady traffic for fault scenarios)

# request_loop_start <ns> <name> <url>: new connections one after another (curl, 2 s budget
# each), one line per attempt in $E2E_RUN_DIR/<name>.requests: "<epoch seconds> ok|fail <answer>".
# Its PID in BG_PID; stopped at teardown (or by stop_pid).
request_loop_start() {
  local ns=$1 name=$2 url=$3
  # shellcheck disable=SC2016  # expanded by the inner shell
  bg_run "$ns" "loop-$name" bash -c 'while :; do
      if answer=$(curl -sS --fail --connect-timeout 1 --max-time 2 "$1" 2>&1); then
        echo "$EPOCHREALTIME ok $answer"
      else
        echo "$EPOCHREALTIME fail $(tr "\n" " " <<<"$answer")"
      fi
    done >>"$2"' _ "$url" "$E2E_RUN_DIR/$name.requests"
}

# request_loop_counts <name> [from] [to]: "<ok> <fail>" for attempts that ended within
# [from, to] (epoch seconds, e.g. from $EPOCHREALTIME; default: all).
request_loop_counts() {
  awk -v from="${2:-0}" -v to="${3:-1e12}" \
    '$1 >= from && $1 <= to { if ($2 == "ok") ok++; else bad++ }
     END { printf "%d %d\n", ok, bad }' "$E2E_RUN_DIR/$1.requests"
}
