// Per-request endpoint choice for one fullproxy rule, with the rule's selection over the
// endpoints its health leaves up. One per rule and worker thread (no locks): rr and priority
// walk the same smooth weighted slot table the datapath uses; hash, maglev and persist key on
// the client's address (docs/l7.md); lc picks the fewest requests in flight per weight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/service.h"

namespace xlb::proxy {

class RuleBalancer {
 public:
  explicit RuleBalancer(const model::Service& rule);

  // The index in rule.endpoints for the next request of `client`; nullopt when no endpoint
  // may take one (all down or draining).
  std::optional<size_t> pick(const std::string& client, std::chrono::steady_clock::time_point now);
  // lc: a request to endpoint `index` started / ended.
  void started(size_t index);
  void finished(size_t index);

 private:
  model::Select select_;
  std::vector<uint8_t> weights_;
  std::vector<bool> eligible_;
  std::vector<uint8_t> slots_;    // rr, priority, hash (and persist's first choice)
  std::vector<uint32_t> maglev_;  // maglev
  std::vector<uint32_t> in_flight_;
  uint64_t counter_ = 0;
  std::chrono::seconds persist_for_;
  struct Affinity {
    size_t index;
    std::chrono::steady_clock::time_point until;
  };
  std::unordered_map<std::string, Affinity> affinity_;  // persist, bounded
};

inline constexpr size_t kMaxAffinities = 65536;  // persist entries per rule and worker

}  // namespace xlb::proxy
