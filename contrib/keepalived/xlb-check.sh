#!/bin/sh
# keepalived track script for xlb: succeeds while xlbd answers and may become MASTER now; fails
# when it is dead, unreachable or not ready (a peer's resync still running), so keepalived puts
# this node in FAULT and does not elect it meanwhile.
# shellcheck source=contrib/keepalived/xlb-ha-common.sh
. "$(dirname "$0")/xlb-ha-common.sh"
xlb_ctl get ha "$XLB_HA_INSTANCE" --ready >/dev/null 2>&1
