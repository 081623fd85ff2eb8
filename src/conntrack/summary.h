// Conntrack at a glance: capacity, fill, flows by state and protocol, FullNAT source ports in
// use per SNAT address. Computed by one walk of the CT map (the aging pass produces it as a
// by-product) and read by `xlbctl get ct --summary`, /metrics and `xlbctl diagnose`.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/result.h"
#include "datapath/datapath.h"

namespace xlb {

struct CtSummary {
  uint32_t capacity = 0;                           // CT map entries; a flow uses two (orig + reply)
  uint64_t entries = 0;                            // entries present (orig + reply)
  uint64_t flows = 0;                              // orig entries
  std::map<std::string, uint64_t> flows_by_state;  // ct_state_name() → flows
  std::map<std::string, uint64_t> flows_by_proto;  // "tcp" | "udp" | "icmp" → flows
  std::map<std::string, uint64_t> snat_ports;      // SNAT address → source ports in use
  uint64_t computed_at_ns = 0;                     // CLOCK_MONOTONIC of the walk
  // FullNAT allocates source ports per (SNAT address, endpoint, endpoint port): each such
  // target has snat_port_capacity ports (XLB_SNAT_PORT_MIN..MAX). Key "<snat> -> <ep>:<port>".
  std::map<std::string, uint64_t> snat_ports_by_target;
  uint32_t snat_port_capacity = XLB_SNAT_PORT_MAX - XLB_SNAT_PORT_MIN + 1;

  double fill_percent() const { return capacity ? 100.0 * entries / capacity : 0; }
};

// Folds CT entries into a summary, so a walk that exists anyway (aging) produces it too.
class CtSummaryBuilder {
 public:
  explicit CtSummaryBuilder(uint32_t capacity) { summary_.capacity = capacity; }
  void add(const CtFlow& flow);
  CtSummary finish(uint64_t computed_at_ns);

 private:
  CtSummary summary_;
};

// One full walk of the CT map.
Result<CtSummary> summarize_conntrack(const Datapath& datapath);

// {"capacity":..,"entries":..,"flows":..,"fill_percent":..,"flows_by_state":{..},
//  "flows_by_proto":{..},"snat_ports":{..},"snat_ports_by_target":{..},"snat_port_capacity":..}
nlohmann::json to_json(const CtSummary& summary);

// The latest summary, shared between the thread that computes it and its readers.
class CtSummaryCache {
 public:
  void publish(CtSummary summary) {
    std::lock_guard lock(mu_);
    latest_ = std::move(summary);
  }
  std::optional<CtSummary> latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }

 private:
  mutable std::mutex mu_;
  std::optional<CtSummary> latest_;
};

}  // namespace xlb
