# shellcheck shell=bash
# Driving xlb inside a run's namespace: start/stop xlbd (own state dir and bpffs pin dir),
# xlbctl against it, conntrack queries, and diagnostics printed when a scenario fails.

XLB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
XLBD=${XLBD:-$XLB_ROOT/build/src/daemon/xlbd}
XLBCTL=${XLBCTL:-$XLB_ROOT/build/src/cli/xlbctl}
XLB_API=127.0.0.1:11111
XLB_NS=""      # short name of the namespace xlbd runs in
XLBD_PID=""
E2E_KEEP_VARS+=(XLBD XLBCTL XLB_NS XLBD_PID)

xlb_require_binaries() {
  local bin
  for bin in "$XLBD" "$XLBCTL"; do
    [[ -x $bin ]] || fail "missing $bin" "build first: make build (or set XLBD and XLBCTL)"
  done
}

# Pins live on a bpffs mounted in the run's dir in the host mount namespace: `ip netns exec`
# gives each command a private /sys, so a bpffs mounted under /sys/fs/bpf from inside it would
# vanish with the process, and a restarted xlbd could not re-adopt the maps.
xlb_pin_dir() { echo "$E2E_RUN_DIR/bpffs/xlb"; }

xlb_mount_bpffs() {
  local mnt="$E2E_RUN_DIR/bpffs"
  mountpoint -q "$mnt" 2>/dev/null && return 0
  mkdir -p "$mnt"
  mount -t bpf bpf "$mnt"
  e2e_defer umount -l "$mnt"
  e2e_defer xlbd_cleanup
  E2E_ON_FAILURE+=(xlb_diagnose)
}

# xlbd_start <ns> [extra xlbd args...]: runs xlbd in the namespace, waits for its API.
# With E2E_ATTACH=xdp in the environment (the e2e_xdp_* reruns of tests/e2e/CMakeLists.txt), xlbd
# runs with --attach=xdp, the namespace's veth peers readied for it, and every interface it
# manages must report the xdp hook. With E2E_TC_ATTACH=tcx|clsact (the e2e_clsact_* reruns), xlbd
# runs with --tc-attach=that and every interface must report its TC program attached that way.
xlbd_start() {
  XLB_NS=$1
  shift
  xlb_require_binaries
  xlb_mount_bpffs
  local args=(--api="$XLB_API" --state-dir="$E2E_RUN_DIR/state" --bpffs="$(xlb_pin_dir)" "$@")
  if [[ ${E2E_ATTACH:-tc} == xdp ]]; then
    veth_peers_for_xdp "$XLB_NS"
    args+=(--attach=xdp)
  fi
  [[ -z ${E2E_TC_ATTACH:-} ]] || args+=(--tc-attach="$E2E_TC_ATTACH")
  echo "--- xlbd start $(date +%T.%N)" >>"$E2E_RUN_DIR/logs/xlbd.log"
  log "\$ ip netns exec $(ns_name "$XLB_NS") ${XLBD#"$XLB_ROOT"/} ${args[*]}"
  bg_run "$XLB_NS" xlbd "$XLBD" "${args[@]}"
  XLBD_PID=$BG_PID
  local deadline=$((SECONDS + 10)) tries=0
  until xlb_api_ready; do
    kill -0 "$XLBD_PID" 2>/dev/null || fail "xlbd exited during start-up" "$(xlbd_log_tail)"
    ((SECONDS < deadline)) || fail "xlbd API not ready on $XLB_API after 10 s" "$(xlbd_log_tail)"
    poll_pause $((tries++))
  done
  [[ ${E2E_ATTACH:-tc} != xdp ]] || xlb_expect_every_hook xdp
  [[ -z ${E2E_TC_ATTACH:-} ]] || xlb_expect_every_hook "$E2E_TC_ATTACH" tc_attach
}

