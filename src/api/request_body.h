// Strict decoding of request bodies: a size limit, then model::parse_strict_json_object (valid
// UTF-8 JSON, no duplicate keys, bounded nesting, a top-level object).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"

namespace xlb::api {

// Large enough for a whole configuration of 10,000 rules with 32 endpoints each (PUT
// /api/v1/config, `xlbctl apply`); anything bigger is refused before it is parsed.
inline constexpr size_t kMaxBodyBytes = 32u << 20;

Result<nlohmann::json> parse_json_object(std::string_view body);

// A body that is exactly {"<field>": "<string>"}: the string. Errors name the field; `choices`
// ("up, draining, down") says what the string may be.
Result<std::string> single_string_field(std::string_view body, const std::string& field,
                                        const std::string& choices);

// The 413 error for bodies over kMaxBodyBytes (also produced by the server before routing).
Error body_too_large();

}  // namespace xlb::api
