#include "health/probe_spec.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <utility>

#include "common/ip.h"
#include "common/quote.h"

namespace xlb::health {
namespace {

constexpr std::array<std::pair<ProbeType, std::string_view>, 6> kTypeNames{{
    {ProbeType::none, "none"},
    {ProbeType::ping, "ping"},
    {ProbeType::tcp, "tcp"},
    {ProbeType::udp, "udp"},
    {ProbeType::http, "http"},
    {ProbeType::https, "https"},
}};

bool is_http(ProbeType t) { return t == ProbeType::http || t == ProbeType::https; }
bool uses_port(ProbeType t) { return t != ProbeType::none && t != ProbeType::ping; }
bool uses_request(ProbeType t) { return is_http(t) || t == ProbeType::udp; }

// Request line and header text must not smuggle extra lines or split the request line.
bool is_header_safe(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  return true;
}

// 0.01 -> "0.01", 5 -> "5": as the operator would have typed it.
std::string seconds_text(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", s);
  return text;
}

std::optional<int> parse_status(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 100 || value > 599) {
    return std::nullopt;
  }
  return value;
}

Result<void> check_timing(const ProbeSpec& spec) {
  if (!(spec.period_s >= kMinPeriod && spec.period_s <= kMaxPeriod)) {  // also rejects NaN
    return invalid("probe.period", "probe.period must be from 0.1 to 3600 seconds, got " +
                                       seconds_text(spec.period_s));
  }
  if (!(spec.timeout_s >= kMinTimeout && spec.timeout_s <= spec.period_s)) {
    return invalid("probe.timeout", "probe.timeout must be from 0.01 seconds up to probe.period (" +
                                        seconds_text(spec.period_s) + "), got " +
                                        seconds_text(spec.timeout_s));
  }
  if (spec.retries < 1 || spec.retries > kMaxThreshold) {
    return invalid("probe.retries",
                   "probe.retries must be from 1 to 100, got " + std::to_string(spec.retries));
  }
  if (spec.rise < 1 || spec.rise > kMaxThreshold) {
    return invalid("probe.rise",
                   "probe.rise must be from 1 to 100, got " + std::to_string(spec.rise));
  }
  return Ok{};
}

Result<void> check_request(const ProbeSpec& spec) {
  if (!uses_request(spec.type)) {
    if (!spec.request.empty()) {
      return invalid("probe.request",
                     "probe.request is only used by http, https and udp probes; "
                     "leave it empty for " +
                         std::string(to_string(spec.type)));
    }
    if (!spec.expect.empty()) {
      return invalid("probe.expect",
                     "probe.expect is only used by http, https and udp probes; "
                     "leave it empty for " +
                         std::string(to_string(spec.type)));
    }
    return Ok{};
  }
  if (spec.request.size() > kMaxPayload || spec.expect.size() > kMaxPayload) {
    const char* field = spec.request.size() > kMaxPayload ? "probe.request" : "probe.expect";
    return invalid(field, std::string(field) + " must be at most 1024 bytes");
  }
  if (is_http(spec.type) && !spec.request.empty() &&
      (spec.request[0] != '/' || !is_header_safe(spec.request))) {
    return invalid("probe.request",
                   "probe.request must be an http path starting with / and without spaces or "
                   "control characters, got " +
                       xlb::quoted(spec.request));
  }
  return Ok{};
}

Result<void> check_http_only(const ProbeSpec& spec) {
  if (!is_http(spec.type)) {
    if (!spec.host.empty()) {
      return invalid("probe.host", "probe.host is only used by http and https probes");
    }
    if (spec.expect_status != StatusRange{}) {
      return invalid("probe.expect_status",
                     "probe.expect_status is only used by http and https probes");
    }
  }
  if (spec.verify && spec.type != ProbeType::https) {
    return invalid("probe.verify", "probe.verify only applies to https probes");
  }
  if (spec.host.size() > kMaxPayload || !is_header_safe(spec.host)) {
    return invalid("probe.host",
                   "probe.host must be a host name without spaces or control "
                   "characters, at most 1024 bytes, got " +
                       xlb::quoted(spec.host));
  }
  if (!(spec.expect_status.lo >= 100 && spec.expect_status.lo <= spec.expect_status.hi &&
        spec.expect_status.hi <= 599)) {
    return invalid("probe.expect_status",
                   "probe.expect_status must be a status code or range from 100 to 599 such as "
                   "200 or 200-399, got " +
                       to_string(spec.expect_status));
  }
  return Ok{};
}

}  // namespace

std::string_view to_string(ProbeType type) {
  for (const auto& [t, name] : kTypeNames) {
    if (t == type) return name;
  }
  return "unknown";
}

std::optional<ProbeType> parse_probe_type(std::string_view text) {
  for (const auto& [t, name] : kTypeNames) {
    if (name == text) return t;
  }
  return std::nullopt;
}

std::string to_string(StatusRange range) {
  if (range.lo == range.hi) return std::to_string(range.lo);
  return std::to_string(range.lo) + "-" + std::to_string(range.hi);
}

Result<StatusRange> parse_status_range(std::string_view text, const std::string& field) {
  auto dash = text.find('-');
  auto lo = parse_status(text.substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : parse_status(text.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) {
    return invalid(field, field +
                              " must be a status code or range from 100 to 599 such as 200 "
                              "or 200-399, got " +
                              xlb::quoted(text));
  }
  return StatusRange{*lo, *hi};
}

Result<void> validate(const ProbeSpec& spec) {
  if (spec.type == ProbeType::none) return Ok{};  // nothing is probed; the target is ok
  if (!parse_ip(spec.ip)) {
    return invalid("probe.ip",
                   "probe.ip must be an IPv4 or IPv6 address such as 10.0.0.2 or 2001:db8::2, "
                   "got " +
                       xlb::quoted(spec.ip));
  }
  if (uses_port(spec.type) && spec.port == 0) {
    return invalid("probe.port", "probe.port must be from 1 to 65535 for " +
                                     std::string(to_string(spec.type)) + " probes");
  }
  XLB_TRY(check_timing(spec));
  XLB_TRY(check_request(spec));
  return check_http_only(spec);
}

std::string http_path(const ProbeSpec& spec) {
  return spec.request.empty() ? std::string("/") : spec.request;
}

}  // namespace xlb::health
