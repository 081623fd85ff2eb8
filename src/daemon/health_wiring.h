// Health checks in xlbd: keeps the HealthChecker's targets in step with the configuration (hosts'
// own probes, and a tcp probe on every other endpoint of a rule with monitor; see
// model/endpoint_check.h) and feeds its transitions to the reconciler's health overlay.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/result.h"
#include "health/health_checker.h"
#include "model/service.h"
#include "reconcile/reconciler.h"

namespace xlb {

struct ProbeTarget {
  health::ProbeSpec spec;
  std::set<std::string> rules;  // display names of the rules the probe governs the endpoint in
};

// Check id (model::EndpointCheck::id) → probe, for every checked endpoint of every rule and
// every host probe no rule uses yet, when it can run alone (pure).
std::map<std::string, ProbeTarget> probe_targets(const model::Config& cfg);

class HealthWiring {
 public:
  // Sees every finished probe (on the checker's thread), e.g. for the /metrics latency histogram.
  using ProbeObserver = std::function<void(const std::string& id, const health::ProbeResult&)>;
  explicit HealthWiring(Reconciler& reconciler, ProbeObserver on_probe = {})
      : reconciler_(reconciler), on_probe_(std::move(on_probe)) {}
  // Stops the checker first: no transition reaches the reconciler after it returns.
  ~HealthWiring();
  HealthWiring(const HealthWiring&) = delete;
  HealthWiring& operator=(const HealthWiring&) = delete;

  // Starts the checker, hooks the reconciler (change listener, health view) and probes the
  // current rules. Call before the API serves.
  Result<void> start();
  // Recomputes the targets from the reconciler's config: adds, changes and removes probes.
  void sync();

 private:
  void on_transition(const std::string& id, health::TargetState from, health::TargetState to,
                     const std::string& reason);
  std::optional<EndpointHealth> view(const std::string& check_id) const;

  Reconciler& reconciler_;
  ProbeObserver on_probe_;
  std::mutex mu_;  // orders sync() and transitions; taken before the reconciler's lock
  std::map<std::string, ProbeTarget> targets_;  // guarded by mu_
  std::unique_ptr<health::HealthChecker> checker_;
};

}  // namespace xlb
