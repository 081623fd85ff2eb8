// Per-target health: the rise/fall state machine and probe latency statistics (pure, no I/O).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "health/probe_result.h"
#include "health/target_state.h"

namespace xlb::health {

struct LatencyStats {
  double min_ms = 0;
  double avg_ms = 0;
  double max_ms = 0;
};

// Round trips of the last kSize answered probes: recent enough to show a trend, bounded in memory.
class LatencyWindow {
 public:
  static constexpr size_t kSize = 32;

  void add(std::chrono::microseconds rtt);
  void clear() { count_ = 0; }
  std::optional<LatencyStats> stats() const;  // none until a probe was answered

 private:
  std::array<double, kSize> ms_{};
  size_t next_ = 0;
  size_t count_ = 0;
};

struct HealthState {
  TargetState state = TargetState::unknown;
  int successes = 0;  // consecutive
  int failures = 0;   // consecutive
  uint64_t probes = 0;
  std::string last_error;  // most recent failure, kept after recovery to explain flapping
  // When `state` was entered; for unknown, when the target was added.
  std::chrono::system_clock::time_point last_transition{};
  LatencyWindow latency;
};

struct Thresholds {
  int rise = 2;  // consecutive successes to go (or start) ok
  int fall = 2;  // consecutive failures to go (or start) down
};

struct Transition {
  TargetState from;
  TargetState to;
  std::string reason;  // the last error when going down; "N consecutive successes" when going ok
};

// Folds one probe result into `h`. The state moves only when the last `rise` results were all
// successes (-> ok) or the last `fall` results were all failures (-> down); the same rule applies
// from `unknown`. Returns the transition when the state changed.
std::optional<Transition> record_result(HealthState& h, const ProbeResult& result, Thresholds t,
                                        std::chrono::system_clock::time_point now);

// Sets the state directly (e.g. probe type none -> ok); returns the transition if it changed.
std::optional<Transition> force_state(HealthState& h, TargetState to, std::string reason,
                                      std::chrono::system_clock::time_point now);

}  // namespace xlb::health
