# shellcheck shell=bash
# Run scaffolding for e2e topologies: a per-run temp dir and name prefix, network namespaces,
# veth pairs, bridges, and a LIFO cleanup list that the EXIT trap always runs (also on failure,
# Ctrl-C, SIGTERM and the scenario's own watchdog).
#
# Namespaces are named "$E2E_PREFIX<short>" (e.g. xlbe2e-4242-17-client); callers use the short
# name: `ns_create client`, `nsx client curl ...`. Nothing here touches the host's own network.

E2E_PREFIX=""       # "xlbe2e-<pid>-<random>-", set by e2e_init
E2E_RUN_DIR=""      # per-run temp dir: logs/, configs, pcaps, bpffs mount
E2E_CLEANUPS=()     # shell-quoted commands, run last-in first-out by e2e_teardown
E2E_ON_FAILURE=()   # functions that print diagnostics when the run fails
E2E_TORN_DOWN=0
E2E_PASS_MESSAGE=PASS
E2E_KEEP_VARS=(E2E_PREFIX E2E_RUN_DIR)  # what a kept run's teardown script needs to know

# e2e_init <what> [budget-seconds] [prefix]: prepare a run. Exits 77 (skip) when not root.
# A budget of 0 means no watchdog; the prefix defaults to one unique to this run.
e2e_init() {
  local what=$1 budget=${2:-90}
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: $what needs root (network namespaces, eBPF); run it as root" >&2
    exit 77
  fi
  local tool
  for tool in ip nginx curl socat tcpdump python3 ss; do
    command -v "$tool" >/dev/null || {
      echo "SKIP: $what needs '$tool' (bash scripts/install-deps.sh installs it)" >&2
      exit 77
    }
  done
  e2e_sweep_stale
  E2E_PREFIX=${3:-"xlbe2e-$$-$RANDOM-"}
  E2E_RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/${E2E_PREFIX}XXXX")
  mkdir -p "$E2E_RUN_DIR/logs"
  e2e_defer e2e_remove_run_dir
  trap e2e_teardown EXIT
  # set -e ends the script on a failing command: say which one (-E: also inside functions).
  set -E
  trap 'e2e_on_error "$?" "$BASH_COMMAND"' ERR
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  ((budget == 0)) || e2e_watchdog "$budget"
  E2E_T0=$SECONDS
  log "run $E2E_PREFIX, temp dir $E2E_RUN_DIR"
}

# ERR trap: the failing command, its status and where it was called from (innermost first).
e2e_on_error() {
  local status=$1 command=$2 where="" i
  # Only the script itself ends on errors; a failing command in a $(...) just yields output.
  [[ $BASHPID == "$$" ]] || return 0
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    where+=" ${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
  done
  echo "FAIL: \"$command\" exited $status (at$where)" >&2
}

# e2e_defer <cmd> [args...]: run this command at teardown (last registered runs first).
e2e_defer() {
  local quoted
  printf -v quoted '%q ' "$@"
  E2E_CLEANUPS+=("$quoted")
}

e2e_teardown() {
  local status=$?
  ((E2E_TORN_DOWN)) && return
  E2E_TORN_DOWN=1
  trap '' INT TERM HUP   # a second Ctrl-C must not leave namespaces behind
  trap - ERR
  set +e
  if ((status != 0)); then
    local hook
    for hook in "${E2E_ON_FAILURE[@]}"; do "$hook"; done
  fi
  local i
  for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do
    [[ -n ${E2E_DEBUG:-} ]] && log "teardown: ${E2E_CLEANUPS[i]}"
    eval "${E2E_CLEANUPS[i]}" </dev/null >/dev/null 2>&1
  done
  if [[ ${E2E_KEEP_DIR:-0} == 1 ]]; then
    touch "$E2E_RUN_DIR/KEPT"  # e2e_sweep_stale leaves it alone
    echo "e2e: kept $E2E_RUN_DIR (E2E_KEEP_DIR=1)" >&2
  fi
  if ((status == 0)); then
    log "$E2E_PASS_MESSAGE ($((SECONDS - E2E_T0))s)"
  elif ((status != 77)); then
    echo "FAIL: exit status $status after $((SECONDS - E2E_T0))s" >&2
  fi
  exit "$status"
}

# The run's temp dir goes, unless E2E_KEEP_DIR=1 (to read its logs, configs and pcaps).
e2e_remove_run_dir() {
  [[ ${E2E_KEEP_DIR:-0} == 1 ]] || rm -rf "$E2E_RUN_DIR"
}

