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
  // Name of the rule with a datapath id, for conntrack views.
  std::optional<model::Service> service_by_id(uint32_t id) const;

 private:
  // ... implementation-defined members
};

}  // namespace xlb
