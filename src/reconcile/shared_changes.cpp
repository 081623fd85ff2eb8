#include "reconcile/shared_changes.h"

#include <algorithm>

namespace xlb {

Error no_rule_error(const model::ServiceKey& key) {
  return Error{ErrorCode::not_found, "no rule for " + to_string(key), ""};
}

Error too_many_rules_error(uint32_t max) {
  return Error{ErrorCode::limit_exceeded, "too many rules (max " + std::to_string(max) + ")", ""};
}

Error no_rule_lists_endpoint_error(const std::string& ip) {
  return Error{ErrorCode::not_found, "no rule lists endpoint " + ip, ""};
}

Error no_endpoint_probe_error(const std::string& ip) {
  return Error{ErrorCode::not_found, "endpoint " + ip + " has no probe of its own", ""};
}

namespace {

bool shared_has_rule(const model::Config& applied, const model::ServiceKey& key) {
  return std::any_of(applied.services.begin(), applied.services.end(),
                     [&key](const auto& s) { return s.key == key; });
}

}  // namespace

Result<ConfigChange> shared_upsert(const model::Config& applied, const model::Service& svc,
                                   uint32_t max_services) {
  if (!shared_has_rule(applied, svc.key) && applied.services.size() >= max_services)
    return too_many_rules_error(max_services);
  return ConfigChange{{svc}, {}};
}

Result<ConfigChange> shared_remove(const model::Config& applied, const model::ServiceKey& key) {
  if (!shared_has_rule(applied, key)) return no_rule_error(key);
  return ConfigChange{{}, {rule_item_name(key)}};
}

Result<ConfigChange> shared_replace(const model::Config& applied, const model::Config& cfg,
                                    uint32_t max_services) {
  if (cfg.services.size() > max_services) return too_many_rules_error(max_services);
  return config_change(applied, cfg);
}

Result<ConfigChange> shared_endpoint_state(const model::Config& applied, const std::string& ip,
                                           model::EndpointState state) {
  ConfigChange change;
  bool listed = false;
  for (const auto& svc : applied.services) {
    model::Service next = svc;
    for (auto& ep : next.endpoints) {
      if (ep.ip != ip) continue;
      listed = true;
      ep.state = state;
    }
    if (next != svc) change.put.push_back(std::move(next));
  }
  if (!listed) return no_rule_lists_endpoint_error(ip);
  return change;
}

Result<ConfigChange> shared_probe_upsert(const model::EndpointProbe& probe) {
  return ConfigChange{{probe}, {}};
}

Result<ConfigChange> shared_probe_remove(const model::Config& applied, const std::string& ip) {
  const bool exists = std::any_of(applied.endpoint_probes.begin(), applied.endpoint_probes.end(),
                                  [&ip](const auto& p) { return p.ip == ip; });
  if (!exists) return no_endpoint_probe_error(ip);
  return ConfigChange{{}, {probe_item_name(ip)}};
}

}  // namespace xlb
