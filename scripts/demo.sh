#!/usr/bin/env bash
# xlb demo: a client, a load balancer and two nginx backends in network namespaces on this
# machine; xlbd balances HTTP between the backends in NAT mode. Nothing outside those
# namespaces is touched, and everything is removed at the end (unless --keep).
#
#   bash scripts/demo.sh            install dependencies, build, run the demo, tear it down
#   bash scripts/demo.sh --keep     leave it running and print how to use and remove it
#   bash scripts/demo.sh --down     remove a demo left running by --keep
#   --no-build                      use the binaries already built (or $XLBD and $XLBCTL)
# The build directory is $BUILD (default build/), as for `make build` and scripts/run-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BUILD=${BUILD:-build}
DEMO_PREFIX=xlbdemo-

usage() { sed -n '2,10s/^# \{0,1\}//p' "$0"; }

keep=0 build=1 down=0
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    --no-build) build=0 ;;
    --down) down=1 ;;
    -h | --help) usage && exit 0 ;;
    *) echo "demo: unknown option '$arg'" >&2 && usage >&2 && exit 2 ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  echo "demo: network namespaces and eBPF need root: sudo bash scripts/demo.sh" >&2
  exit 1
fi

demo_namespaces() { ip netns list | awk '{print $1}' | grep "^$DEMO_PREFIX" || true; }

# --down: run the teardown script a kept demo wrote, then remove anything of the demo's that is
# still there (namespaces named xlbdemo-*, their pin mounts and temp dirs).
if ((down)); then
  for script in "${TMPDIR:-/tmp}"/"$DEMO_PREFIX"*/teardown.sh; do
    if [[ -f $script ]]; then bash "$script"; fi
  done
  for ns in $(demo_namespaces); do
    pids=$(ip netns pids "$ns" | tr '\n' ' ')
    # shellcheck disable=SC2086
    [[ -z ${pids// /} ]] || kill -KILL $pids 2>/dev/null || true
    ip netns delete "$ns"
  done
  for dir in "${TMPDIR:-/tmp}"/"$DEMO_PREFIX"*; do
    [[ -d $dir ]] || continue
    umount -l "$dir/bpffs" 2>/dev/null || true
    rm -rf "$dir"
  done
  echo "demo: removed"
  exit 0
fi

if [[ -n $(demo_namespaces) ]]; then
  echo "demo: a demo is already running (namespaces: $(demo_namespaces | tr '\n' ' '))" >&2
  echo "demo: remove it first: bash scripts/demo.sh --down" >&2
  exit 1
fi

if ((build)); then
  bash scripts/install-deps.sh
  make build BUILD="$BUILD"
fi
export XLBD=${XLBD:-$REPO/$BUILD/src/daemon/xlbd}
export XLBCTL=${XLBCTL:-$REPO/$BUILD/src/cli/xlbctl}

# shellcheck source=tests/e2e/lib/e2e.sh
source "$REPO/tests/e2e/lib/e2e.sh"
E2E_PASS_MESSAGE="demo done"
budget=180
((keep)) && budget=0
e2e_init "the demo" "$budget" "$DEMO_PREFIX"
xlb_require_binaries

# show <ns> <cmd> [args...]: print the command as one can type it, then run it.
show() {
  local ns=$1 shown
  shift
  shown="ip netns exec $(ns_name "$ns") ${*/#$REPO\//}"
  printf '\n$ %s\n' "$shown"
  nsx "$ns" "$@"
}

step "topology: 4 network namespaces (and one for the backend switch)"
topo_two_arm
cat <<EOF
     $(ns_name client) $CLIENT_IP
            │
     $(ns_name lb) $LB_CLIENT_IP | $LB_BACKEND_IP   (xlbd; VIP $VIP is on no interface)
            │
     $(ns_name b1) $B1_IP:8080 (nginx)   $(ns_name b2) $B2_IP:8080 (nginx)
EOF
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080

step "start xlbd in $(ns_name lb) (log: $E2E_RUN_DIR/logs/xlbd.log)"
xlbd_start lb
echo "xlbd is running: API on $XLB_API, state in $E2E_RUN_DIR/state, pins in $(xlb_pin_dir)"

step "create a load balancer: VIP $VIP port 80 -> both backends' port 8080, round robin"
show lb "$XLBCTL" create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web

step "send traffic from the client"
show client ping -c 1 -W 2 "$VIP"
for i in 1 2 3 4 5 6; do
  answer=$(http_get client "http://$VIP/") || fail "request $i to http://$VIP/ failed"
  echo "request $i to http://$VIP/ answered by $answer"
done

step "what xlb saw"
show lb "$XLBCTL" get lb -o wide
show lb "$XLBCTL" get ct

if ((keep)); then
  teardown="$E2E_RUN_DIR/teardown.sh"
  e2e_keep "$teardown"
  cat <<EOF

The demo is still running. Try:
  ip netns exec $(ns_name client) curl http://$VIP/
  ip netns exec $(ns_name lb) ${XLBCTL/#$REPO\//} get lb -o wide
  ip netns exec $(ns_name lb) ${XLBCTL/#$REPO\//} get ct
  less $E2E_RUN_DIR/logs/xlbd.log
Remove it (namespaces, xlbd, pinned maps, $E2E_RUN_DIR):
  bash scripts/demo.sh --down
EOF
fi
