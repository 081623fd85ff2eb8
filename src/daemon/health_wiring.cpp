#include "daemon/health_wiring.h"

#include <spdlog/spdlog.h>

namespace xlb {
namespace {

std::string target_id(const std::string& ip, uint16_t port) {
  return ip + ":" + std::to_string(port);
}

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

EndpointHealth to_endpoint_health(const health::TargetHealth& t) {
  EndpointHealth h;
  h.state = std::string(health::to_string(t.health.state));
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
  for (const auto& svc : cfg.services) {
    if (!svc.monitor) continue;
    for (const auto& ep : svc.endpoints) {
      ProbeTarget& t = out[target_id(ep.ip, ep.port)];
      t.spec.type = health::ProbeType::tcp;  // engine defaults: period 5 s, timeout 2 s, 2/2
      t.spec.ip = ep.ip;
      t.spec.port = ep.port;
      t.rules.insert(model::display_name(svc));
    }
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
  auto checker = health::HealthChecker::start(std::move(options));
  if (!checker) return checker.error();
  checker_ = std::move(*checker);
  reconciler_.set_health_view(
      [this](const std::string& ip, uint16_t port) { return view(ip, port); });
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
    reconciler_.set_health(old.spec.ip, old.spec.port, true);  // forget its overlay
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
  reconciler_.set_health(it->second.spec.ip, it->second.spec.port, to != health::TargetState::down);
  spdlog::info("endpoint {} (rules {}) health {} -> {}: {}", id, joined(it->second.rules),
               health::to_string(from), health::to_string(to), reason);
}

std::optional<EndpointHealth> HealthWiring::view(const std::string& ip, uint16_t port) const {
  if (!checker_) return std::nullopt;
  auto t = checker_->get(target_id(ip, port));
  if (!t) return std::nullopt;
  return to_endpoint_health(*t);
}

}  // namespace xlb
