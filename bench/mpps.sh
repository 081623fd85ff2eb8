#!/usr/bin/env bash
# The Mpps benchmark: packets per second forwarded through the LB namespace, each system in
# alternating rounds, with 1 flow and with BENCH_MPPS_FLOWS flows (by source port).
#   bench/mpps.sh <results.tsv>   (bench/run.sh part "mpps"; settings from BENCH_* variables)
#
#   client ──eth0── lb ──eth1── [sw: lb-eth1 ─ br0 ─ b1, b2]
#   mpps_tool send   │  GRO on,    │  count_drop (XDP) on sw's lb-eth1: counts and drops the UDP
#   (AF_PACKET,      │  threaded   │  frames right past the LB, so neither the bridge nor the
#   CPU 0, TSO off)  │  NAPI on    │  backends add to a system's figure; ARP passes, so the
#                    │  CPU 1      │  LB still resolves its next hops
#
# A figure is the frames count_drop saw during the send, per second of sending, and per second
# of CPU time the LB's NAPI thread used (what one core forwards, whatever else shares it); each is checked
# against the system's own forwarded counter (kernel: Ip ForwDatagrams; xlb: fwd_new + fwd_est;
# the redirect-only program: its redirects) and the run stops if they differ by more than 0.5%.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib/bench.sh
source "$BENCH_DIR/lib/bench.sh"

results=$1
: "${BENCH_ROUNDS:?} ${BENCH_SECONDS:?} ${BENCH_MPPS_SYSTEMS:?} ${MPPS_TOOL:?}"
BENCH_MPPS_FLOWS=${BENCH_MPPS_FLOWS:-1024}
# The sender's CPU and the CPU of the LB's receive (threaded NAPI) work: different, so the
# figure is the LB's limit, not the sender's.
BENCH_MPPS_SEND_CPU=${BENCH_MPPS_SEND_CPU:-0}
BENCH_MPPS_NAPI_CPU=${BENCH_MPPS_NAPI_CPU:-$(($(nproc) - 1))}
MPPS_PORT=9000

# mpps_attach <ns> <pin-name> <mpps_tool attach args...>: an XDP program, pinned in this run's
# bpffs (removed at teardown).
mpps_attach() {
  local ns=$1 pin
  pin="$E2E_RUN_DIR/bpffs/mpps-$2"
  shift 2
  nsx "$ns" "$MPPS_TOOL" attach --pin "$pin" "$@"
  e2e_defer nsx "$ns" "$MPPS_TOOL" detach --pin "$pin"
}

mpps_count() { nsx "$1" "$MPPS_TOOL" count --pin "$E2E_RUN_DIR/bpffs/mpps-$2"; }

# napi_threads: PIDs of every threaded-NAPI kernel thread ("napi/<dev>-<id>") on the machine.
napi_threads() { pgrep '^napi/' | sort || true; }

# mpps_topology: the two-arm topology, tuned as the method says; sets MPPS_NAPI_PIDS.
mpps_topology() {
  topo_two_arm
  xlb_mount_bpffs
  nsx client ethtool -K eth0 tso off >/dev/null
  nsx lb ethtool -K eth0 gro on >/dev/null
  local before
  before=$(napi_threads)
  nsx lb sh -c 'echo 1 > /sys/class/net/eth0/threaded'
  MPPS_NAPI_PIDS=$(comm -13 <(echo "$before") <(napi_threads) | paste -sd' ')
  [[ -n $MPPS_NAPI_PIDS ]] || fail "no NAPI thread appeared for the LB's eth0 after threaded=1"
  local pid
  for pid in $MPPS_NAPI_PIDS; do taskset -pc "$BENCH_MPPS_NAPI_CPU" "$pid" >/dev/null; done
  log "LB eth0: GRO on, threaded NAPI (pid $MPPS_NAPI_PIDS) pinned to CPU $BENCH_MPPS_NAPI_CPU;" \
    "sender on CPU $BENCH_MPPS_SEND_CPU"
  mpps_attach sw count --dev lb-eth1 --prog count_drop
  # The neighbours every system needs, resolved before any figure is taken.
  nsx lb ping -c1 -W1 "$B1_IP" >/dev/null
  nsx lb ping -c1 -W1 "$B2_IP" >/dev/null
  nsx client ping -c1 -W1 "$LB_CLIENT_IP" >/dev/null
}

# The systems. Each *_up makes the LB forward UDP to $VIP:$MPPS_PORT to b1 or b2.
mpps_routing_up() { direct_up; }
mpps_routing_down() { direct_down; }

mpps_nftables_up() {
  nftables_up
  nsx lb nft add rule ip "$NFT_TABLE" prerouting ip daddr "$VIP" udp dport "$MPPS_PORT" \
    dnat to numgen inc mod 2 map "{ 0 : $B1_IP, 1 : $B2_IP }"
}
mpps_nftables_down() { nftables_down; }

mpps_xlb_tc_up() {
  rm -rf "$E2E_RUN_DIR/state"
  xlbd_start lb --interfaces=eth0,eth1 >/dev/null
  xlbctl create lb "$VIP" --udp="$MPPS_PORT" --endpoints="$B1_IP:1,$B2_IP:1" \
    --select=rr --name=mpps >/dev/null
}
mpps_xlb_tc_down() { xlb_down; }

