// Conntrack at a glance: capacity, fill, flows by state and protocol, FullNAT source ports in
// use per SNAT address. Capacity and fill are per CT map: the main map (established flows,
// --ct-size) and the syn map (TCP handshakes under way, --ct-syn-size; a SYN flood fills it).
// Computed by one walk of the CT maps (the aging pass produces it as a
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
  uint32_t capacity = 0;      // main CT map entries; a flow uses two (orig + reply)
  uint64_t entries = 0;       // main map entries present (orig + reply)
  uint32_t syn_capacity = 0;  // syn map entries (handshakes under way)
  uint64_t syn_entries = 0;   // syn map entries present
  uint64_t flows = 0;         // orig entries, both maps
  std::map<std::string, uint64_t> flows_by_state;  // ct_state_name() → flows
  std::map<std::string, uint64_t> flows_by_proto;  // "tcp" | "udp" | "icmp" → flows
  std::map<std::string, uint64_t> snat_ports;      // SNAT address → source ports in use
  uint64_t computed_at_ns = 0;                     // CLOCK_MONOTONIC of the walk
  // FullNAT allocates source ports per (SNAT address, endpoint, endpoint port): each such
  // target has snat_port_capacity ports (XLB_SNAT_PORT_MIN..MAX). Key "<snat> -> <ep>:<port>".
  std::map<std::string, uint64_t> snat_ports_by_target;
  uint32_t snat_port_capacity = XLB_SNAT_PORT_MAX - XLB_SNAT_PORT_MIN + 1;

  double fill_percent() const { return capacity ? 100.0 * entries / capacity : 0; }
  double syn_fill_percent() const { return syn_capacity ? 100.0 * syn_entries / syn_capacity : 0; }
};

// Folds CT entries into a summary, so a walk that exists anyway (aging) produces it too.
class CtSummaryBuilder {
 public:
  CtSummaryBuilder(uint32_t capacity, uint32_t syn_capacity) {
    summary_.capacity = capacity;
    summary_.syn_capacity = syn_capacity;
  }
  explicit CtSummaryBuilder(const ConntrackReader& conntrack)
      : CtSummaryBuilder(conntrack.ct_capacity(), conntrack.ct_syn_capacity()) {}
  void add(const CtFlow& flow);
  CtSummary finish(uint64_t computed_at_ns);

 private:
  CtSummary summary_;
};

// One full walk of both CT maps.
Result<CtSummary> summarize_conntrack(const ConntrackReader& conntrack);

// {"capacity":..,"entries":..,"flows":..,"fill_percent":..,"syn_capacity":..,"syn_entries":..,
//  "syn_fill_percent":..,"flows_by_state":{..},
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
