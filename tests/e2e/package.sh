#!/usr/bin/env bash
# Package: the .deb installed on this machine with apt (the build tree out of PATH); the demo's
# rule served by the installed xlbd started as xlbd.service starts it (the unit's options file,
# exactly its capability bounding set, no new privileges; READY=1 on $NOTIFY_SOCKET once the API
# answers; journal priorities on stderr); one clear line when a capability is missing; the
# upgrade (v2 installed while a download runs, xlbd restarted as the unit would) completes the
# download intact; removing the package detaches the datapath (prerm). Whatever was installed
# is purged at the end, pass or fail.
set -euo pipefail
# shellcheck source=tests/e2e/lib/e2e.sh
source "$(dirname "$0")/lib/e2e.sh"
# shellcheck source=tests/e2e/lib/l7.sh
source "$(dirname "$0")/lib/l7.sh"
# shellcheck source=tests/packaging/deb.sh
source "$(dirname "$0")/../packaging/deb.sh"
e2e_init "e2e package" 110

BUILD=${XLB_BUILD_DIR:?set XLB_BUILD_DIR to the build tree (ctest does)}
for tool in cpack apt-get dpkg-deb setpriv; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool" >&2 && exit 77; }
done
if deb_is_installed xlb; then
  echo "SKIP: an xlb package is installed on this machine; this test installs and purges its own" >&2
  exit 77
fi
UNIT=/usr/lib/systemd/system/xlbd.service
# The build tree out of PATH: only what the package installed (and the system's tools) runs.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
XLBD=/usr/sbin/xlbd
XLBCTL=/usr/bin/xlbctl

step "build the package (v1), and v2: the same files and map versions, a later version"
v1=$(deb_version "$BUILD")
v2="$v1+upgrade1"
deb1=$(deb_build "$BUILD" "$E2E_RUN_DIR/deb1")
deb2=$(deb_with_version "$deb1" "$v2" "$E2E_RUN_DIR/deb2")
log "built ${deb1##*/} and ${deb2##*/}"

topo_two_arm
start_http_backend b1 b1 8080
start_http_backend b2 b2 8080
xlb_mount_bpffs
# Purged before the namespaces go (cleanups run last-registered first), from inside the LB's
# namespace with the options file naming this run's pins: prerm's `xlbd --cleanup` touches
# only what this test attached.
package_purge() {
  deb_is_installed xlb || return 0
  [[ -f /etc/default/xlbd ]] && write_options_file
  nsx lb apt-get purge -y -qq xlb || dpkg --purge xlb
}
e2e_defer package_purge
write_options_file() {
  echo "XLBD_OPTS=\"--api=$XLB_API --state-dir=$E2E_RUN_DIR/state --bpffs=$(xlb_pin_dir)\"" \
    >/etc/default/xlbd
}

step "apt install ./${deb1##*/}"
(cd "$(dirname "$deb1")" && apt-get install -y -qq --no-install-recommends "./${deb1##*/}") \
  >"$E2E_RUN_DIR/logs/apt.log" 2>&1 || fail "apt install of v1 failed" "$(tail -20 "$E2E_RUN_DIR/logs/apt.log")"
assert_eq "$v1" "$(deb_installed_version xlb)" "installed version"
for f in "$XLBD" "$XLBCTL" /usr/sbin/xlb-decap /usr/lib/xlb/xlb_tc.bpf.o "$UNIT" /etc/default/xlbd; do
  assert_ok "the package installed $f" test -e "$f"
done
assert_eq "$XLBD" "$(type -P xlbd)" "xlbd on PATH"
write_options_file
# As installed: the commands exist, the man pages named by Documentation= resolve (unless
# this system's dpkg excludes man pages: then those are not checked).
man_check=yes
[[ -e /usr/share/man/man8/xlbd.8.gz ]] || man_check=no
verify=$(systemd-analyze verify --man="$man_check" "$UNIT" 2>&1) || fail "systemd-analyze verify $UNIT" "$verify"
assert_eq "" "$verify" "systemd-analyze verify $UNIT"

