// Gathers a diagnose Snapshot from the daemon's status (rules, health, flows, counters, the
// latest conntrack summary, managed interfaces) and netlink facts.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "diagnose/snapshot.h"
#include "status/source.h"

namespace xlb::diagnose {

struct Sources {
  const StatusSource& status;
  // Netlink facts for (managed interfaces, addresses to route, addresses whose neighbour entry
  // matters); replaced in tests.
  std::function<NetFacts(std::vector<std::string> managed, const std::vector<std::string>& route_to,
                         const std::vector<std::string>& neighbours_of)>
      net_facts;
  cluster::HaStatus ha{};  // HA states and peers, as the HA controller reports them
  // The veth peers of these interfaces (those on xdp); null: not gathered.
  std::function<std::vector<VethPeerFact>(const std::vector<std::string>& xdp_interfaces)>
      veth_peers{};
};

// One walk of conntrack (the VIP's flows only are folded; the summary too when the aging pass
// has not made one yet), one read of counters.
Result<Snapshot> collect(const Sources& sources, const Query& query, uint64_t now_ns);

// Query from API parameters: vip (IPv4), port (1-65535, optional), proto (tcp|udp, optional).
// Errors name the field and what is allowed.
Result<Query> parse_query(const std::string& vip, const std::string& port,
                          const std::string& proto);

}  // namespace xlb::diagnose
