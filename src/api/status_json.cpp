#include "api/status_json.h"

#include "api/effective_mode.h"
#include "model/json.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c) {
  return {{"packets", c.packets}, {"bytes", c.bytes}, {"new_flows", c.new_flows}};
}

nlohmann::json status_json(const ServiceStatus& status) {
  nlohmann::json j = model::to_json(status.service);
  j["id"] = status.id;
  j["effective_mode"] = effective_mode(status.service);
  j["counters"] = counters_json(status.counter);
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStatus& ep : status.endpoints) {
    nlohmann::json e = model::to_json(ep.endpoint);
    e["counters"] = counters_json(ep.counter);
    endpoints.push_back(std::move(e));
  }
  j["endpoints"] = std::move(endpoints);
  return j;
}

nlohmann::json endpoints_json(const std::vector<ServiceStatus>& statuses) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ServiceStatus& status : statuses) {
    const model::Service& svc = status.service;
    const nlohmann::json rule = {{"id", status.id},
                                 {"name", model::display_name(svc)},
                                 {"vip", svc.key.vip},
                                 {"protocol", model::to_string(svc.key.protocol)},
                                 {"port", svc.key.port}};
    for (const EndpointStatus& ep : status.endpoints) {
      nlohmann::json row = model::to_json(ep.endpoint);
      row["rule"] = rule;
      row["counters"] = counters_json(ep.counter);
      rows.push_back(std::move(row));
    }
  }
  return {{"endpoints", std::move(rows)}};
}

}  // namespace xlb::api
