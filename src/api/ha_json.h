// HA status JSON (GET /api/v1/ha and its instances): the shape docs/api/openapi.yaml calls
// HaStatus and HaInstance.
#pragma once

#include <nlohmann/json.hpp>

#include "cluster/ha_status.h"

namespace xlb::api {

// {"instance","state","since","transitions","decided","ready","not_ready_reason"}.
nlohmann::json ha_instance_json(const cluster::HaInstanceStatus& st);
// {"cluster","self","instances":[...],"peers":[...],"rejected":{...}}.
nlohmann::json ha_status_json(const cluster::HaStatus& st);

}  // namespace xlb::api
