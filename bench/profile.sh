#!/usr/bin/env bash
# Where a packet's time goes in xlb's programs, line by line: datapath_bench (one part) under
# `perf record` (CPU-clock samples with call chains; these VMs expose no hardware counters), each
# sample in xlb's JIT'd code attributed to its source line through the programs' JIT line tables
# (datapath_bench --jit-lines, bench/lib/profile_lines.py). A line's share holds the kernel
# functions called from it (a helper, a map lookup). docs/benchmarks.md shows what it found.
#   bench/profile.sh [--only established|new_flows|connections] [--repeat N] [--top N]
# (--only and --repeat are datapath_bench's, which checks them.)
# Settings: BENCH_BUILD (build): where datapath_bench is; PROFILE_CPU (1): the CPU it runs on;
# PROFILE_OUT (a temporary directory, removed): keep perf.data, the tables and the bench output.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(realpath -m "${BENCH_BUILD:-$ROOT/build}")
cpu=${PROFILE_CPU:-1}
only=established repeat=300000 top=25
while (($#)); do
  case $1 in
    --only) only=${2:?--only needs a part}; shift 2 ;;
    --repeat) repeat=${2:?--repeat needs a number}; shift 2 ;;
    --top) top=${2:?--top needs a number}; shift 2 ;;
    *) echo "usage: bench/profile.sh [--only established|new_flows|connections] [--repeat N] [--top N]" >&2; exit 2 ;;
  esac
done
command -v perf > /dev/null || { echo "bench/profile.sh: perf is missing (Debian: linux-perf)" >&2; exit 1; }
[[ -x $BUILD/bench/datapath_bench ]] || { echo "bench/profile.sh: no $BUILD/bench/datapath_bench (build first)" >&2; exit 1; }

if [[ -n ${PROFILE_OUT:-} ]]; then
  out=$PROFILE_OUT
  mkdir -p "$out"
else
  out=$(mktemp -d /tmp/xlb-profile.XXXXXX)
  trap 'rm -rf "$out"' EXIT
fi
perf record -q -k boottime -e cpu-clock -F 4000 -g -o "$out/perf.data" -- \
  taskset -c "$cpu" "$BUILD/bench/datapath_bench" --repeat "$repeat" --only "$only" \
  --jit-lines "$out/jit_lines.tsv" > "$out/bench.txt"
perf script -i "$out/perf.data" -F time,ip,sym 2> /dev/null > "$out/samples.txt"
grep -v '^#' "$out/bench.txt" | awk -F'\t' '$1 == "dp" { printf "%-44s %-9s %8s ns net\n", $2, $3, $5 }'
python3 "$ROOT/bench/lib/profile_lines.py" --top "$top" "$out/jit_lines.tsv" "$out/samples.txt"
