# shellcheck shell=bash
# HA pair helpers: a topology with two LB namespaces, an xlbd in each (own state dir, pins and
# log), keepalived in each running the shipped contrib/keepalived config, and queries of the HA
# state. Source after lib/e2e.sh. Every process runs inside a run namespace, so the namespace
# teardown ends it (keepalived's VRRP child included).
# shellcheck disable=SC2034  # the topology sets address variables for the caller

HA_CONTRIB="$XLB_ROOT/contrib/keepalived"

# ha_require_keepalived: skips the scenario (exit 77) where keepalived is not installed.
ha_require_keepalived() {
  command -v keepalived >/dev/null && return 0
  echo "SKIP: the HA scenario needs keepalived (bash scripts/install-deps.sh installs it)" >&2
  exit 77
}
declare -A HA_XLBD_PID=()

# HA pair: a client on the front bridge with an on-link route to the VIP, two LBs on both
# bridges, two backends whose default gateway is the floating (VRRP) address.
#
#   client 10.1.1.10 ──[sw: front]──┬── lb1 eth0 10.1.1.2   lb1 eth1 10.1.2.2 ──[sw: back]──┬── b1 10.1.2.10
#   route VIP dev eth0              └── lb2 eth0 10.1.1.3   lb2 eth1 10.1.2.3               └── b2 10.1.2.11
#                                        floating 10.1.2.1 on the MASTER's eth1 (keepalived)
topo_ha_pair() {
  CLIENT_IP=10.1.1.10
  LB1_FRONT_IP=10.1.1.2
  LB2_FRONT_IP=10.1.1.3
  LB1_BACK_IP=10.1.2.2
  LB2_BACK_IP=10.1.2.3
  FLOATING_IP=10.1.2.1
  B1_IP=10.1.2.10
  B2_IP=10.1.2.11
  VIP=20.20.20.1
  ns_create sw client lb1 lb2 b1 b2
  bridge_create sw front
  bridge_create sw back
  bridge_connect sw front client eth0
  addr_add client eth0 "$CLIENT_IP/24"
  route_add client "$VIP/32" dev eth0
  local lb front back
  for lb in lb1:$LB1_FRONT_IP:$LB1_BACK_IP lb2:$LB2_FRONT_IP:$LB2_BACK_IP; do
    IFS=: read -r lb front back <<<"$lb"
    bridge_connect sw front "$lb" eth0
    bridge_connect sw back "$lb" eth1
    addr_add "$lb" eth0 "$front/24"
    addr_add "$lb" eth1 "$back/24"
    sysctl_set "$lb" net.ipv4.ip_forward=1
  done
  topo_backends back "$FLOATING_IP"
}

# ha_key_file: a cluster key both nodes share (mode 0600), created once; prints its path.
ha_key_file() {
  local key="$E2E_RUN_DIR/cluster.key"
  if [[ ! -f $key ]]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$key")
  fi
  echo "$key"
}

# ha_xlbd_start <ns> [xlbd args...]: xlbd in <ns> with its own state dir, pins and log
# (logs/xlbd-<ns>.log); waits for its API. Stopped and cleaned up at teardown.
ha_xlbd_start() {
  ha_xlbd_launch "$@"
  ha_xlbd_wait_ready "$1"
}

# ha_xlbd_launch <ns> [xlbd args...]: ha_xlbd_start without the wait, so nodes start in parallel.
ha_xlbd_launch() {
  local ns=$1 pins state
  shift
  xlb_require_binaries
  xlb_mount_bpffs
  pins="$E2E_RUN_DIR/bpffs/$ns"
  state="$E2E_RUN_DIR/state-$ns"
  bg_run "$ns" "xlbd-$ns" "$XLBD" --api="$XLB_API" --state-dir="$state" --bpffs="$pins" "$@"
  HA_XLBD_PID[$ns]=$BG_PID
  e2e_defer ha_xlbd_cleanup "$ns" "$pins"
}

# ha_xlbd_wait_ready <ns> [seconds]: waits (10 s by default) for the API of the xlbd launched
# in <ns>.
ha_xlbd_wait_ready() {
  local ns=$1 limit=${2:-10}
  local deadline=$((SECONDS + limit))
  until nsx "$ns" curl -sf --max-time 1 "http://$XLB_API/healthz" >/dev/null 2>&1; do
    kill -0 "${HA_XLBD_PID[$ns]}" 2>/dev/null ||
      fail "xlbd in $ns exited during start-up" "$(ha_log_tail "xlbd-$ns")"
    ((SECONDS < deadline)) || fail "xlbd in $ns: API not ready after $limit s" "$(ha_log_tail "xlbd-$ns")"
    sleep 0.1
  done
}