# The unit's ExecStart, options file, capability bounding set and NoNewPrivileges, read from
# the installed unit, so this runs what systemd would.
unit_value() { sed -n "s/^$1=//p" "$UNIT"; }
UNIT_CAPS=$(unit_value CapabilityBoundingSet)
assert_eq "yes" "$(unit_value NoNewPrivileges)" "NoNewPrivileges in the unit"
# shellcheck disable=SC2016  # the unit's text, where systemd expands $XLBD_OPTS
assert_eq '/usr/sbin/xlbd $XLBD_OPTS' "$(unit_value ExecStart)" "ExecStart in the unit"

# unit_start: xlbd as the unit runs it (a root process whose bounding set is the
# unit's), in the LB namespace; READY=1 and STOPPING=1 go to a datagram socket in the run dir.
# Each start has its own socket, and its messages in $NOTIFY_LOG.
UNIT_STARTS=0
unit_start() {
  local opts notify="$E2E_RUN_DIR/notify$((++UNIT_STARTS)).sock"
  # shellcheck disable=SC1091
  opts=$(. /etc/default/xlbd && echo "$XLBD_OPTS")
  NOTIFY_LOG="$E2E_RUN_DIR/logs/notify$UNIT_STARTS.log"
  bg_run lb "notify$UNIT_STARTS" socat -u "UNIX-RECVFROM:$notify,fork" STDOUT
  wait_until 2 test -S "$notify" || fail "notify socket not created"
  echo "--- xlbd start (unit) $(date +%T.%N)" >>"$E2E_RUN_DIR/logs/xlbd.log"
  # The log file is stderr: $JOURNAL_STREAM naming it makes xlbd write journal priorities.
  local stream
  stream=$(stat -c '%d:%i' "$E2E_RUN_DIR/logs/xlbd.log")
  XLB_NS=lb
  as_unit_argv "$UNIT_CAPS"
  # shellcheck disable=SC2086  # $opts is split into words, as systemd splits $XLBD_OPTS
  bg_run lb xlbd env NOTIFY_SOCKET="$notify" JOURNAL_STREAM="$stream" "${AS_UNIT[@]}" "$XLBD" $opts
  XLBD_PID=$BG_PID
}

step "the unit's capabilities, less one, are refused with one line naming it"
for missing in $UNIT_CAPS; do
  status=0
  as_unit_argv "${UNIT_CAPS/$missing/}"
  out=$(nsx lb "${AS_UNIT[@]}" "$XLBD" --state-dir="$E2E_RUN_DIR/state" --bpffs="$(xlb_pin_dir)" 2>&1) || status=$?
  log "without $missing: exit $status: $out"
  assert_eq 1 "$status" "exit status of xlbd without $missing"
  assert_eq 1 "$(wc -l <<<"$out")" "lines xlbd printed without $missing"
  assert_contains "$out" "missing capability $missing" "xlbd's message without $missing"
done
assert_eq "" "$(ls -A "$(xlb_pin_dir)" 2>/dev/null)" "pins left by the refused starts"

step "start the installed xlbd as the unit does: READY=1 when its API answers"
unit_start
wait_until 10 grep -q READY=1 "$NOTIFY_LOG" ||
  fail "no READY=1 from xlbd" "$(xlbd_log_tail)"
assert_ok "the API answers as soon as READY=1 is sent" xlb_api_ready
assert_contains "$(cat "$NOTIFY_LOG")" "STATUS=serving the API on $XLB_API" "STATUS"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$XLBD_PID/status")
log "xlbd's effective capabilities: $(capsh --decode="$caps" 2>/dev/null || echo "$caps")"
assert_contains "$(head -5 "$E2E_RUN_DIR/logs/xlbd.log")" "<6>info " "journal priority of an info line"

