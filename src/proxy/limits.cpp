#include "proxy/limits.h"

#include <array>
#include <string>

namespace xlb::proxy {
namespace {

struct LimitField {
  const char* name;
  uint32_t Limits::*member;
  uint32_t lo, hi;
};

// One row per limit: its wire name, member and accepted range.
constexpr std::array<LimitField, 12> kLimitFields = {{
    {"max_header_bytes", &Limits::max_header_bytes, 1024, 1u << 20},
    {"max_headers", &Limits::max_headers, 8, 1000},
    {"max_request_line", &Limits::max_request_line, 256, 1u << 20},
    {"max_chunk_ext_bytes", &Limits::max_chunk_ext_bytes, 0, 4096},
    {"header_timeout_ms", &Limits::header_timeout_ms, 100, 3600000},
    {"keepalive_timeout_ms", &Limits::keepalive_timeout_ms, 100, 3600000},
    {"body_idle_timeout_ms", &Limits::body_idle_timeout_ms, 100, 3600000},
    {"connect_timeout_ms", &Limits::connect_timeout_ms, 100, 600000},
    {"response_timeout_ms", &Limits::response_timeout_ms, 100, 3600000},
    {"max_connections", &Limits::max_connections, 1, 1000000},
    {"pool_idle_timeout_ms", &Limits::pool_idle_timeout_ms, 100, 3600000},
    {"pool_max_idle", &Limits::pool_max_idle, 0, 10000},
}};

Error limit_error(const LimitField& f, const std::string& got) {
  return invalid(f.name, std::string(f.name) + " must be an integer from " + std::to_string(f.lo) +
                             " to " + std::to_string(f.hi) + ", got " + got);
}

}  // namespace

Result<void> validate(const Limits& limits) {
  for (const auto& f : kLimitFields) {
    const uint32_t v = limits.*f.member;
    if (v < f.lo || v > f.hi) return limit_error(f, std::to_string(v));
  }
  return Ok{};
}

nlohmann::json to_json(const Limits& limits) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : kLimitFields) j[f.name] = limits.*f.member;
  return j;
}

Result<Limits> limits_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return invalid("limits", "limits must be a JSON object");
  Limits out;
  for (const auto& [key, value] : j.items()) {
    const LimitField* field = nullptr;
    for (const auto& f : kLimitFields) field = key == f.name ? &f : field;
    if (!field) return invalid(key, "unknown limit \"" + key + "\"");
    // Integers only (a signed 2000 is as good as an unsigned one), within the field's bounds.
    if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > field->hi)
      return limit_error(*field, value.dump());
    out.*field->member = static_cast<uint32_t>(value.get<int64_t>());
  }
  XLB_TRY(validate(out));
  return out;
}

}  // namespace xlb::proxy
