#include "daemon/health_wiring.h"

#include <spdlog/spdlog.h>

#include "logging/event.h"
#include "model/endpoint_check.h"

namespace xlb {
namespace {

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

EndpointHealth to_endpoint_health(const health::TargetHealth& t) {
  EndpointHealth h;
  h.state = t.health.state;
  h.probe = std::string(health::to_string(t.spec.type));
  h.period_s = t.spec.period_s;
  h.retries = t.spec.retries;
  h.last_error = t.health.last_error;
  h.last_transition = t.health.last_transition;
  if (auto stats = t.health.latency.stats()) {
    h.min_ms = stats->min_ms;
    h.avg_ms = stats->avg_ms;
    h.max_ms = stats->max_ms;
  }
  return h;
}

}  // namespace

std::map<std::string, ProbeTarget> probe_targets(const model::Config& cfg) {
  std::map<std::string, ProbeTarget> out;
  std::set<std::string> listed;  // only needed for hosts with a probe of their own
  const bool host_probes = !cfg.endpoint_probes.empty();
  for (const auto& svc : cfg.services) {
    for (const auto& ep : svc.endpoints) {
      if (host_probes) listed.insert(ep.ip);
      auto check = model::endpoint_check(cfg.endpoint_probes, svc, ep);
      if (!check) continue;
      ProbeTarget& t = out[check->id];
      t.spec = check->spec;
      t.rules.insert(model::display_name(svc));
    }
  }
  // Probed before a rule lists the host, so `get ep` shows its health when it is added.
  for (const auto& probe : cfg.endpoint_probes) {
    if (listed.contains(probe.ip)) continue;
    if (auto check = model::standalone_check(probe)) out[check->id].spec = check->spec;
  }
  return out;
}

HealthWiring::~HealthWiring() {
  std::unique_ptr<health::HealthChecker> checker;
  {
    std::lock_guard lock(mu_);
    checker = std::move(checker_);
  }
  checker.reset();  // joins the loop thread outside mu_: a running transition may need it
}

Result<void> HealthWiring::start() {
  health::HealthChecker::Options options;
  options.on_transition = [this](const std::string& id, health::TargetState from,
                                 health::TargetState to, const std::string& reason) {
    on_transition(id, from, to, reason);
  };
  options.on_probe_result = on_probe_;
  auto checker = health::HealthChecker::start(std::move(options));
  if (!checker) return checker.error();
  checker_ = std::move(*checker);
  reconciler_.set_health_view([this](const std::string& check_id) { return view(check_id); });
  reconciler_.set_on_change([this] { sync(); });
  sync();
  return Ok{};
}

void HealthWiring::sync() {
  std::lock_guard lock(mu_);
  if (!checker_) return;
  auto wanted = probe_targets(reconciler_.config());
  for (const auto& [id, old] : targets_) {
    if (wanted.contains(id)) continue;
    checker_->remove(id);
    reconciler_.set_health(id, true);  // forget its overlay
  }
  for (const auto& [id, t] : wanted) {
    if (auto ok = checker_->upsert(id, t.spec); !ok) {
      spdlog::error("cannot probe endpoint {}: {}", id, ok.error().message);
    }
  }
  targets_ = std::move(wanted);
}

void HealthWiring::on_transition(const std::string& id, health::TargetState from,
                                 health::TargetState to, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto it = targets_.find(id);
  if (it == targets_.end()) return;  // removed while its probe ran
  reconciler_.set_health(id, to != health::TargetState::down);
  logging::event(spdlog::level::info, "endpoint health changed",
                 {{"check", id},
                  {"rules", joined(it->second.rules)},
                  {"from", std::string(health::to_string(from))},
                  {"to", std::string(health::to_string(to))},
                  {"reason", reason}});
}

std::optional<EndpointHealth> HealthWiring::view(const std::string& check_id) const {
  if (!checker_) return std::nullopt;
  auto t = checker_->get(check_id);
  if (!t) return std::nullopt;
  return to_endpoint_health(*t);
}

}  // namespace xlb
