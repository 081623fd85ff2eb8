// Status views: rule JSON (model/json.h) plus the datapath id and counters.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <vector>

#include "status/source.h"
#include "status/status.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c);
// "2026-11-26T07:36:37.847Z" (UTC, milliseconds, so a detection time can be measured from it);
// null for the zero time point ("never").
nlohmann::json rfc3339(std::chrono::system_clock::time_point t);
// {"state","probe","name","period","retries","last_error","last_transition","min_ms","avg_ms",
// "max_ms"}:
// last_transition RFC 3339 UTC with milliseconds (null before any), latencies null until a
// probe was answered.
nlohmann::json health_json(const EndpointHealth& h);
// Rule JSON + "id" + "counters", and "counters" (+ "health" when monitored) on each endpoint.
nlohmann::json status_json(const ServiceStatus& status);
// A host's own probe: its config JSON + "listed" (some rule lists the host) + "health" (while
// no rule lists it).
nlohmann::json probe_status_json(const ProbeStatus& probe);
// Every endpoint of every rule and every host probe:
// {"endpoints":[{rule identity, endpoint fields, counters, health}], "probes":[...]}.
nlohmann::json endpoints_json(const std::vector<ServiceStatus>& statuses,
                              const std::vector<ProbeStatus>& probes);

// {"requested": "tc|xdp|auto", "interfaces": [{"name", "hook": "tc|xdp"}]}: xlbd --attach and
// the hook each managed interface got (GET /api/v1/stats).
nlohmann::json attach_json(const AttachStatus& attach);

}  // namespace xlb::api
