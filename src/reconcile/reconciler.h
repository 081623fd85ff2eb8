// Reconciler: owns the desired state, persists it through a Store and pushes it into the
// Datapath. Thread-safe (API handlers run on a thread pool).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"
#include "model/service.h"
#include "store/store.h"

namespace xlb {

// What the health checks of a monitored rule say about one endpoint (ip:port).
struct EndpointHealth {
  std::string state = "unknown";  // "ok", "down", "unknown"
  std::string probe = "tcp";
  double period_s = 0;
  int retries = 0;
  std::string last_error;                                 // empty when none yet
  std::chrono::system_clock::time_point last_transition{};  // when `state` was entered
  std::optional<double> min_ms, avg_ms, max_ms;           // none until a probe was answered
};

struct EndpointStatus {
  model::Endpoint endpoint;
  xlb_counter counter{};
  std::optional<EndpointHealth> health;  // rules with monitor only
};

struct ServiceStatus {
  model::Service service;
  uint32_t id = 0;  // datapath rule id
  xlb_counter counter{};
  std::vector<EndpointStatus> endpoints;
};

class Reconciler {
 public:
  Reconciler(Datapath& datapath, Store& store);

  // Loads the stored config and pushes it to the datapath without touching conntrack.
  Result<void> restore();

  // Creates or replaces the rule with svc.key. Endpoints are diffed: unchanged endpoints keep
  // their datapath index so established flows and counters continue. Validates first; on any
  // error nothing changes (memory, store, datapath).
  Result<void> upsert(const model::Service& svc);
  Result<void> remove(const model::ServiceKey& key);  // error code "not_found" if absent
  // Replaces the whole configuration (PUT /api/v1/config); idempotent.
  Result<void> replace_all(const model::Config& cfg);
  // Sets the operator state of endpoint `ip` in every rule that lists it (saved in the config).
  // Error code "not_found" when no rule lists it.
  Result<void> set_endpoint_state(const std::string& ip, model::EndpointState state);

  // Health overlay, never saved: in rules with monitor, an endpoint that is up for the operator
  // but unhealthy is written to the datapath as down (no new flows; conntrack keeps existing
  // ones). Endpoints never reported are healthy. Thread-safe.
  void set_health(const std::string& ip, uint16_t port, bool healthy);

  // Hooks, set once before the reconciler is shared between threads.
  // Called after every successful upsert/remove/replace_all/set_endpoint_state, without the
  // reconciler's lock held (it may read config()).
  void set_on_change(std::function<void()> listener) { on_change_ = std::move(listener); }
  // Source of EndpointStatus::health for monitored rules; called with the reconciler's lock held,
  // so it must not call back into the reconciler.
  using HealthView =
      std::function<std::optional<EndpointHealth>(const std::string& ip, uint16_t port)>;
  void set_health_view(HealthView view) { health_view_ = std::move(view); }

  model::Config config() const;
  std::optional<ServiceStatus> status(const model::ServiceKey& key) const;
  std::vector<ServiceStatus> status() const;
  // (datapath id, --inatimeout) of every rule, for conntrack aging.
  std::vector<std::pair<uint32_t, uint32_t>> rule_timeouts() const;
  // Name of the rule with a datapath id, for conntrack views.
  std::optional<model::Service> service_by_id(uint32_t id) const;

 private:
  // A rule as pushed to the datapath: the model and the exact value written (id, indexes).
  struct Rule {
    model::Service service;
    xlb_svc dp;
  };
  // Orders rules by numeric VIP, then port, then protocol (the listing order).
  struct KeyLess {
    bool operator()(const model::ServiceKey& a, const model::ServiceKey& b) const;
  };
  using Rules = std::map<model::ServiceKey, Rule, KeyLess>;

  struct ApplyOptions {
    bool save = true;  // persist the new config (not when restoring from the store)
    // The datapath was filled by an earlier xlbd: VIP entries are unknown, so write them all and
    // tolerate missing ones on delete.
    bool adopting = false;
    bool log = true;  // one log line per changed rule
  };

  // Ids and endpoint indexes for `desired`, keeping those of rules already in `current`.
  Result<Rules> plan(const Rules& current, const std::vector<model::Service>& desired) const;
  // Moves the datapath (and store) from `current` to `next`; all or nothing. On success
  // rules_ = next.
  Result<void> apply(const Rules& current, Rules next, const ApplyOptions& options);
  Result<void> apply_desired(const std::vector<model::Service>& desired);
  ServiceStatus status_of(const Rule& rule) const;
  // svc as written to the datapath: the health overlay applied (monitored rules only).
  model::Service with_health(const model::Service& svc) const;
  std::vector<model::Service> services() const;
  Result<void> notify(Result<void> done);

  Datapath& datapath_;
  Store& store_;
  mutable std::mutex mu_;
  Rules rules_;
  std::set<std::string> unhealthy_;  // "ip:port", guarded by mu_
  std::function<void()> on_change_;
  HealthView health_view_;
};

}  // namespace xlb
