// The fullproxy (xlb-proxy) series of /metrics: per rule requests, responses by status class,
// backend connections opened, a latency histogram; refusals before routing; the process.
#pragma once

#include <prometheus/registry.h>

#include <vector>

#include "proxy/stats.h"
#include "status/status.h"

namespace xlb::metrics {

void add_l7(prometheus::Registry& registry, const proxy::ProxyStatus& proxy,
            const std::vector<ServiceStatus>& rules);

}  // namespace xlb::metrics
