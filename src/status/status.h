// The running state of rules and host probes as readers see it (API, diagnose, /metrics): the
// desired rule with its datapath id, counters, health and active flows. Produced by the
// reconciler, which owns the rules; plain values, no behaviour.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "health/target_state.h"
#include "model/service.h"

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb {

// What the health check governing one endpoint says (model/endpoint_check.h decides which).
struct EndpointHealth {
  health::TargetState state = health::TargetState::unknown;
  std::string probe = "tcp";
  std::string name;  // the host probe's label (`create endpoint --name`), empty for rule probes
  double period_s = 0;
  int retries = 0;
  std::string last_error;                                   // empty when none yet
  std::chrono::system_clock::time_point last_transition{};  // when `state` was entered
  std::optional<double> min_ms, avg_ms, max_ms;             // none until a probe was answered
};

struct EndpointStatus {
  model::Endpoint endpoint;
  xlb_counter counter{};
  std::optional<EndpointHealth> health;  // endpoints a health check governs only
  uint32_t active_flows = 0;             // flows in conntrack (datapath count, healed by aging)
  xlb_dsr_counter dsr{};                 // DSR rules: packets sent to it over L2 / IPIP
};

// A host's own probe; `health` only while no rule lists the host (rules' rows show it then).
struct ProbeStatus {
  model::EndpointProbe probe;
  bool listed = false;  // some rule lists the host
  std::optional<EndpointHealth> health;
};

struct ServiceStatus {
  model::Service service;
  uint32_t id = 0;  // datapath rule id
  xlb_counter counter{};
  std::vector<EndpointStatus> endpoints;
  xlb_dsr_counter dsr{};  // DSR rules: its endpoints' L2 / IPIP packets, summed
};

}  // namespace xlb
