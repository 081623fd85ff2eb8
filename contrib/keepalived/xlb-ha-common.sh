# shellcheck shell=sh
# Settings and the xlbctl call shared by xlb-notify.sh and xlb-check.sh: defaults, overridden by
# xlb-ha.env beside the scripts (see xlb-ha.env.example).
xlb_here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=/dev/null
[ -r "$xlb_here/xlb-ha.env" ] && . "$xlb_here/xlb-ha.env"
XLBCTL=${XLBCTL:-xlbctl}
XLB_API=${XLB_API:-127.0.0.1:11111}
XLB_API_TOKEN_FILE=${XLB_API_TOKEN_FILE:-/etc/xlb/api.token}
XLB_HA_INSTANCE=${XLB_HA_INSTANCE:-default}
XLB_HA_RUN_DIR=${XLB_HA_RUN_DIR:-/run/xlb}

# xlb_ctl <xlbctl args...>: xlbctl against this node's xlbd, with its token when it has one.
xlb_ctl() {
  if [ -r "$XLB_API_TOKEN_FILE" ]; then
    "$XLBCTL" --apiserver="${XLB_API%:*}" --port="${XLB_API##*:}" \
      --token-file="$XLB_API_TOKEN_FILE" "$@"
  else
    "$XLBCTL" --apiserver="${XLB_API%:*}" --port="${XLB_API##*:}" "$@"
  fi
}