# xlb's XDP fast path in front of its TC program (xlbd --attach=xdp). XDP redirects into eth1's
# peer, which has NAPI because count_drop is attached to it; the sender's frames carry complete
# checksums, so no TX-offload setting matters here. Its forwarded counter is fwd_new + fwd_est,
# as for xlb-tc: one set of counters whichever hook forwarded.
mpps_xlb_xdp_up() {
  rm -rf "$E2E_RUN_DIR/state"
  xlbd_start lb --interfaces=eth0,eth1 --attach=xdp >/dev/null
  nsx lb curl -sf "http://$XLB_API/api/v1/stats" | jq -e '[.attach.interfaces[] | select(.name == "eth0")][0].hook == "xdp"' >/dev/null ||
    fail "xlb-xdp: xlbd did not attach eth0 with XDP" "$(nsx lb curl -sf "http://$XLB_API/api/v1/stats" | jq -c .attach)"
  xlbctl create lb "$VIP" --udp="$MPPS_PORT" --endpoints="$B1_IP:1,$B2_IP:1" \
    --select=rr --name=mpps >/dev/null
}
mpps_xlb_xdp_down() {
  xlb_down
  if ip -n "$(ns_name lb)" link show dev eth0 | grep -q xdp; then
    fail "xlbd --cleanup left its XDP program on the LB's eth0"
  fi
}

mpps_xdp_redirect_up() {
  mpps_attach lb redirect --dev eth0 --prog redirect_only --to eth1 --to-mac "$(mac_of sw lb-eth1)"
}
mpps_xdp_redirect_down() {
  nsx lb "$MPPS_TOOL" detach --pin "$E2E_RUN_DIR/bpffs/mpps-redirect"
  if ip -n "$(ns_name lb)" link show dev eth0 | grep -q xdp; then
    fail "the redirect-only program is still attached to the LB's eth0"
  fi
}

# napi_cpu_ticks: CPU time (user + system clock ticks) the LB's NAPI threads have used so far.
napi_cpu_ticks() {
  local pid total=0
  for pid in $MPPS_NAPI_PIDS; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
  done
  echo "$total"
}

mpps_up() { "mpps_${1//-/_}_up"; }
mpps_down() { "mpps_${1//-/_}_down"; }

# forwarded <system>: the system's own count of packets it forwarded, so far.
forwarded() {
  case $1 in
    routing | nftables)
      nsx lb cat /proc/net/snmp | awk '$1 == "Ip:" && $2 !~ /^[0-9]/ {
        for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") col = i; next }
        $1 == "Ip:" { print $col }' ;;
    xlb-tc | xlb-xdp) nsx lb curl -sf "http://$XLB_API/api/v1/stats" |
      python3 -c 'import json, sys; d = json.load(sys.stdin)["datapath"]; print(d["fwd_new"] + d["fwd_est"])' ;;
    xdp-redirect) mpps_count lb redirect ;;
  esac
}

# measure_mpps <results> <round> <system>: the figures of one system with 1 and N flows.
measure_mpps() {
  local results=$1 round=$2 system=$3 flows pid got0 fwd0 got fwd out sent secs pushback ticks0 ticks
  for pid in $MPPS_NAPI_PIDS; do
    kill -0 "$pid" 2>/dev/null || fail "the LB's NAPI thread $pid is gone: its CPU pinning is lost"
  done
  for flows in 1 "$BENCH_MPPS_FLOWS"; do
    ticks0=$(napi_cpu_ticks)
    got0=$(mpps_count sw count)
    fwd0=$(forwarded "$system")
    out=$(nsx client taskset -c "$BENCH_MPPS_SEND_CPU" "$MPPS_TOOL" send --dev eth0 \
      --dst-mac "$(mac_of lb eth0)" --src "$CLIENT_IP" --dst "$VIP" --dport "$MPPS_PORT" \
      --flows "$flows" --seconds "$BENCH_SECONDS")
    read -r _ sent secs pushback <<<"$out"
    # Frames still in the veth rings when the sender stops land within moments.
    sleep 0.3
    got=$(($(mpps_count sw count) - got0))
    ticks=$(($(napi_cpu_ticks) - ticks0))
    fwd=$(($(forwarded "$system") - fwd0))
    ((got > 0)) || fail "$system, $flows flow(s): nothing arrived past the LB" "sent $sent"
    awk -v g="$got" -v f="$fwd" 'BEGIN { d = g - f; if (d < 0) d = -d; exit !(d <= f * 0.005) }' ||
      fail "$system, $flows flow(s): $got frames arrived but the system counted $fwd forwarded"
    log "$system, $flows flow(s): sent $sent, forwarded $fwd, arrived $got in $secs s;" \
      "the LB pushed back on $pushback of the sender's calls"
    record "$results" "$round" "$system" "mpps_${flows}" "$(awk -v g="$got" -v s="$secs" 'BEGIN { printf "%.4f", g / s / 1e6 }')"
    record "$results" "$round" "$system" "sent_mpps_${flows}" "$(awk -v n="$sent" -v s="$secs" 'BEGIN { printf "%.4f", n / s / 1e6 }')"
    record "$results" "$round" "$system" "pushback_${flows}" "$pushback"
    # Per second of the LB thread's own CPU time: on a shared machine the scheduler decides
    # how much of its CPU the thread gets; this figure does not depend on that.
    ((ticks > 0)) || fail "$system, $flows flow(s): the LB's NAPI thread used no CPU time"
    record "$results" "$round" "$system" "mpps_cpu_${flows}" "$(awk -v g="$got" -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.4f", g / (t / hz) / 1e6 }')"
    record "$results" "$round" "$system" "cpu_share_${flows}" "$(awk -v t="$ticks" -v s="$secs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz / s }')"
  done
}

bench_start "bench: mpps" nft ethtool taskset
step "topology: client | lb | sw (count_drop) | b1, b2; UDP to the VIP, port $MPPS_PORT"
mpps_topology
BENCH_CLEAN_STATE=$(bench_state)
: >"$results"
bench_rounds "mpps " "$BENCH_MPPS_SYSTEMS" mpps_up mpps_down no_pids measure_mpps "$results"
