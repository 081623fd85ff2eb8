// Reconciler: owns the desired state, persists it through a Store and pushes it into the
// Datapath. Thread-safe (API handlers run on a thread pool).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "datapath/datapath.h"
#include "model/service.h"
#include "store/store.h"

namespace xlb {

struct EndpointStatus {
  model::Endpoint endpoint;
  xlb_counter counter{};
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

  Datapath& datapath_;
  Store& store_;
  mutable std::mutex mu_;
  Rules rules_;
};

}  // namespace xlb
