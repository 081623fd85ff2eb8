#!/bin/sh
# keepalived notify script for xlb: tells xlbd the state keepalived decided, with
# `xlbctl set ha`. keepalived calls it as: xlb-notify.sh INSTANCE|GROUP <name> <state> <prio>.
#
# MASTER, BACKUP and FAULT are passed on; STOP (keepalived shutting down) becomes FAULT, so a
# node whose keepalived is gone stops answering ARP for the VIPs. xlbd may refuse MASTER for a
# moment (409: a peer's resync still running) or be restarting: the call is retried for up to
# 10 s, unless keepalived has decided another state meanwhile (the newest decision wins).
# shellcheck source=contrib/keepalived/xlb-ha-common.sh
. "$(dirname "$0")/xlb-ha-common.sh"

case "${3:-}" in
  MASTER | BACKUP | FAULT) state=$3 ;;
  STOP) state=FAULT ;;
  *) exit 0 ;;
esac

mkdir -p "$XLB_HA_RUN_DIR"
latest="$XLB_HA_RUN_DIR/keepalived-$XLB_HA_INSTANCE.state"
decision="$state $$"
echo "$decision" >"$latest"

log() { logger -t xlb-notify "$*" 2>/dev/null || echo "xlb-notify: $*" >&2; }

tries=0
while :; do
  if out=$(xlb_ctl set ha "$XLB_HA_INSTANCE" --state="$state" 2>&1); then
    log "$XLB_HA_INSTANCE: $state"
    exit 0
  fi
  tries=$((tries + 1))
  if [ "$(cat "$latest" 2>/dev/null)" != "$decision" ]; then
    log "$XLB_HA_INSTANCE: $state superseded by a newer decision ($out)"
    exit 0
  fi
  if [ "$tries" -ge 50 ]; then
    log "$XLB_HA_INSTANCE: $state not applied after 10 s: $out"
    exit 1
  fi
  sleep 0.2
done
