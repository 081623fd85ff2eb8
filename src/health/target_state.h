// A health check's verdict on its target, shared by the health engine and the status it feeds
// (header only, so the status model needs no prober to name it).
#pragma once

#include <cstdint>
#include <string_view>

namespace xlb::health {

// `draining` is an operator decision and lives with the endpoint, not here.
enum class TargetState : uint8_t { unknown, ok, down };

// "unknown", "ok", "down": the API's health "state".
constexpr std::string_view to_string(TargetState state) {
  switch (state) {
    case TargetState::unknown:
      return "unknown";
    case TargetState::ok:
      return "ok";
    case TargetState::down:
      return "down";
  }
  return "unknown";
}

}  // namespace xlb::health