step "the demo's rule with the installed xlbctl"
assert_eq "$XLBCTL" "$(type -P xlbctl)" "xlbctl on PATH"
xlbctl create lb "$VIP" --tcp=80:8080 --endpoints="$B1_IP:1,$B2_IP:1" --name=web
answers=$(http_get_n client "http://$VIP/" 4)
assert_eq 2 "$(count_lines "$answers" b1)" "answers from b1 of 4 (round robin)"
assert_eq 2 "$(count_lines "$answers" b2)" "answers from b2 of 4 (round robin)"

step "a fullproxy rule: the installed xlbd starts the installed xlb-proxy, with the unit's set"
xlbctl create lb "$VIP" --tcp=81:8080 --endpoints="$B1_IP:1,$B2_IP:1" --mode=fullproxy --name=web-l7
wait_until 10 vip_answers "$VIP" 81 || fail "no answer from http://$VIP:81/" "$(xlbd_log_tail)"
assert_eq /usr/sbin/xlb-proxy "$(readlink "/proc/$(proxy_pid)/exe")" "xlb-proxy started by xlbd"
assert_one_of "$(http_get client "http://$VIP:81/")" "the answer through xlb-proxy" b1 b2

step "upgrade to $v2 while a download runs; restart xlbd as the unit would"
big=$(e2e_file big 24)
out="$E2E_RUN_DIR/download.bin"
held_download_start client "http://$VIP/files/big" "$out"
wait_until 5 file_larger_than "$out" $((256 * 1024)) || fail "download did not start"
sport=$(tcp_client_port client "$VIP" 80)
(cd "$(dirname "$deb2")" && apt-get install -y -qq --no-install-recommends "./${deb2##*/}") \
  >>"$E2E_RUN_DIR/logs/apt.log" 2>&1 || fail "apt install of v2 failed" "$(tail -20 "$E2E_RUN_DIR/logs/apt.log")"
assert_eq "$v2" "$(deb_installed_version xlb)" "installed version after the upgrade"
assert_ok "the old xlbd still runs after the upgrade (postinst restarts it only under systemd)" \
  kill -0 "$XLBD_PID"
# systemctl restart: SIGTERM to the main process (KillMode=mixed), then ExecStart again.
xlbd_stop
assert_contains "$(cat "$NOTIFY_LOG")" "STOPPING=1" "STOPPING=1 on SIGTERM"
unit_start
wait_until 10 grep -q READY=1 "$NOTIFY_LOG" ||
  fail "no READY=1 from the upgraded xlbd" "$(xlbd_log_tail)"
assert_ok "flow $CLIENT_IP:$sport -> $VIP:80 still est after the upgrade" \
  ct_has_state "$CLIENT_IP" "$VIP" 80 "$sport" est
status=0
held_download_finish || status=$?
assert_eq 0 "$status" "download exit status (log: $(cat "$E2E_RUN_DIR/logs/download.log"))"
assert_eq "$(sha256sum <"$big")" "$(sha256sum <"$out")" "sha256 of the download across the upgrade"

step "apt remove: prerm stops nothing here (no systemd) but detaches the datapath"
xlbd_stop
nsx lb apt-get remove -y -qq xlb >>"$E2E_RUN_DIR/logs/apt.log" 2>&1 ||
  fail "apt remove failed" "$(tail -20 "$E2E_RUN_DIR/logs/apt.log")"
assert_fails "xlbd is gone" test -e "$XLBD"
assert_ok "the options file (a conffile) stays until purge" test -e /etc/default/xlbd
for dev in eth0 eth1; do
  assert_eq "" "$(nsx lb tc filter show dev "$dev" ingress 2>&1)" "TC ingress filters left on lb/$dev"
done
assert_eq "" "$(ls -A "$(xlb_pin_dir)" 2>/dev/null)" "pins left in $(xlb_pin_dir)"
XLB_NS="" # nothing left for the lib's teardown to detach (and no xlbd to do it with)
dpkg --purge xlb >>"$E2E_RUN_DIR/logs/apt.log" 2>&1
assert_fails "purge removed /etc/default/xlbd" test -e /etc/default/xlbd
