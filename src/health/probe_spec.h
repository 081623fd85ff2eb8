// What to probe and how: the per-target health-check configuration and its validation (pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace xlb::health {

enum class ProbeType : uint8_t { none, ping, tcp, udp, http, https };

std::string_view to_string(ProbeType type);
// "none", "ping", "tcp", "udp", "http", "https"; nullopt for anything else.
std::optional<ProbeType> parse_probe_type(std::string_view text);

// Inclusive range of HTTP status codes that count as healthy.
struct StatusRange {
  int lo = 200;
  int hi = 399;
  bool contains(int status) const { return status >= lo && status <= hi; }
  bool operator==(const StatusRange&) const = default;
};

std::string to_string(StatusRange range);  // "200" or "200-399"
// "200" or "200-399" (codes 100..599, lo <= hi). Errors name `field`.
Result<StatusRange> parse_status_range(std::string_view text,
                                       const std::string& field = "probe.expect_status");

struct ProbeSpec {
  ProbeType type = ProbeType::none;
  std::string ip;             // IPv4 or IPv6 target, e.g. "10.0.0.2"
  uint16_t port = 0;          // tcp/udp/http/https; ignored by ping and none
  std::string request;        // http(s): path (empty = "/"); udp: payload (may be empty)
  StatusRange expect_status;  // http(s)
  std::string expect;         // http(s): body substring; udp: reply substring; empty = anything
  std::string host;           // http(s): Host header and TLS name to verify; empty = ip
  double period_s = 5.0;      // between probe starts, jittered by ±10%
  double timeout_s = 2.0;     // per probe, at most period_s
  int retries = 2;            // consecutive failures to go down ("fall")
  int rise = 2;               // consecutive successes to go up
  bool verify = false;        // https: verify the certificate chain and name (system CA store)

  bool operator==(const ProbeSpec&) const = default;
};

// The timeout of a probe given only a period: the default, cut to fit a shorter period.
inline double default_timeout(double period_s) {
  return period_s < ProbeSpec{}.timeout_s ? period_s : ProbeSpec{}.timeout_s;
}

inline constexpr double kMinPeriod = 0.1;
inline constexpr double kMaxPeriod = 3600;
inline constexpr double kMinTimeout = 0.01;
inline constexpr int kMaxThreshold = 100;
inline constexpr size_t kMaxPayload = 1024;  // request, expect and host

// One sentence naming the field and the fix when `spec` cannot be probed.
Result<void> validate(const ProbeSpec& spec);

// The HTTP path to request: spec.request, or "/" when empty.
std::string http_path(const ProbeSpec& spec);

}  // namespace xlb::health
