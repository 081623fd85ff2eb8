// The outcome of one probe: up or down with the reason in words, and the measured round trip.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace xlb::health {

struct ProbeResult {
  bool up = false;
  std::string error;  // why it is down, in words ("connection refused"); empty when up
  // Round trip of a probe that got an answer; none for e.g. a udp probe that met silence.
  std::optional<std::chrono::microseconds> latency;

  static ProbeResult success(std::optional<std::chrono::microseconds> rtt = std::nullopt) {
    return ProbeResult{true, {}, rtt};
  }
  static ProbeResult failure(std::string why) { return ProbeResult{false, std::move(why), {}}; }
};

// "timeout after 1s", "timeout after 0.25s"
std::string timeout_words(double seconds);
// strerror in lower case, the way the reason reads in a log line: "connection refused".
std::string errno_words(int err);

}  // namespace xlb::health
