// When probes fire: a random first offset within the period, then period ± 10%, so thousands of
// targets added at once spread out instead of probing in lock step (pure; random source injected).
#pragma once

#include <chrono>
#include <functional>

namespace xlb::health {

// Returns doubles uniformly distributed in [0, 1).
using UniformSource = std::function<double()>;

// A Mersenne Twister seeded from std::random_device.
UniformSource default_uniform_source();

class JitterSchedule {
 public:
  using Duration = std::chrono::nanoseconds;
  static constexpr double kJitter = 0.10;  // ± fraction of the period

  explicit JitterSchedule(UniformSource uniform = default_uniform_source());

  // Delay before a new target's first probe: uniform in [0, period).
  Duration first_delay(double period_s);
  // Delay between consecutive probe starts: uniform in [0.9, 1.1) × period.
  Duration next_delay(double period_s);

 private:
  UniformSource uniform_;
};

}  // namespace xlb::health
