// JSON <-> model. Structural checks (types, unknown fields, required fields) happen here and
// name the offending field; semantic checks live in validate.h.
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/service.h"

namespace xlb::model {

nlohmann::json to_json(const Endpoint& ep);
nlohmann::json to_json(const Service& svc);
nlohmann::json to_json(const EndpointProbe& probe);
nlohmann::json to_json(const Config& cfg);
nlohmann::json to_json(const EndpointStateChange& change);

Result<Service> service_from_json(const nlohmann::json& j);
// POST /api/v1/endpoints body; errors name the field as given ("period", not "probe.period").
Result<EndpointProbe> endpoint_probe_from_json(const nlohmann::json& j);
Result<Config> config_from_json(const nlohmann::json& j);
// PATCH /api/v1/endpoints/{ip} body: exactly {"state": "up|down|draining"}.
Result<EndpointStateChange> endpoint_state_change_from_json(const nlohmann::json& j);

}  // namespace xlb::model