# xlb_expect_every_hook <value> [field]: every interface xlbd manages reports <value> in its
# attach status's [field] (hook, the default: tc|xdp; tc_attach: tcx|clsact).
xlb_expect_every_hook() {
  local field=${2:-hook} hooks
  hooks=$(nsx "$XLB_NS" curl -sf "http://$XLB_API/api/v1/stats" |
    jq -r ".attach.interfaces[] | \"\\(.name)=\\(.$field)\"" | paste -sd' ')
  local pair
  for pair in $hooks; do
    [[ ${pair#*=} == "$1" ]] || fail "xlbd attached ${pair%%=*} with $field ${pair#*=}, not $1" "$field: $hooks"
  done
  [[ -n $hooks ]] || fail "xlbd reports no attached interface"
}

# xlb_tcx_link <dev>: "<link id> <program id>" of the tcx link xlbd pinned for <dev>, empty if
# there is none. bpftool 7.1 predates tcx: it shows the link as "type 11" (BPF_LINK_TYPE_TCX);
# the pin (tcx_ingress_<dev> in the pin dir) says whose and which interface's it is.
xlb_tcx_link() {
  local shown
  shown=$(bpftool link show pinned "$(xlb_pin_dir)/tcx_ingress_$1" 2>/dev/null) || return 0
  [[ $shown =~ ^([0-9]+):\ (type\ 11|tcx)\ +prog\ ([0-9]+) ]] || return 0
  echo "${BASH_REMATCH[1]} ${BASH_REMATCH[3]}"
}

xlb_api_ready() {
  nsx "$XLB_NS" curl -sf --max-time 1 "http://$XLB_API/healthz" >/dev/null 2>&1
}

# xlbd_stop: SIGTERM; xlbd must exit 0 within 5 s.
xlbd_stop() {
  local status=0
  kill -TERM "$XLBD_PID"
  wait_until 5 pid_gone "$XLBD_PID" || fail "xlbd still running 5 s after SIGTERM" "$(xlbd_log_tail)"
  wait "$XLBD_PID" || status=$?
  assert_eq 0 "$status" "xlbd exit status after SIGTERM"
}

# Detach the datapath and remove the pins (teardown; the namespace must still exist).
xlbd_cleanup() {
  [[ -n $XLB_NS ]] || return 0
  [[ -n $XLBD_PID ]] && stop_pid "$XLBD_PID" "$(ns_name "$XLB_NS")"
  nsx "$XLB_NS" "$XLBD" --cleanup --bpffs="$(xlb_pin_dir)" >>"$E2E_RUN_DIR/logs/xlbd.log" 2>&1
}

xlbd_log_tail() { tail -n "${1:-40}" "$E2E_RUN_DIR/logs/xlbd.log" 2>/dev/null; }

# xlbctl <args...>: the CLI against this run's xlbd.
xlbctl() { nsx "$XLB_NS" timeout 10 "$XLBCTL" "$@"; }

# ct_states <src-ip> <vip> <vport> [src-port]: the state of each matching flow, one per line.
ct_states() {
  xlbctl get ct -o json | python3 -c '
import json, sys
src, vip, vport, sport = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for f in json.load(sys.stdin)["flows"]:
    if f["src_ip"] == src and f["dest_ip"] == vip and f["dport"] == vport \
            and (sport == "" or f["sport"] == int(sport)):
        print(f["state"])
' "$1" "$2" "$3" "${4:-}"
}

# ct_show <text>: `xlbctl get ct`, only its header and the rows containing <text>.
ct_show() {
  xlbctl get ct | awk -v text="$1" 'NR <= 2 || index($0, text)'
}

# ct_has_state <src-ip> <vip> <vport> <src-port|""> <state>: some matching flow is in <state>.
ct_has_state() {
  ct_states "$1" "$2" "$3" "$4" | grep -qxF "$5"
}

# lb_endpoint_counter <vip> <port> <proto> <endpoint-ip> packets|bytes|new_flows
lb_endpoint_counter() {
  xlbctl get lb -o json | python3 -c '
import json, sys
vip, port, proto, ep, counter = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
for rule in json.load(sys.stdin)["loadbalancers"]:
    if (rule["vip"], rule["port"], rule["protocol"]) == (vip, port, proto):
        for e in rule["endpoints"]:
            if e["ip"] == ep:
                print(e["counters"][counter])
' "$@"
}

# lb_rule_counter <vip> <port> <proto> packets|bytes|new_flows: the rule's own counter.
lb_rule_counter() {
  xlbctl get lb -o json | python3 -c '
import json, sys
vip, port, proto, counter = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for rule in json.load(sys.stdin)["loadbalancers"]:
    if (rule["vip"], rule["port"], rule["protocol"]) == (vip, port, proto):
        print(rule["counters"][counter])
' "$@"
}

# lb_rule_count <vip> <port> <proto>: how many rules `xlbctl get lb` lists for that key.
lb_rule_count() {
  xlbctl get lb -o json | python3 -c '
import json, sys
key = (sys.argv[1], int(sys.argv[2]), sys.argv[3])
print(sum((r["vip"], r["port"], r["protocol"]) == key for r in json.load(sys.stdin)["loadbalancers"]))
' "$@"
}

# Printed when a scenario fails: the daemon's view and its log.
xlb_diagnose() {
  [[ -n $XLB_NS ]] || return 0
  local alive="running" status=0
  if ! kill -0 "$XLBD_PID" 2>/dev/null; then
    wait "$XLBD_PID" 2>/dev/null || status=$?
    alive="NOT running (exit status $status; >128 means killed by signal status-128)"
  fi
  {
    echo "--- diagnostics: xlbd (pid $XLBD_PID) is $alive"
    echo "--- xlbctl get lb -o wide"
    xlbctl get lb -o wide 2>&1
    echo "--- xlbctl get ct"
    xlbctl get ct 2>&1
    echo "--- xlbd log (last 40 lines)"
    xlbd_log_tail 40
  } | sed 's/^/      /' >&2
}

# Bytes counted by every endpoint of every rule: what passed through the LB.
xlb_endpoint_bytes() {
  xlbctl get lb -o json | python3 -c '
import json, sys
print(sum(e["counters"]["bytes"] for r in json.load(sys.stdin)["loadbalancers"]
          for e in r["endpoints"]))'
}

# xlbd_crash: SIGKILL, as a crash would end it: no shutdown code runs.
xlbd_crash() {
  kill -KILL "$XLBD_PID"
  wait "$XLBD_PID" 2>/dev/null || true
  kill -0 "$XLBD_PID" 2>/dev/null && fail "xlbd survived SIGKILL"
  return 0
}

# xlbd_rss_kib: xlbd's resident memory (VmRSS, KiB).
xlbd_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$XLBD_PID/status"; }

# diagnose_expect <exit-status> <VIP> [--tcp=<port>|--udp=<port>]: runs `xlbctl diagnose lb`,
# shows its report and asserts its exit status (0 healthy, 2 a problem found); the report is left
# in DIAG_OUT for the caller's assertions.
diagnose_expect() {
  local want=$1 status=0
  shift
  DIAG_OUT=$(xlbctl diagnose lb "$@" 2>&1) || status=$?
  log "\$ xlbctl diagnose lb $*  (exit $status)"
  local line
  while IFS= read -r line; do printf '      %s\n' "$line"; done <<<"$DIAG_OUT"
  assert_eq "$want" "$status" "exit status of xlbctl diagnose lb $*"
}