# ha_pair_xlbd_start: xlbd on lb1 (--self=0) and lb2 (--self=1), each with the other as its
# --cluster peer and the shared key, and the same rules on both: nat (VIP:80 -> 8080), fnat
# (VIP:81, FullNAT, SNAT = the floating address) and dsr (VIP:8080, L2-DSR) to b1 and b2.
ha_pair_xlbd_start() {
  local key lb
  key=$(ha_key_file)
  ha_xlbd_start lb1 --interfaces=eth0,eth1 --cluster="$LB2_BACK_IP" --self=0 --cluster-key-file="$key"
  ha_xlbd_start lb2 --interfaces=eth0,eth1 --cluster="$LB1_BACK_IP" --self=1 --cluster-key-file="$key"
  for lb in lb1 lb2; do
    xlbctl_in "$lb" create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=nat >/dev/null
    xlbctl_in "$lb" create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullnat \
      --snat="$FLOATING_IP" --name=fnat >/dev/null
    xlbctl_in "$lb" create lb "$VIP" --tcp=8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=dsr \
      --name=dsr >/dev/null
  done
}

ha_xlbd_cleanup() {
  local ns=$1 pins=$2
  stop_pid "${HA_XLBD_PID[$ns]}" "$(ns_name "$ns")"
  nsx "$ns" "$XLBD" --cleanup --bpffs="$pins" >>"$E2E_RUN_DIR/logs/xlbd-$ns.log" 2>&1
}

ha_log_tail() { tail -n "${2:-30}" "$E2E_RUN_DIR/logs/$1.log" 2>/dev/null; }

# xlbctl_in <ns> <args...>: the CLI against the xlbd of <ns>.
xlbctl_in() {
  local ns=$1
  shift
  nsx "$ns" timeout 10 "$XLBCTL" "$@"
}

# ha_state <ns>: the HA state of instance default in <ns> ("MASTER", ...).
ha_state() {
  xlbctl_in "$1" get ha default -o json | python3 -c '
import json, sys
print(json.load(sys.stdin)["instances"][0]["state"])'
}

ha_state_is() { [[ $(ha_state "$1" 2>/dev/null) == "$2" ]]; }

# ha_peer_connected <ns>: the first peer's channel to <ns> is up.
ha_peer_connected() {
  [[ $(xlbctl_in "$1" get ha -o json | python3 -c '
import json, sys
print(json.load(sys.stdin)["peers"][0]["connected"])') == True ]]
}

# ha_keepalived_start <ns> <config-id>: keepalived in <ns> with contrib/keepalived as shipped,
# only its site parameters set for this topology, its scripts pointed at this run's xlbctl.
ha_keepalived_start() {
  local ns=$1 id=$2 dir="$E2E_RUN_DIR/keepalived-$1"
  mkdir -p "$dir/run"
  chmod 0755 "$dir"
  cp "$HA_CONTRIB"/keepalived.conf "$HA_CONTRIB"/xlb-*.sh "$dir/"
  sed -i -e "s|^\$XLB_SCRIPTS=.*|\$XLB_SCRIPTS=$dir|" "$dir/keepalived.conf"
  cat >"$dir/xlb-ha.env" <<ENV
XLBCTL=$XLBCTL
XLB_API=$XLB_API
XLB_HA_RUN_DIR=$dir/run
ENV
  bg_run "$ns" "keepalived-$ns" keepalived --dont-fork --log-console --log-detail --vrrp \
    --use-file="$dir/keepalived.conf" --config-id="$id" \
    --pid="$dir/keepalived.pid" --vrrp_pid="$dir/vrrp.pid"
}

# Printed when a scenario fails: both nodes' HA view, their logs and keepalived's.
ha_diagnose() {
  local ns
  for ns in "${!HA_XLBD_PID[@]}"; do
    {
      echo "--- $ns: xlbctl get ha -o wide"
      xlbctl_in "$ns" get ha -o wide 2>&1
      echo "--- $ns: xlbd log (last 20 lines)"
      ha_log_tail "xlbd-$ns" 20
      echo "--- $ns: keepalived log (last 20 lines)"
      ha_log_tail "keepalived-$ns" 20
    } | sed 's/^/      /' >&2
  done
}
E2E_ON_FAILURE+=(ha_diagnose)

# lb_rule_new_flows <ns>: new flows counted by every rule of the xlbd in <ns>.
lb_rule_new_flows() {
  xlbctl_in "$1" get lb -o json | python3 -c '
import json, sys
print(sum(r["counters"]["new_flows"] for r in json.load(sys.stdin)["loadbalancers"]))'
}
