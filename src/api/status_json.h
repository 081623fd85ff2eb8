// Status views: rule JSON (model/json.h) plus the datapath id and counters.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "reconcile/reconciler.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c);
// {"state","probe","period","retries","last_error","last_transition","min_ms","avg_ms","max_ms"}:
// last_transition RFC 3339 UTC (null before any), latencies null until a probe was answered.
nlohmann::json health_json(const EndpointHealth& h);
// Rule JSON + "id" + "counters", and "counters" (+ "health" when monitored) on each endpoint.
nlohmann::json status_json(const ServiceStatus& status);
// Every endpoint of every rule: {"endpoints":[{rule identity, endpoint fields, counters}]}.
nlohmann::json endpoints_json(const std::vector<ServiceStatus>& statuses);

}  // namespace xlb::api
