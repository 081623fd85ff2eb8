// Strict JSON decoding for input from outside the process (API request bodies, values read from
// etcd): valid UTF-8 JSON, no duplicate keys, bounded nesting, and a top-level object. nlohmann
// does the parsing; this only adds the policy.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace xlb::model {

// Rules nest three levels (config, services, endpoints); anything far deeper is not ours.
inline constexpr int kMaxJsonDepth = 16;

// `what` names the text in errors: "request body is not valid JSON: ...".
Result<nlohmann::json> parse_strict_json_object(std::string_view text, std::string_view what);

}  // namespace xlb::model
