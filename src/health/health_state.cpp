#include "health/health_state.h"

#include <algorithm>

namespace xlb::health {
namespace {

// Counts saturate instead of overflowing; only "at least rise/fall" matters.
void bump(int& count) {
  if (count < 1'000'000) ++count;
}

}  // namespace

void LatencyWindow::add(std::chrono::microseconds rtt) {
  ms_[next_] = static_cast<double>(rtt.count()) / 1000.0;
  next_ = (next_ + 1) % kSize;
  count_ = std::min(count_ + 1, kSize);
}

std::optional<LatencyStats> LatencyWindow::stats() const {
  if (count_ == 0) return std::nullopt;
  // Until the ring wraps, the samples are ms_[0, count_); afterwards the whole array.
  auto first = ms_.begin();
  auto last = first + static_cast<std::ptrdiff_t>(count_);
  auto [lo, hi] = std::minmax_element(first, last);
  double sum = 0;
  for (auto it = first; it != last; ++it) sum += *it;
  return LatencyStats{*lo, sum / static_cast<double>(count_), *hi};
}

std::optional<Transition> force_state(HealthState& h, TargetState to, std::string reason,
                                      std::chrono::system_clock::time_point now) {
  if (h.state == to) return std::nullopt;
  Transition t{h.state, to, std::move(reason)};
  h.state = to;
  h.last_transition = now;
  return t;
}

std::optional<Transition> record_result(HealthState& h, const ProbeResult& result, Thresholds t,
                                        std::chrono::system_clock::time_point now) {
  ++h.probes;
  if (result.up) {
    bump(h.successes);
    h.failures = 0;
    if (result.latency) h.latency.add(*result.latency);
    if (h.successes >= t.rise) {
      return force_state(h, TargetState::ok,
                         std::to_string(h.successes) + " consecutive successful probes", now);
    }
    return std::nullopt;
  }
  bump(h.failures);
  h.successes = 0;
  h.last_error = result.error;
  if (h.failures >= t.fall) return force_state(h, TargetState::down, result.error, now);
  return std::nullopt;
}

}  // namespace xlb::health
