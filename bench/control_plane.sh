#!/usr/bin/env bash
# Control-plane benchmark: xlbd alone in a namespace. Times 10,000 rules x 8 endpoints created
# through the REST API — one `xlbctl apply` of a generated configuration (recorded as refused
# when the API will not take a body that large), then one POST per rule for the first
# BENCH_CP_POSTS (all 10,000) of them over a kept-alive curl connection — xlbd's memory, and listing
# 1,000,000 conntrack flows written straight into the pinned map by ct_fill.
#   bench/control_plane.sh <ct_fill binary>     (bench/run.sh calls it)
# Output: "cp\t<figure>\t<value>\t<unit>" lines.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/e2e/lib/e2e.sh
source "$BENCH_DIR/../tests/e2e/lib/e2e.sh"

CT_FILL=$1
RULES=${BENCH_CP_RULES:-10000}
ENDPOINTS=8
POSTS=${BENCH_CP_POSTS:-$RULES}
FLOWS=${BENCH_CP_FLOWS:-1000000}
URL="http://$XLB_API/api/v1"

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
figure() { printf 'cp\t%s\t%s\t%s\n' "$1" "$2" "$3"; }
# The CLI without the e2e helper's 10 s limit: big applies and listings take longer.
xlbctl_slow() { nsx cp timeout 300 "$XLBCTL" "$@"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$XLBD_PID/status"; }

# rules_json <dir>: writes config.json ({"services": [...]}), and rule-<i>.json (one rule each)
# with posts.curl (a curl config POSTing them) for the first $POSTS rules.
rules_json() {
  python3 - "$1" "$RULES" "$ENDPOINTS" "$POSTS" "$URL/loadbalancers" <<'PY'
import json, sys
out, rules, eps, posts, url = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
services = []
for i in range(rules):
    services.append({
        "vip": f"20.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}", "protocol": "tcp", "port": 80,
        "name": f"r{i}",
        "endpoints": [{"ip": f"10.3.{(i + j) % 250}.{j + 1}", "port": 8080, "weight": 1}
                      for j in range(eps)]})
json.dump({"services": services}, open(f"{out}/config.json", "w"))
with open(f"{out}/posts.curl", "w") as k:
    for i, s in enumerate(services[:posts]):
        json.dump(s, open(f"{out}/rule-{i}.json", "w"))
        if i:
            k.write("next\n")
        # `next` resets every option: each request states them all.
        k.write(f'url = "{url}"\ndata = "@{out}/rule-{i}.json"\n'
                'header = "Content-Type: application/json"\n'
                'output = "/dev/null"\nwrite-out = "%{http_code} %{time_total}\\n"\n')
PY
}

# post_all <dir>: one POST per rule on a kept-alive connection; "<status> <seconds>" per POST
# in <dir>/posts.out.
post_all() {
  nsx cp curl -sS -K "$1/posts.curl" >"$1/posts.out" 2>&1 || true
}

# post_ms <dir> <first line> <last line>: mean time of those POSTs, in ms.
post_ms() {
  awk -v a="$2" -v b="$3" 'NR >= a && NR <= b { t += $2; n++ } END { printf "%.1f", 1000 * t / n }' \
    "$1/posts.out"
}

rule_count() {
  nsx cp curl -sS --fail "$URL/loadbalancers" | python3 -c '
import json, sys
print(len(json.load(sys.stdin)["loadbalancers"]))'
}

# xlbd's state dir on tmpfs: every POST is a durable write (two fsyncs) of the whole
# configuration, and on a shared VM disk those take ~0.1 s each, swamping xlb's own work.
export TMPDIR=/dev/shm
e2e_init "bench: control plane" "${BENCH_BUDGET:-0}"
ns_create cp peer
veth_pair cp eth0 peer eth0
# 2 conntrack entries per flow, with room; rule ids up to 16384.
xlbd_start cp --interfaces=eth0 --max-services=16384 --ct-size=$((FLOWS * 4)) >&2
dir="$E2E_RUN_DIR/rules"
mkdir -p "$dir"
rules_json "$dir"
figure "xlbd memory, no rules (VmRSS)" "$(rss_mib)" MiB
echo '{"services": []}' >"$dir/empty.json"

figure "configuration of $RULES rules x $ENDPOINTS endpoints" \
  "$(($(stat -c %s "$dir/config.json") / 1024))" KiB
t=$(now)
if out=$(xlbctl_slow apply -f "$dir/config.json" 2>&1); then
  figure "$RULES rules x $ENDPOINTS endpoints, one xlbctl apply" "$(elapsed "$t")" s
  assert_eq "$RULES" "$(rule_count)" "rules after xlbctl apply"
  figure "xlbd memory, $RULES rules (VmRSS)" "$(rss_mib)" MiB
  xlbctl_slow apply -f "$dir/empty.json" >&2
  assert_eq 0 "$(rule_count)" "rules after applying an empty configuration"
else
  figure "$RULES rules x $ENDPOINTS endpoints, one xlbctl apply" "refused: ${out//$'\n'/ }" ""
fi

t=$(now)
post_all "$dir"
figure "$POSTS rules x $ENDPOINTS endpoints, one POST each (curl, keep-alive)" "$(elapsed "$t")" s
assert_eq "$POSTS" "$(grep -c '^2' "$dir/posts.out" || true)" "POSTs answered 2xx"
tail=$((POSTS > 100 ? POSTS - 99 : 1))
figure "one POST, mean of the first 100" "$(post_ms "$dir" 1 100)" ms
figure "one POST, mean of the last 100" "$(post_ms "$dir" "$tail" "$POSTS")" ms
assert_eq "$POSTS" "$(rule_count)" "rules after the POSTs"
figure "xlbd memory, $POSTS rules (VmRSS)" "$(rss_mib)" MiB

pin=$(compgen -G "$(xlb_pin_dir)/xlb_ct_v*" | head -1) || fail "no pinned conntrack map in $(xlb_pin_dir)"
nsx cp "$CT_FILL" "$pin" "$FLOWS" 20.0.0.1 80 10.3.0.1 8080 1 >&2
figure "xlbd memory, $POSTS rules + $FLOWS flows (VmRSS)" "$(rss_mib)" MiB
t=$(now)
nsx cp curl -sS --fail -o "$dir/ct.json" "$URL/conntrack"
figure "GET /api/v1/conntrack, $FLOWS flows" "$(elapsed "$t")" s
assert_contains "$(tail -c 40 "$dir/ct.json")" "\"count\":$FLOWS}" "flow count in GET /api/v1/conntrack"
figure "GET /api/v1/conntrack response" "$(($(stat -c %s "$dir/ct.json") / 1048576))" MiB
rm -f "$dir/ct.json"
t=$(now)
if out=$(xlbctl_slow get ct -o json 2>&1 >/dev/null); then
  figure "xlbctl get ct -o json, $FLOWS flows" "$(elapsed "$t")" s
else
  figure "xlbctl get ct -o json, $FLOWS flows" "failed after $(elapsed "$t") s: ${out//$'\n'/ }" ""
fi
figure "xlbd peak memory (VmHWM)" "$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$XLBD_PID/status")" MiB
