#!/usr/bin/env bash
# The Debian package as `make package` builds it: its files (binaries, BPF objects, unit,
# options file, man pages, completions, docs, keepalived example), its control fields, lintian
# without an error or a warning (each override explained in packaging/debian/lintian-overrides),
# the unit's exposure score from `systemd-analyze security --offline=true` no worse than the one
# docs/packaging.md records, and packaging/map-versions naming exactly the pinned maps of
# include/xlb/abi/maps.h (a new map version must be announced in the changelog).
# usage: check_deb.sh <build-dir> <source-dir>
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
# shellcheck source=tests/packaging/deb.sh
source "$SRC/tests/packaging/deb.sh"
# The exposure docs/packaging.md records; a change to the unit that raises it fails here.
MAX_EXPOSURE=2.3

for tool in cpack dpkg-deb lintian systemd-analyze; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (scripts/install-deps.sh)" >&2 && exit 77; }
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xlb-deb-check-XXXX")
trap 'rm -rf "$WORK"' EXIT
failures=0
bad() { echo "FAIL: $*" >&2 && failures=$((failures + 1)); }

echo "== map versions: packaging/map-versions against include/xlb/abi/maps.h"
pinned=$(sed -n 's/^#define XLB_MAP_[A-Z_]*_ID \(xlb_[a-z0-9_]*\).*/\1/p' "$SRC/include/xlb/abi/maps.h" | sort)
released=$(grep -v '^#' "$SRC/packaging/map-versions" | sed '/^$/d' | sort)
[[ -n $pinned ]] || bad "no XLB_MAP_*_ID found in maps.h"
if [[ $pinned != "$released" ]]; then
  bad "the pinned maps changed: $(diff <(echo "$released") <(echo "$pinned") | grep '^[<>]' | tr '\n' ' ')" \
    "- a new map version starts empty after an upgrade (a new conntrack map drops every flow's" \
    "state): say so in packaging/debian/changelog, then update packaging/map-versions"
fi

echo "== build the package"
deb=$(deb_build "$BUILD" "$WORK/out")
echo "$deb"
dpkg-deb -x "$deb" "$WORK/root"
for f in usr/sbin/xlbd usr/bin/xlbctl usr/sbin/xlb-decap usr/sbin/xlb-proxy \
  usr/lib/xlb/xlb_tc.bpf.o usr/lib/xlb/xlb_xdp.bpf.o usr/lib/xlb/xlb_decap.bpf.o \
  usr/lib/xlb/xlb_steer.bpf.o usr/lib/xlb/xlb_xdp_pass.bpf.o \
  usr/share/man/man8/xlb-proxy.8.gz usr/lib/systemd/system/xlbd.service etc/default/xlbd \
  usr/share/man/man8/xlbd.8.gz usr/share/man/man8/xlbctl.8.gz usr/share/man/man8/xlb-decap.8.gz \
  usr/share/bash-completion/completions/xlbctl usr/share/doc/xlb/README.md \
  usr/share/doc/xlb/docs/packaging.md usr/share/doc/xlb/copyright usr/share/doc/xlb/changelog.gz \
  usr/share/xlb/keepalived/keepalived.conf usr/share/xlb/keepalived/xlb-notify.sh; do
  [[ -e $WORK/root/$f ]] || bad "the package lacks /$f"
done
[[ -x $WORK/root/usr/share/xlb/keepalived/xlb-notify.sh ]] || bad "xlb-notify.sh is not executable"
if [[ -e $WORK/root/usr/lib/xlb/parse_only.bpf.o ]]; then bad "a benchmark's BPF object is packaged"; fi
recommends=$(dpkg-deb -f "$deb" Recommends)
[[ $recommends == *keepalived* && $recommends == *gobgpd* ]] || bad "Recommends: '$recommends'"
depends=$(dpkg-deb -f "$deb" Depends)
[[ $depends == *libbpf1* && $depends == *libsystemd0* ]] || bad "Depends: '$depends'"
[[ $(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles) == /etc/default/xlbd ]] ||
  bad "/etc/default/xlbd is not the conffile"

echo "== lintian (errors and warnings fail; informational tags listed)"
lintian_out=$(lintian --info --display-info --fail-on error,warning "$deb" 2>&1) || bad "lintian: $lintian_out"
echo "$lintian_out" | grep -v '^N:\|root privileges' || true

echo "== systemd-analyze security --offline=true (exposure at most $MAX_EXPOSURE)"
security=$(systemd-analyze security --offline=true --no-pager \
  "$WORK/root/usr/lib/systemd/system/xlbd.service" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for xlbd.service: \([0-9.]*\).*/\1/p' <<<"$security")
echo "exposure: ${score:-none}"
if [[ -z $score ]]; then
  bad "no exposure score: $security"
elif awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
  bad "the unit's exposure is $score, above $MAX_EXPOSURE: $(grep '✗' <<<"$security")"
fi

((failures == 0)) || exit 1
echo "package checks passed"
