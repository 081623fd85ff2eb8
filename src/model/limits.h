// Numeric and length limits of the model and the wording of their errors, shared by the JSON
// reader (which must refuse values the model types cannot hold) and semantic validation, so
// both say the same sentence.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "health/probe_spec.h"

namespace xlb::model {

struct IntRange {
  int64_t lo;
  int64_t hi;
  bool contains(int64_t v) const { return v >= lo && v <= hi; }
};

inline constexpr IntRange kPortRange{1, 65535};
inline constexpr IntRange kWeightRange{1, 255};
inline constexpr IntRange kInactiveTimeoutRange{0, 86400};
inline constexpr IntRange kPersistTimeoutRange{0, 86400};
inline constexpr IntRange kMaglevSizeRange{0, 65537};
// A host probe's port (0 = the endpoint's target port in each rule) and its rise/fall counts;
// health::validate() has the final word on them.
inline constexpr IntRange kProbePortRange{0, 65535};
inline constexpr IntRange kProbeThresholdRange{1, health::kMaxThreshold};
inline constexpr uint32_t kDefaultPersistTimeoutS = 300;
inline constexpr uint32_t kDefaultMaglevSize = 16381;
inline constexpr size_t kMaxSnatAddresses = 4;  // XLB_MAX_SNAT
inline constexpr size_t kMaxNameLength = 63;
inline constexpr size_t kMaxHostLength = 253;      // a DNS name
inline constexpr size_t kMaxTlsPathLength = 4096;  // fullproxy https: tls_cert, tls_key (PATH_MAX)
inline constexpr size_t kMaxXffTrusted = 16;       // fullproxy: --xff-trusted networks

// "<field> must be an integer from <lo> to <hi>, got <got>"
inline std::string range_message(const std::string& field, IntRange r, const std::string& got) {
  return field + " must be an integer from " + std::to_string(r.lo) + " to " +
         std::to_string(r.hi) + ", got " + got;
}

// A value quoted as JSON for an error message, cut short so a huge input stays one line.
inline std::string shown(const nlohmann::json& v) {
  constexpr size_t kMax = 64;
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() > kMax ? text.substr(0, kMax) + "..." : text;
}

}  // namespace xlb::model
