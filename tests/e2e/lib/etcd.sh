# shellcheck shell=bash
# An etcd cluster for e2e scenarios: one member per namespace (Debian's etcd-server), started in
# parallel, polled until healthy; members stop (SIGTERM) and start again on their data dirs.
# Source after lib/e2e.sh. Members run inside run namespaces: the teardown ends them.

declare -A ETCD_MEMBER_PID=()
declare -A ETCD_MEMBER_IP=()
ETCD_INITIAL_CLUSTER=""

etcd_require() {
  command -v etcd >/dev/null || {
    echo "SKIP: this scenario needs etcd (bash scripts/install-deps.sh installs etcd-server)" >&2
    exit 77
  }
}

# etcd_endpoints: "10.9.0.11:2379,10.9.0.12:2379,..." (every member, in order).
etcd_endpoints() {
  local ns out=""
  for ns in $(printf '%s\n' "${!ETCD_MEMBER_IP[@]}" | sort); do
    out+="${out:+,}${ETCD_MEMBER_IP[$ns]}:2379"
  done
  echo "$out"
}

# etcd_cluster_define <ns>:<ip>...: the members (namespaces already on one segment).
etcd_cluster_define() {
  local m
  for m in "$@"; do
    ETCD_MEMBER_IP[${m%%:*}]=${m#*:}
    ETCD_INITIAL_CLUSTER+="${ETCD_INITIAL_CLUSTER:+,}${m%%:*}=http://${m#*:}:2380"
  done
}

# etcd_member_start <ns>: the member in <ns> (a new cluster the first time, its data dir after).
# Short heartbeats and elections: a test cluster on one host elects a leader in well under 1 s.
etcd_member_start() {
  local ns=$1 ip=${ETCD_MEMBER_IP[$1]}
  bg_run "$ns" "etcd-$ns" etcd --name="$ns" --data-dir="$E2E_RUN_DIR/etcd-$ns" \
    --listen-client-urls="http://$ip:2379" --advertise-client-urls="http://$ip:2379" \
    --listen-peer-urls="http://$ip:2380" --initial-advertise-peer-urls="http://$ip:2380" \
    --initial-cluster="$ETCD_INITIAL_CLUSTER" --initial-cluster-state=new \
    --initial-cluster-token="$E2E_PREFIX" --heartbeat-interval=50 --election-timeout=500 \
    --log-level=warn
  ETCD_MEMBER_PID[$ns]=$BG_PID
}

etcd_member_stop() { stop_pid "${ETCD_MEMBER_PID[$1]}" "$(ns_name "$1")"; }

# etcd_member_healthy <ns>: the member answers /health with a leader.
etcd_member_healthy() {
  [[ $(nsx "$1" curl -s --max-time 1 "http://${ETCD_MEMBER_IP[$1]}:2379/health") == *'"health":"true"'* ]]
}

# etcd_start_all [seconds]: every member at once, then waits until each is healthy.
etcd_start_all() {
  local ns
  for ns in "${!ETCD_MEMBER_IP[@]}"; do etcd_member_start "$ns"; done
  for ns in "${!ETCD_MEMBER_IP[@]}"; do
    wait_until "${1:-15}" etcd_member_healthy "$ns" ||
      fail "etcd member $ns not healthy" "$(tail -n 20 "$E2E_RUN_DIR/logs/etcd-$ns.log")"
  done
}

# etcd_stop_all: every member at once, as a power cut would (SIGKILL: members that lose their
# quorum while shutting down take seconds to stop otherwise); they restart from their WAL.
etcd_stop_all() {
  local ns pid
  for ns in "${!ETCD_MEMBER_IP[@]}"; do
    pid=${ETCD_MEMBER_PID[$ns]}
    [[ $(ip netns identify "$pid" 2>/dev/null) == "$(ns_name "$ns")" ]] && kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true # reaped here: bash reports no "Killed" job
  done
}

# Printed when a scenario fails: each member's log tail.
etcd_diagnose() {
  local ns
  for ns in "${!ETCD_MEMBER_IP[@]}"; do
    echo "--- etcd $ns (last 10 lines)"
    tail -n 10 "$E2E_RUN_DIR/logs/etcd-$ns.log" 2>/dev/null
  done | sed 's/^/      /' >&2
}
E2E_ON_FAILURE+=(etcd_diagnose)
