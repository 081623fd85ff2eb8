// What this host's routing and neighbour tables say about the addresses a diagnosis involves,
// read over netlink (libnl-route-3). Honest about its limits: routes are matched in the main
// table only (no policy routing), and a missing neighbour entry just means no traffic yet.
#pragma once

#include <string>
#include <vector>

#include "diagnose/snapshot.h"

namespace xlb::diagnose {

// Connected subnets, a route for each of `route_to`, and the neighbour entry of each of
// `neighbours_of` that is on a connected subnet. On a netlink failure checked=false and error
// says why.
NetFacts gather_net_facts(std::vector<std::string> managed_interfaces,
                          const std::vector<std::string>& route_to,
                          const std::vector<std::string>& neighbours_of);

}  // namespace xlb::diagnose
