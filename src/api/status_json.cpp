#include "api/status_json.h"

#include <ctime>

#include "api/effective_mode.h"
#include "model/json.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c) {
  return {{"packets", c.packets}, {"bytes", c.bytes}, {"new_flows", c.new_flows}};
}

namespace {

nlohmann::json optional_ms(const std::optional<double>& ms) {
  return ms ? nlohmann::json(*ms) : nlohmann::json(nullptr);
}

nlohmann::json rfc3339(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return nullptr;
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The endpoint's JSON with its counters and, in monitored rules, its health.
nlohmann::json endpoint_json(const EndpointStatus& ep) {
  nlohmann::json e = model::to_json(ep.endpoint);
  e["counters"] = counters_json(ep.counter);
  if (ep.health) e["health"] = health_json(*ep.health);
  return e;
}

}  // namespace

nlohmann::json health_json(const EndpointHealth& h) {
  return {{"state", h.state},
          {"probe", h.probe},
          {"period", h.period_s},
          {"retries", h.retries},
          {"last_error", h.last_error},
          {"last_transition", rfc3339(h.last_transition)},
          {"min_ms", optional_ms(h.min_ms)},
          {"avg_ms", optional_ms(h.avg_ms)},
          {"max_ms", optional_ms(h.max_ms)}};
}

nlohmann::json status_json(const ServiceStatus& status) {
  nlohmann::json j = model::to_json(status.service);
  j["id"] = status.id;
  j["effective_mode"] = effective_mode(status.service);
  j["counters"] = counters_json(status.counter);
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStatus& ep : status.endpoints) endpoints.push_back(endpoint_json(ep));
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
      nlohmann::json row = endpoint_json(ep);
      row["rule"] = rule;
      rows.push_back(std::move(row));
    }
  }
  return {{"endpoints", std::move(rows)}};
}

}  // namespace xlb::api
