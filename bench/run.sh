#!/usr/bin/env bash
# `make bench`: every benchmark xlb has, then one report. Settings (environment):
#   BENCH_ROUNDS=3 BENCH_SECONDS=5     alternating rounds of the system benchmark, seconds per figure
#   BENCH_SYSTEMS="direct nftables haproxy xlb-nat xlb-fullnat xlb-dsr direct6 xlb-nat6"
#                                      (direct is required; IPv6 rows are compared with direct6)
#   BENCH_L7_SYSTEMS="direct haproxy-http nginx-proxy xlb-fullproxy haproxy-https nginx-https xlb-https"
#   BENCH_MPPS_SYSTEMS="routing nftables xlb-tc xlb-xdp xdp-redirect"   (part mpps; routing is
#                                      required)
#   BENCH_MPPS_FLOWS=1024              the many-flows figure of part mpps (the other is 1 flow)
#   BENCH_PARTS="system l7 mpps datapath control health sync"   which benchmarks run
#   BENCH_BUILD=build                  build directory holding xlbd, xlbctl and the bench tools
#   BENCH_OUT=$BENCH_BUILD/bench       raw results, report.md, benchmarks.png
#   BENCH_UPDATE_DOCS=1                write the report into docs/benchmarks.md (+ .png)
# Figures are medians over rounds; ratios compare each system with `direct` in the same run.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ALL_SYSTEMS="direct nftables haproxy xlb-nat xlb-fullnat xlb-dsr direct6 xlb-nat6"
ALL_L7_SYSTEMS="direct haproxy-http nginx-proxy xlb-fullproxy haproxy-https nginx-https xlb-https"
# Ablations, run only when named in BENCH_L7_SYSTEMS.
L7_ABLATIONS="xlb-proxy-alone"
ALL_MPPS_SYSTEMS="routing nftables xlb-tc xlb-xdp xdp-redirect"
ALL_PARTS="system l7 mpps datapath control health sync"

export BENCH_ROUNDS=${BENCH_ROUNDS:-3}
export BENCH_SECONDS=${BENCH_SECONDS:-5}
export BENCH_SYSTEMS=${BENCH_SYSTEMS:-$ALL_SYSTEMS}
export BENCH_L7_SYSTEMS=${BENCH_L7_SYSTEMS:-$ALL_L7_SYSTEMS}
export BENCH_MPPS_SYSTEMS=${BENCH_MPPS_SYSTEMS:-routing nftables xlb-tc xlb-xdp xdp-redirect}
export BENCH_MPPS_FLOWS=${BENCH_MPPS_FLOWS:-1024}
BENCH_PARTS=${BENCH_PARTS:-$ALL_PARTS}
BENCH_BUILD=$(cd "$ROOT" && realpath -m "${BENCH_BUILD:-build}")
BENCH_OUT=$(realpath -m "${BENCH_OUT:-$BENCH_BUILD/bench}")
BENCH_UPDATE_DOCS=${BENCH_UPDATE_DOCS:-1}
export XLBD=${XLBD:-$BENCH_BUILD/src/daemon/xlbd}
export XLBCTL=${XLBCTL:-$BENCH_BUILD/src/cli/xlbctl}

die() {
  echo "bench: $*" >&2
  exit 2
}

# one_of <field> <value> <allowed...>
one_of() {
  local field=$1 value=$2 allowed
  shift 2
  for allowed in "$@"; do [[ $value == "$allowed" ]] && return 0; done
  die "$field: '$value' is not one of: $*"
}

