// Status views: rule JSON (model/json.h) plus the datapath id and counters.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "reconcile/reconciler.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c);
// Rule JSON + "id" + "counters", and "counters" on each endpoint.
nlohmann::json status_json(const ServiceStatus& status);
// Every endpoint of every rule: {"endpoints":[{rule identity, endpoint fields, counters}]}.
nlohmann::json endpoints_json(const std::vector<ServiceStatus>& statuses);

}  // namespace xlb::api
