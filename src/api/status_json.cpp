#include "api/status_json.h"

#include <cstdio>
#include <ctime>

#include "api/effective_mode.h"
#include "model/json.h"

namespace xlb::api {

nlohmann::json counters_json(const xlb_counter& c) {
  return {{"packets", c.packets}, {"bytes", c.bytes}, {"new_flows", c.new_flows}};
}

nlohmann::json rfc3339(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point{}) return nullptr;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
  std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return std::string(text) + millis;
}

namespace {

// DSR rules and their endpoints: the packets the datapath sent over L2 and tunnelled, beside
// the predicted effective_mode.
void add_dsr_counters(nlohmann::json& counters, bool dsr, const xlb_dsr_counter& c) {
  if (dsr) counters["dsr"] = {{"l2", c.l2}, {"ipip", c.ipip}};
}

nlohmann::json optional_ms(const std::optional<double>& ms) {
  return ms ? nlohmann::json(*ms) : nlohmann::json(nullptr);
}

// The endpoint's JSON with its counters and, in monitored rules, its health.
nlohmann::json endpoint_json(const EndpointStatus& ep, bool dsr) {
  nlohmann::json e = model::to_json(ep.endpoint);
  e["counters"] = counters_json(ep.counter);
  add_dsr_counters(e["counters"], dsr, ep.dsr);
  if (ep.health) e["health"] = health_json(*ep.health);
  return e;
}

}  // namespace

nlohmann::json health_json(const EndpointHealth& h) {
  return {{"state", std::string(health::to_string(h.state))},
          {"probe", h.probe},
          {"name", h.name},
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
  const bool dsr = status.service.mode == model::Mode::dsr;
  j["counters"] = counters_json(status.counter);
  add_dsr_counters(j["counters"], dsr, status.dsr);
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStatus& ep : status.endpoints) endpoints.push_back(endpoint_json(ep, dsr));
  j["endpoints"] = std::move(endpoints);
  return j;
}

nlohmann::json probe_status_json(const ProbeStatus& probe) {
  nlohmann::json j = model::to_json(probe.probe);
  j["listed"] = probe.listed;
  if (probe.health) j["health"] = health_json(*probe.health);
  return j;
}

nlohmann::json endpoints_json(const std::vector<ServiceStatus>& statuses,
                              const std::vector<ProbeStatus>& probes) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ServiceStatus& status : statuses) {
    const model::Service& svc = status.service;
    const nlohmann::json rule = {{"id", status.id},
                                 {"name", model::display_name(svc)},
                                 {"vip", svc.key.vip},
                                 {"protocol", model::to_string(svc.key.protocol)},
                                 {"port", svc.key.port}};
    for (const EndpointStatus& ep : status.endpoints) {
      nlohmann::json row = endpoint_json(ep, svc.mode == model::Mode::dsr);
      row["rule"] = rule;
      rows.push_back(std::move(row));
    }
  }
  nlohmann::json probe_rows = nlohmann::json::array();
  for (const ProbeStatus& probe : probes) probe_rows.push_back(probe_status_json(probe));
  return {{"endpoints", std::move(rows)}, {"probes", std::move(probe_rows)}};
}

nlohmann::json attach_json(const AttachStatus& attach) {
  nlohmann::json interfaces = nlohmann::json::array();
  for (const auto& a : attach.interfaces) {
    interfaces.push_back({{"name", a.ifname},
                          {"hook", attach_hook_name(a.hook)},
                          {"tc_attach", tc_link_name(a.tc_link)}});
  }
  return {{"requested", attach_request_name(attach.requested)}, {"interfaces", interfaces}};
}

}  // namespace xlb::api