validate() {
  local name item
  for name in BENCH_ROUNDS BENCH_SECONDS; do
    [[ ${!name} =~ ^[1-9][0-9]*$ ]] || die "$name must be a whole number >= 1, got '${!name}'"
  done
  # shellcheck disable=SC2086  # word lists
  for item in $BENCH_SYSTEMS; do one_of BENCH_SYSTEMS "$item" $ALL_SYSTEMS; done
  [[ " $BENCH_SYSTEMS " == *" direct "* ]] ||
    die "BENCH_SYSTEMS must include 'direct' (every ratio is relative to it), got '$BENCH_SYSTEMS'"
  # shellcheck disable=SC2086
  for item in $BENCH_L7_SYSTEMS; do one_of BENCH_L7_SYSTEMS "$item" $ALL_L7_SYSTEMS $L7_ABLATIONS; done
  # shellcheck disable=SC2086
  for item in $BENCH_MPPS_SYSTEMS; do one_of BENCH_MPPS_SYSTEMS "$item" $ALL_MPPS_SYSTEMS; done
  [[ " $BENCH_MPPS_SYSTEMS " == *" routing "* ]] ||
    die "BENCH_MPPS_SYSTEMS must include 'routing' (every Mpps ratio is relative to it), got '$BENCH_MPPS_SYSTEMS'"
  [[ $BENCH_MPPS_FLOWS =~ ^[1-9][0-9]{0,3}$|^[1-4][0-9]{4}$|^50000$ ]] ||
    die "BENCH_MPPS_FLOWS must be a whole number from 1 to 50000, got '$BENCH_MPPS_FLOWS'"
  # shellcheck disable=SC2086
  for item in $BENCH_PARTS; do one_of BENCH_PARTS "$item" $ALL_PARTS; done
  [[ $BENCH_UPDATE_DOCS == [01] ]] || die "BENCH_UPDATE_DOCS must be 0 or 1, got '$BENCH_UPDATE_DOCS'"
  [[ $(id -u) == 0 ]] || die "run as root (network namespaces, eBPF)"
}

# tool <name>: path of a bench executable in the build directory.
tool() {
  local path="$BENCH_BUILD/bench/$1"
  [[ -x $path ]] || die "missing $path: build it first (make bench, or cmake --build $BENCH_BUILD --target $1)"
  echo "$path"
}

run_part() {
  local part=$1
  echo "== bench: $part ($(date -u +%T) UTC)"
  case $part in
    system) bash "$BENCH_DIR/system.sh" "$BENCH_OUT/system.tsv" ;;
    l7) bash "$BENCH_DIR/l7.sh" "$BENCH_OUT/l7.tsv" ;;
    mpps) MPPS_TOOL=$(tool mpps_tool) bash "$BENCH_DIR/mpps.sh" "$BENCH_OUT/mpps.tsv" ;;
    datapath) "$(tool datapath_bench)" | tee "$BENCH_OUT/datapath.txt" ;;
    control) bash "$BENCH_DIR/control_plane.sh" "$(tool ct_fill)" | tee "$BENCH_OUT/control.txt" ;;
    health) "$(tool health_probe_cost)" --targets 2000 --seconds 10 --period 1 |
      tee "$BENCH_OUT/health.txt" ;;
    sync) "$(tool ct_sync_bench)" --rate 10000 --seconds "$BENCH_SECONDS" --dump 100000 2>/dev/null |
      tee "$BENCH_OUT/sync.txt" ;;
  esac
}

validate
mkdir -p "$BENCH_OUT"
rm -f "$BENCH_OUT"/{system.tsv,l7.tsv,mpps.tsv,datapath.txt,control.txt,health.txt,sync.txt}
{
  echo "date: $(date -u '+%F %T') UTC"
  echo "host: $(nproc) CPUs, $(uname -r), load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "settings: BENCH_ROUNDS=$BENCH_ROUNDS BENCH_SECONDS=$BENCH_SECONDS wrk -t${BENCH_WRK_THREADS:-1} -c${BENCH_WRK_CONNS:-50}"
} >"$BENCH_OUT/run.txt"
for part in $BENCH_PARTS; do run_part "$part"; done

docs=()
if ((BENCH_UPDATE_DOCS)); then docs=(--doc "$ROOT/docs/benchmarks.md"); fi
python3 "$BENCH_DIR/lib/report.py" --results "$BENCH_OUT" "${docs[@]}"
if [[ -s $BENCH_OUT/ratios.dat ]]; then
  gnuplot -e "data='$BENCH_OUT/ratios.dat'; out='$BENCH_OUT/benchmarks.png'" "$BENCH_DIR/lib/ratios.gp"
  if ((BENCH_UPDATE_DOCS)); then cp "$BENCH_OUT/benchmarks.png" "$ROOT/docs/benchmarks.png"; fi
fi
cat "$BENCH_OUT/report.md"
echo "bench: results in $BENCH_OUT"
