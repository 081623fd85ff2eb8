#!/usr/bin/env bash
# Measures what xlbd.service grants (docs/packaging.md records the output):
#   1. the capability bounding set read from packaging/systemd/xlbd.service is enough for the
#      demo's scenario plus a ping health probe, --ct-expiry-rst and a fullproxy rule (xlbd run
#      as the unit runs it: root, that bounding set, no new privileges; xlb-proxy its child);
#   2. each capability of the set is needed: what the kernel answers without it, and xlbd's
#      one-line refusal;
#   3. what the unit does not grant and why (CAP_SYS_ADMIN, CAP_NET_BIND_SERVICE, a memlock
#      limit);
#   4. every system call xlbd made through the scenario, against the unit's SystemCallFilter;
#   5. the files it opened, against the unit's file-system sandbox.
# usage: bash scripts/measure-capabilities.sh   (root; the build tree's binaries, or $XLBD/$XLBCTL)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
export XLBD=${XLBD:-$REPO/build/src/daemon/xlbd} XLBCTL=${XLBCTL:-$REPO/build/src/cli/xlbctl}
BPF_OBJ=${BPF_OBJ:-$REPO/build/bpf/xlb_tc.bpf.o}
UNIT=$REPO/packaging/systemd/xlbd.service
# shellcheck source=tests/e2e/lib/e2e.sh
source "$REPO/tests/e2e/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/health.sh
source "$REPO/tests/e2e/lib/health.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$REPO/tests/e2e/lib/l7.sh"
# shellcheck source=tests/packaging/deb.sh
source "$REPO/tests/packaging/deb.sh"
E2E_PASS_MESSAGE="measured"
e2e_init "measure-capabilities" 120
for tool in setpriv strace bpftool systemd-analyze; do
  command -v "$tool" >/dev/null || fail "needs $tool"
done

UNIT_CAPS=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
without() { echo " $UNIT_CAPS " | sed "s/ $1 / /" | xargs; }

step "1. the unit's set through the demo's scenario: $UNIT_CAPS"
topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlb_mount_bpffs
strace_out=$E2E_RUN_DIR/strace.txt
args=(--api="$XLB_API" --state-dir="$E2E_RUN_DIR/state" --bpffs="$(xlb_pin_dir)" --ct-expiry-rst)
XLB_NS=lb
as_unit_argv "$UNIT_CAPS"
bg_run lb xlbd strace -f -qq -o "$strace_out" -e 'trace=!exit' "${AS_UNIT[@]}" "$XLBD" "${args[@]}"
strace_pid=$BG_PID
wait_until 10 xlb_api_ready || fail "xlbd did not start" "$(xlbd_log_tail)"
xlbctl create endpoint "$B1_IP" --probetype=ping --period=1 --timeout=1 --rise=1
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web --monitor
wait_ep_state "$B1_IP" ok 5
answers=$(http_get_n client "http://$VIP/" 4)
assert_eq 2 "$(count_lines "$answers" b1)" "answers from b1 of 4 (round robin)"
assert_ok "ping $VIP (answered by the datapath)" nsx client ping -c 1 -W 2 "$VIP"
# SIGTERM to xlbd itself (strace's child), as systemd stops it.
XLBD_PID=$(pgrep -P "$strace_pid")
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullproxy --name=web-l7
wait_until 10 vip_answers "$VIP" 81 || fail "no answer from the fullproxy rule" "$(xlbd_log_tail)"
assert_ok "xlb-proxy runs" proxy_running
log "OK: rule created, ping probe of $B1_IP ok, 4 requests balanced, VIP answers ping, --ct-expiry-rst on, fullproxy rule served by xlb-proxy"
kill -TERM "$XLBD_PID"
wait_until 5 pid_gone "$XLBD_PID" || fail "xlbd still running 5 s after SIGTERM"
wait "$strace_pid" || true