# e2e_keep <script>: leave everything running and write <script>, which tears it all down later.
e2e_keep() {
  local script=$1 var i
  {
    echo '#!/usr/bin/env bash'
    echo "# Tears down what $0 left running on $(date '+%F %T')."
    echo 'set -uo pipefail'
    printf 'source %q\n' "$E2E_LIB/e2e.sh"
    for var in "${E2E_KEEP_VARS[@]}"; do printf '%s=%q\n' "$var" "${!var}"; done
    for ((i = ${#E2E_CLEANUPS[@]} - 1; i >= 0; i--)); do echo "${E2E_CLEANUPS[i]}"; done
  } >"$script"
  E2E_CLEANUPS=()
  E2E_ON_FAILURE=()
}

# The scenario's own time budget: on expiry SIGTERM the script, so the trap still tears
# everything down (ctest's TIMEOUT kills with SIGKILL, which no trap survives).
e2e_watchdog() {
  local budget=$1 main=$$
  (
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$budget" &
    sleeper=$!
    wait "$sleeper"
    echo "FAIL: time budget of ${budget}s exceeded" >&2
    kill -TERM "$main"
    # bash runs its trap only once the foreground command ends: end that command too.
    local child
    for child in $(ps -o pid= --ppid "$main"); do
      [[ $child == "$BASHPID" ]] || kill -TERM "$child" 2>/dev/null
    done
  ) &
  e2e_defer kill -TERM "$!"
}

# Removes what a run killed with SIGKILL left behind: namespaces and temp dirs whose
# "xlbe2e-<pid>-" owner no longer exists. Never touches a live run's objects.
e2e_sweep_stale() {
  local ns pid dir
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^xlbe2e-[0-9]*-' || true); do
    pid=${ns#xlbe2e-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    echo "e2e: removing stale namespace $ns (run $pid is gone)" >&2
    ns_kill_all "$ns"
    ip netns delete "$ns" 2>/dev/null || true
  done
  for dir in "${TMPDIR:-/tmp}"/xlbe2e-*-*-*; do
    [[ -d $dir && ! -e $dir/KEPT ]] || continue
    pid=${dir##*/xlbe2e-}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    umount -l "$dir/bpffs" 2>/dev/null || true
    rm -rf "$dir"
  done
}

ns_name() { echo "${E2E_PREFIX}$1"; }

# nsx <short-ns> <cmd> [args...]: run a command inside one of this run's namespaces.
nsx() {
  local ns=$1
  shift
  ip netns exec "${E2E_PREFIX}${ns}" "$@"
}

# ns_create <short-ns>...: new namespaces with loopback up; deleted at teardown.
ns_create() {
  local short full
  for short in "$@"; do
    full=$(ns_name "$short")
    ip netns add "$full"
    e2e_defer ns_destroy "$full"
    ip -n "$full" link set lo up
    # No duplicate address detection in a test's own namespaces: a link-local address stays
    # tentative for a second or two after its link comes up, and until then the kernel sends
    # no Neighbor Solicitation from that link (the first IPv6 connection of a scenario stalled).
    ip netns exec "$full" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
      net.ipv6.conf.default.accept_dad=0
  done
}

# SIGTERM every process still inside a namespace (all were started by this run), then SIGKILL
# those that have not exited within 0.3 s.
ns_kill_all() {
  local ns=$1 pids
  pids=$(ns_pids "$ns")
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null
  wait_until 0.3 ns_empty "$ns" && return 0
  pids=$(ns_pids "$ns")
  # shellcheck disable=SC2086
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null
  return 0
}

ns_pids() { ip netns pids "$1" 2>/dev/null | paste -sd' '; }

ns_empty() { [[ -z $(ns_pids "$1") ]]; }

ns_destroy() {
  ns_kill_all "$1"
  ip netns delete "$1" 2>/dev/null || true
}

# veth_pair <ns-a> <if-a> <ns-b> <if-b>: a veth pair, both ends up.
veth_pair() {
  local a=$1 ifa=$2 b=$3 ifb=$4
  ip -n "$(ns_name "$a")" link add "$ifa" type veth peer name "$ifb" netns "$(ns_name "$b")"
  ip -n "$(ns_name "$a")" link set "$ifa" up
  ip -n "$(ns_name "$b")" link set "$ifb" up
}

# bridge_create <switch-ns> <bridge>: an L2 segment living in its own namespace.
bridge_create() {
  local sw=$1 br=$2
  ip -n "$(ns_name "$sw")" link add "$br" type bridge
  ip -n "$(ns_name "$sw")" link set "$br" up
}

# bridge_connect <switch-ns> <bridge> <host-ns> <host-if>: plug a host into the segment
# (the switch-side port is named "<host-ns>-<host-if>", cut to 15 characters).
bridge_connect() {
  local sw=$1 br=$2 host=$3 ifname=$4 port
  port="${host}-${ifname}"
  port=${port:0:15}
  veth_pair "$host" "$ifname" "$sw" "$port"
  ip -n "$(ns_name "$sw")" link set "$port" master "$br"
}

# addr_add <ns> <if> <cidr>
addr_add() { ip -n "$(ns_name "$1")" addr add "$3" dev "$2"; }

# addr6_add <ns> <if> <cidr>: an IPv6 address without duplicate address detection (nodad), so
# it is usable at once instead of staying tentative for about a second.
addr6_add() { ip -n "$(ns_name "$1")" -6 addr add "$3" dev "$2" nodad; }

# route_add <ns> <ip route args...>   e.g. route_add client default via 10.1.1.1
route_add() {
  local ns=$1
  shift
  ip -n "$(ns_name "$ns")" route add "$@"
}

# sysctl_set <ns> <key>=<value>...
sysctl_set() {
  local ns=$1
  shift
  nsx "$ns" sysctl -qw "$@"
}

# mac_of <ns> <if>
mac_of() { ip -n "$(ns_name "$1")" -br link show dev "$2" | awk '{print $3}'; }

# bg_run <ns> <log-name> <cmd> [args...]: start a background process in a namespace, stdout and
# stderr to $E2E_RUN_DIR/logs/<log-name>.log; its PID in BG_PID; stopped at teardown.
bg_run() {
  local ns=$1 name=$2
  shift 2
  # A simple command, not a function, so $! is the program itself (ip netns exec execs it).
  ip netns exec "$(ns_name "$ns")" "$@" >>"$E2E_RUN_DIR/logs/$name.log" 2>&1 </dev/null &
  BG_PID=$!
  e2e_defer stop_pid "$BG_PID" "$(ns_name "$ns")"
}

# stop_pid <pid> [full-ns-name]: SIGTERM, up to 2 s grace, then SIGKILL. With a namespace, only
# if the process still lives in it (a PID reused by another process is left alone).
stop_pid() {
  local pid=$1 ns=${2:-}
  [[ -z $ns || $(ip netns identify "$pid" 2>/dev/null) == "$ns" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_until 2 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
}

# pid_gone <pid>: the process has exited. A zombie counts as gone: it has exited, and its
# parent may be an init that reaps orphans only now and then (a demo left running by --keep).
pid_gone() {
  local state
  state=$(awk '$1 == "State:" { print $2 }' "/proc/$1/status" 2>/dev/null)
  [[ -z $state || $state == Z ]]
}

# veth_peers_for_xdp <ns>: readies the peer of every veth in <ns> (wherever it lives) for xlb's
# XDP program on that veth (xlbd --attach=xdp, docs/modes.md "veth"):
# - a native XDP program that passes every frame (bpf/xlb_xdp_pass.bpf.c, unless the peer has
#   one already): a veth delivers what XDP sends into it only when its peer runs NAPI, and wakes
#   the peer for frames sent back out of the same veth (XDP_TX: ARP/ping answers for VIPs,
#   one-arm forwarding) only when the peer has an XDP program; GRO covers redirected frames only;
# - TX checksum offload off: a frame a local stack sends over a veth keeps its checksum for
#   "hardware" to finish (CHECKSUM_PARTIAL), which XDP cannot see: rewritten and redirected, it
#   arrives with a bad checksum. With offload off, the peer's transmit finishes the checksum in
#   software, as a frame from a wire would carry it (also for frames a bridge forwards).
# The programs go with the namespaces' interfaces at teardown.
veth_peers_for_xdp() {
  local full peer_ns ifname nsid link_index peer_if
  local pass_object=${XLB_XDP_PASS_OBJECT:-$XLB_ROOT/build/bpf/xlb_xdp_pass.bpf.o}
  [[ -f $pass_object ]] || fail "missing $pass_object" "build first (or set XLB_XDP_PASS_OBJECT)"
  full=$(ns_name "$1")
  while read -r ifname nsid link_index; do
    if [[ $nsid == - ]]; then
      peer_ns=$full
    else
      peer_ns=$(ip -n "$full" netns list-id | awk -v id="$nsid" \
        '$1 == "nsid" && $2 == id { sub(/\)$/, "", $NF); print $NF }')
    fi
    [[ -n $peer_ns ]] || fail "the peer of $ifname in $full is in no named namespace"
    peer_if=$(ip -n "$peer_ns" -o link show | awk -F': ' -v i="$link_index" \
      '$1 == i { sub(/@.*/, "", $2); print $2 }')
    [[ -n $peer_if ]] || fail "no interface $link_index in $peer_ns (the peer of $ifname)"
    ip netns exec "$peer_ns" ethtool -K "$peer_if" tx off >/dev/null
    ip -n "$peer_ns" -d link show dev "$peer_if" | grep -q 'prog/xdp' ||
      ip -n "$peer_ns" link set dev "$peer_if" xdpdrv obj "$pass_object" sec xdp ||
      fail "cannot attach $pass_object to $peer_if in $peer_ns"
  done < <(ip -n "$full" -j link show type veth | python3 -c '
import json, sys
for link in json.load(sys.stdin):
    print(link["ifname"], link.get("link_netnsid", "-"), link["link_index"])')
}
