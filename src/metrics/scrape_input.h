// What one /metrics scrape reads from the daemon: rule and endpoint status (counters, active
// flows, health), the datapath verdict counters and the latest conntrack summary. Gathered by
// the API route; rendered by metrics::render().
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "cluster/ha_status.h"
#include "conntrack/summary.h"
#include "proxy/stats.h"
#include "status/source.h"
#include "status/status.h"
#include "status/store_status.h"

namespace xlb::metrics {

struct ScrapeInput {
  std::vector<ServiceStatus> rules;
  std::vector<uint64_t> verdicts;        // indexed by xlb_dp_stat; empty when unreadable
  std::optional<CtSummary> conntrack;    // nullopt before the first aging pass
  uint32_t ct_capacity = 0;              // used when `conntrack` is nullopt
  uint32_t ct_syn_capacity = 0;          // likewise, the syn map's
  uint64_t control_plane_errors = 0;     // error-level log events since start
  cluster::HaStatus ha;                  // HA states and the --cluster peers
  std::optional<proxy::ProxyStatus> l7;  // xlb-proxy, when xlbd supervises one
  std::optional<StoreStatus> store;      // where the configuration lives; nullopt: not reported
  AttachStatus attach;                   // xlbd --attach and each interface's hook
};

}  // namespace xlb::metrics
