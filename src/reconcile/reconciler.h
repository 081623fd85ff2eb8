// Reconciler: owns the desired state, persists it through a Store and pushes it into the
// Datapath. Thread-safe (API handlers run on a thread pool).
#pragma once

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
#include "status/status.h"
#include "store/store.h"
#include "store/store_items.h"

namespace xlb {

class Undo;

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

  // A host's own probe (saved with the rules): creates or replaces it; validates first.
  Result<void> upsert_endpoint_probe(const model::EndpointProbe& probe);
  // Error code "not_found" when the host has no probe of its own.
  Result<void> remove_endpoint_probe(const std::string& ip);
  std::optional<model::EndpointProbe> endpoint_probe(const std::string& ip) const;

  // Health overlay, never saved: an endpoint that is up for the operator but whose health check
  // (id from model::endpoint_check) says down is written to the datapath as down: no new flows;
  // conntrack keeps existing ones, unless the rule has on_down=reset, whose flows to it are
  // deleted. A fail_open rule whose endpoints are all down keeps selecting them. Checks never
  // reported are healthy. Thread-safe.
  void set_health(const std::string& check_id, bool healthy);

  // The fullproxy rules as xlb-proxy must serve them: endpoints with the health overlay applied
  // (down where their check says so).
  std::vector<model::Service> l7_rules() const;

  // A shared store (etcd): the changes above become conditional writes to the store instead,
  // which every node, this one included, applies when its watch delivers them (apply_shared).
  class SharedWriter {
   public:
    virtual ~SharedWriter() = default;
    // The change a request makes of the configuration this node applied.
    using Build = std::function<Result<ConfigChange>(const model::Config& applied)>;
    // Writes build's change on the revisions this node applied; returns once this node applied
    // it. ErrorCode::conflict when another writer changed one of its items meanwhile.
    virtual Result<void> write(const Build& build) = 0;
  };
  // Set once, before the API serves.
  void set_shared_writer(SharedWriter* writer) { shared_writer_ = writer; }
  // Makes `cfg`, read from the shared store, the applied configuration: validated like API
  // input, all or nothing, then saved as this node's copy (store.save()).
  Result<void> apply_shared(const model::Config& cfg);

  // Hooks, set once before the reconciler is shared between threads.
  // Called with the fullproxy rules (as l7_rules() returns them) after every change that
  // touched one, health included; with the reconciler's lock held, so it must not call back.
  using L7Listener = std::function<void(std::vector<model::Service>)>;
  void set_on_l7_change(L7Listener listener) { l7_listener_ = std::move(listener); }
  // Checks a rule's files before a change takes it (fullproxy https: the certificate and key
  // readable, the key owner-only and matching); `prefix` as in validation errors. Not called on
  // restore, nor for a configuration another node shared (apply_shared): a rule already
  // accepted is served as it is.
  using RuleFileCheck =
      std::function<Result<void>(const model::Service&, const std::string& prefix)>;
  void set_rule_file_check(RuleFileCheck check) { rule_file_check_ = std::move(check); }
  // Called after every successful upsert/remove/replace_all/set_endpoint_state, without the
  // reconciler's lock held (it may read config()).
  void set_on_change(std::function<void()> listener) { on_change_ = std::move(listener); }
  // Source of EndpointStatus::health for monitored rules; called with the reconciler's lock held,
  // so it must not call back into the reconciler.
  using HealthView = std::function<std::optional<EndpointHealth>(const std::string& check_id)>;
  void set_health_view(HealthView view) { health_view_ = std::move(view); }

  model::Config config() const;
  // VIPs with a rule that can take new flows now (an eligible endpoint, or a fail-open rule's):
  // what a node announces over BGP.
  std::set<std::string> serving_vips() const;
  std::optional<ServiceStatus> status(const model::ServiceKey& key) const;
  std::vector<ServiceStatus> status() const;
  std::vector<ProbeStatus> probe_status() const;  // sorted by ip
  // (datapath id, --inatimeout) of every rule, for conntrack aging.
  std::vector<std::pair<uint32_t, uint32_t>> rule_timeouts() const;
  // The display name (model::display_name) of the rule with a datapath id, for conntrack rows.
  std::optional<std::string> rule_name(uint32_t id) const;

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

  // The rules one change touches, by key: as they are in rules_ (`before`) and as they will be
  // (`after`). A key only in `before` is removed, one only in `after` created. Rules outside the
  // delta are not visited, so a one-rule change costs the same with 10 or 10,000 rules.
  struct Delta {
    Rules before;
    Rules after;
  };

  // Ids and endpoint indexes for `desired`, keeping those of rules already in `current`.
  Result<Rules> plan(const Rules& current, const std::vector<model::Service>& desired) const;
  // The delta from rules_ to `next`: removed, created and changed rules only.
  Delta diff(Rules next) const;
  // The lowest datapath id no rule holds.
  Result<uint32_t> free_id() const;
  // Moves the datapath (and store) through `delta`; all or nothing. On success rules_ holds
  // delta.after in place of delta.before.
  Result<void> apply(const Delta& delta, const ApplyOptions& options);
  // Steering entries of the VIP:ports fullproxy rules use: the removals (`adding` false) or the
  // additions of `delta`, registering their undo steps.
  Result<void> apply_l7_ports(const Delta& delta, bool adopting, bool adding, Undo& undo);
  std::vector<model::Service> l7_rules_locked() const;
  // An L4 rule holds the VIP, protocol and port of `port` (its host ignored).
  bool l4_rule_on(const model::ServiceKey& port) const;
  // VIP entry writes (rules per VIP) for `delta`, registering their undo steps.
  Result<void> apply_vips(const Delta& delta, bool adopting, Undo& undo);
  Result<void> apply_desired(const std::vector<model::Service>& desired);
  ServiceStatus status_of(const Rule& rule) const;
  // svc as written to the datapath: the health overlay applied (checked endpoints only).
  model::Service with_health(const model::Service& svc) const;
  // Re-plans every rule after an overlay or probe change; saves only when `save`.
  Result<void> reapply(bool save);
  // (rule id, endpoint index) of on_down=reset rules where check `check_id` took the endpoint
  // out of selection.
  std::vector<std::pair<uint32_t, uint16_t>> flows_to_reset(const std::string& check_id) const;
  std::vector<model::Service> services() const;
  Result<void> notify(Result<void> done);
  // replace_all without the shared writer.
  Result<void> replace_locally(const model::Config& cfg);

  Datapath& datapath_;
  Store& store_;
  mutable std::mutex mu_;
  Rules rules_;
  std::vector<model::EndpointProbe> probes_;  // sorted by ip, guarded by mu_
  std::set<std::string> unhealthy_;           // check ids, guarded by mu_
  std::function<void()> on_change_;
  HealthView health_view_;
  L7Listener l7_listener_;
  SharedWriter* shared_writer_ = nullptr;
  RuleFileCheck rule_file_check_;
};

}  // namespace xlb