step "2. each capability of the set is needed"
printf '%-14s| %-52s| %s\n' capability "the kernel, without it" "xlbd, without it"
for cap in $UNIT_CAPS; do
  as_unit_argv "$(without "$cap")"
  case $cap in
    CAP_BPF | CAP_PERFMON)
      mkdir -p "$E2E_RUN_DIR/bpffs/probe"
      kernel=$("${AS_UNIT[@]}" bpftool -d prog loadall "$BPF_OBJ" "$E2E_RUN_DIR/bpffs/probe/p" 2>&1 || true)
      # The verifier's reason when it gives one, else the refusal.
      kernel=$(grep -m1 -E 'partial copy of pointer|prohibited' <<<"$kernel" ||
        grep -m1 -E 'Operation not permitted|denied' <<<"$kernel" || echo "loaded (not needed?)")
      rm -rf "$E2E_RUN_DIR/bpffs/probe" ;;
    CAP_NET_ADMIN)
      kernel=$(nsx lb "${AS_UNIT[@]}" tc qdisc add dev eth0 handle ffff: clsact 2>&1 || true)
      [[ -n $kernel ]] || { kernel="clsact added (not needed?)" && nsx lb tc qdisc del dev eth0 clsact; } ;;
    CAP_NET_RAW)
      kernel=$("${AS_UNIT[@]}" python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)' 2>&1 |
        tail -1 || true) ;;
  esac
  xlbd_said=$(nsx lb "${AS_UNIT[@]}" "$XLBD" --state-dir="$E2E_RUN_DIR/state" --bpffs="$(xlb_pin_dir)" 2>&1 || true)
  kernel=${kernel#libbpf: }
  printf '%-14s| %-52s| %s\n' "$cap" "${kernel:0:52}" "${xlbd_said%%: run xlbd as root*}"
done

step "3. not granted"
as_unit_argv "$UNIT_CAPS"
out=$("${AS_UNIT[@]}" mount -t bpf bpf "$E2E_RUN_DIR/bpffs" 2>&1 || true)
log "CAP_SYS_ADMIN: mounting a bpffs with the unit's set: ${out:-mounted?}"
log "  -> the unit mounts /sys/fs/bpf in ExecStartPre=+ (full privileges for that command only)"
status=0
# A state dir of its own: no rule restored, so only the API's bind is tried.
out=$(nsx lb "${AS_UNIT[@]}" timeout 5 "$XLBD" --api=127.0.0.1:80 --state-dir="$E2E_RUN_DIR/state-bind" \
  --bpffs="$(xlb_pin_dir)" 2>&1) || status=$?
log "CAP_NET_BIND_SERVICE: --api=127.0.0.1:80 with the unit's set: exit $status: $(grep -m1 'xlbd:' <<<"$out")"
log "  -> not granted: the API (11111) and the cluster port (22222) are above 1024"
xlbd_cleanup
status=0
nsx lb prlimit --memlock=65536 "${AS_UNIT[@]}" timeout 3 "$XLBD" --state-dir="$E2E_RUN_DIR/state" --bpffs="$(xlb_pin_dir)" \
  >"$E2E_RUN_DIR/memlock.log" 2>&1 || status=$?
log "RLIMIT_MEMLOCK 64 KiB: xlbd $( ((status == 124)) && echo "ran until stopped (the kernel charges BPF maps to the cgroup, not the limit)" || echo "exited $status: $(tail -1 "$E2E_RUN_DIR/memlock.log")")"
log "  -> no CAP_IPC_LOCK / CAP_SYS_RESOURCE, no LimitMEMLOCK="

step "4. system calls made through the scenario (xlbd and xlb-proxy), against SystemCallFilter=$(sed -n 's/^SystemCallFilter=//p' "$UNIT")"
# The filter's groups name other groups (@basic-io ...): expanded from the full listing.
read -ra filter <<<"$(sed -n 's/^SystemCallFilter=//p' "$UNIT")"
# syscall_set <filter words...>: the system calls they allow, one per line.
syscall_set() {
  systemd-analyze syscall-filter 2>/dev/null | python3 -c '
import sys
groups, name = {}, None
for line in sys.stdin:
    if line.startswith("@"):
        name = line.strip()
        groups[name] = []
    elif name and line.strip() and not line.strip().startswith("#"):
        groups[name].append(line.strip())
def expand(item, seen):
    if not item.startswith("@"):
        return {item}
    if item in seen:
        return set()
    seen.add(item)
    return set().union(*(expand(i, seen) for i in groups.get(item, [])))
for word in sorted(set().union(*(expand(w, set()) for w in sys.argv[1:]))):
    print(word)
' "$@"
}
used=$(sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$strace_out" | sort -u)
beyond_group=$(comm -23 <(echo "$used") <(syscall_set @system-service) | tr '\n' ' ')
outside=$(comm -23 <(echo "$used") <(syscall_set "${filter[@]}") | tr '\n' ' ')
log "$(wc -w <<<"$used") distinct system calls; beyond @system-service: ${beyond_group:-none}; outside the unit's filter: ${outside:-none}"

step "5. files xlbd and xlb-proxy opened (after xlbd's execve; not this run's state and pins, libraries, locales)"
# ProtectSystem=strict: read-only but for /var/lib/xlb and /sys/fs/bpf; ProcSubset=pid: /proc
# holds only processes (no /proc/sys); PrivateDevices: /dev/null, zero, urandom ... only.
awk '/execve\(".*\/xlbd"/ { on = 1 } on' "$strace_out" |
  sed -n 's/^[0-9]* *openat([^"]*"\([^"]*\)", \([A-Z_|]*\).*/\1 \2/p' |
  grep -v -E "^($E2E_RUN_DIR|/lib/|/usr/lib/(locale|x86_64-linux-gnu/gconv)|/etc/ld.so.cache|/usr/share/locale)" |
  sed -E 's/\|?O_(CLOEXEC|NOCTTY|NONBLOCK|DIRECTORY|LARGEFILE)//g; s/ \|/ /' | sort -u | sed 's/^/    /'
