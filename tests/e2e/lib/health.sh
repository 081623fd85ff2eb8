# shellcheck shell=bash
# For the health-check scenarios: a continuous client loop through a VIP with a timestamp per
# request, endpoint states from `xlbctl get ep -o json`, and time arithmetic on EPOCHREALTIME.

# traffic_start <ns> <url>: sequential requests, one connection each, until traffic_stop. Each
# line of $TRAFFIC_LOG: "<start, epoch seconds> ok <body>" or "<start> fail <curl's error>".
traffic_start() {
  TRAFFIC_LOG=$E2E_RUN_DIR/logs/traffic.log
  TRAFFIC_STOP=$E2E_RUN_DIR/traffic.stop
  # shellcheck disable=SC2016  # expanded by the loop's own shell
  bg_run "$1" traffic bash -c 'while [[ ! -e $2 ]]; do
      t=$EPOCHREALTIME
      if out=$(curl -sS --connect-timeout 1 --max-time 2 "$1" 2>&1); then
        echo "$t ok $out"
      else
        echo "$t fail" $out
      fi
      sleep 0.02
    done' _ "$2" "$TRAFFIC_STOP"
  TRAFFIC_PID=$BG_PID
}

# traffic_stop: ends the loop after its request in flight.
traffic_stop() {
  touch "$TRAFFIC_STOP"
  wait_until 5 pid_gone "$TRAFFIC_PID" || fail "the client loop did not stop"
}

# traffic_count <from> <to> ok|fail [body]: requests started in [from, to) with that outcome
# (and, for ok, that answer).
traffic_count() {
  awk -v from="$1" -v to="$2" -v kind="$3" -v body="${4:-}" '
    $1 >= from && $1 < to && $2 == kind && (body == "" || $3 == body) { n++ }
    END { print n + 0 }' "$TRAFFIC_LOG"
}

# traffic_window <from> <seconds> <n> <body>: an observation window of the client loop: returns
# once <seconds> have passed since <from> (epoch seconds) and at least <n> requests started since
# then were answered by <body> (or after 15 s: the caller's assertions on the counts then fail).
# A window measured in requests, not only in time, proves as much on a slow machine as on a fast
# one.
traffic_window() {
  local from=$1 seconds=$2 n=$3 body=$4
  sleep_until "$from" "$seconds"
  wait_until 15 traffic_answered "$from" "$n" "$body" || true
}

# traffic_answered <from> <n> <body>: at least <n> requests started since <from> were answered
# by <body>.
traffic_answered() { (($(traffic_count "$1" 1e12 ok "$3") >= $2)); }

# periods <n>: n probe periods of $PERIOD seconds, in seconds.
periods() { awk -v p="$PERIOD" -v n="$1" 'BEGIN { printf "%.2f", p * n }'; }

# probe_bound <n>: n probe periods + 10% (the prober's jitter): the bound on a health
# transition, measured on xlbd's own clock.
probe_bound() { awk -v p="$PERIOD" -v n="$1" 'BEGIN { printf "%.2f", p * n * 1.1 }'; }

# traffic_failures <from> <to>: the failed requests' lines, for messages.
traffic_failures() {
  awk -v from="$1" -v to="$2" '$1 >= from && $1 < to && $2 == "fail"' "$TRAFFIC_LOG" | sed -n 1,5p
}

now() { echo "$EPOCHREALTIME"; }

# seconds_between <t0> <t1>: "1.23"
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# assert_at_most <bound> <seconds> <what>: fractional seconds.
assert_at_most() {
  awk -v b="$1" -v s="$2" 'BEGIN { exit !(s <= b) }' || fail "$3" "expected: <= $1 s" "seen:     $2 s"
}

# ep_json <ip> <field>: a field of the endpoint's first `get ep -o json` row: "state" is the
# effective state (as the STATE column), "since" the time of its health's last transition in
# epoch seconds (xlbd's own clock reading, so a slow poll does not inflate a measurement), others
# ("last_error", "probe", ...) come from its health.
ep_json() {
  xlbctl get ep -o json | python3 -c '
import datetime, json, sys
ip, field = sys.argv[1], sys.argv[2]
for row in json.load(sys.stdin)["endpoints"]:
    if row["ip"] != ip:
        continue
    health = row.get("health") or {}
    if field == "state":
        print(row["state"] if row["state"] in ("draining", "down") else health.get("state", "unknown"))
    elif field == "since":
        t = datetime.datetime.strptime(health["last_transition"], "%Y-%m-%dT%H:%M:%S.%fZ")
        print("%.3f" % t.replace(tzinfo=datetime.timezone.utc).timestamp())
    else:
        print(health.get(field, ""))
    break
' "$1" "$2"
}

ep_state_is() { [[ $(ep_json "$1" state) == "$2" ]]; }

# wait_ep_state <ip> <state> <seconds>: polls `get ep` until the endpoint is in <state>.
wait_ep_state() {
  wait_until "$3" ep_state_is "$1" "$2" || fail "endpoint $1 not $2 after $3 s" "$(xlbctl get ep -o wide)"
}

# start_health_backend <ns> <name> <port>: nginx answering GET / with "<name>\n" and GET /health
# with the status set by set_health_status (200 at start). Waits until it listens.
start_health_backend() {
  local ns=$1 name=$2 port=$3
  local dir="$E2E_RUN_DIR/nginx-$name"
  mkdir -p "$dir"
  printf '%s\n' 'location = /health { default_type text/plain; return 200 "ok\n"; }' \
    >"$dir/health.conf"
  cat >"$dir/nginx.conf" <<CONF
$(nginx_conf_head "$dir")
  server {
    listen $port;
    location = / { default_type text/plain; return 200 "$name\n"; }
    include $dir/health.conf;
  }
}
CONF
  bg_run "$ns" "nginx-$name" nginx -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
  wait_listening "$ns" tcp "$port" || fail "nginx '$name' in $ns did not listen on :$port" \
    "log: $(cat "$dir/error.log" "$E2E_RUN_DIR/logs/nginx-$name.log" 2>/dev/null)"
}

# set_health_status <ns> <name> <port> <status>: reloads the backend's nginx so /health answers
# <status>; returns once it does (checked from inside the backend).
set_health_status() {
  local ns=$1 name=$2 port=$3 status=$4
  local dir="$E2E_RUN_DIR/nginx-$name"
  printf 'location = /health { default_type text/plain; return %s "status %s\\n"; }\n' \
    "$status" "$status" >"$dir/health.conf"
  kill -HUP "$(cat "$dir/nginx.pid")"
  wait_until 5 health_status_is "$ns" "$port" "$status" ||
    fail "nginx '$name' did not start answering $status on /health" "$(cat "$dir/error.log")"
}

health_status_is() {
  [[ $(nsx "$1" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$2/health") == "$3" ]]
}
