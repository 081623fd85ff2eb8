// The policy route that makes fullproxy traffic local without the VIP being a host address:
// `ip rule add fwmark XLB_PROXY_MARK lookup XLB_PROXY_TABLE` and
// `ip route add local 0.0.0.0/0 dev lo table XLB_PROXY_TABLE`, and their IPv6 twins
// (`ip -6 rule ...`, `local ::/0`). Only packets the TC program
// marked (to a fullproxy VIP:port) take it; an ARP request for the VIP carries no mark, so the
// kernel never answers it (xlb's datapath does, or stays silent as an HA backup).
#pragma once

#include "common/result.h"

namespace xlb::daemon {

// Idempotent: an existing rule or route is kept.
Result<void> install_proxy_route();
// Best effort (xlbd --cleanup): absent entries are not an error.
void remove_proxy_route();

}  // namespace xlb::daemon
