#include "api/request_body.h"

#include "model/strict_json.h"

namespace xlb::api {

Error body_too_large() {
  return Error{ErrorCode::too_large,
               "request body is larger than " + std::to_string(kMaxBodyBytes) +
                   " bytes; split the configuration into smaller requests",
               ""};
}

Result<nlohmann::json> parse_json_object(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return body_too_large();
  return model::parse_strict_json_object(body, "request body");
}

Result<std::string> single_string_field(std::string_view body, const std::string& field,
                                        const std::string& choices) {
  auto j = parse_json_object(body);
  if (!j) return j.error();
  for (const auto& [name, value] : j->items()) {
    if (name != field) return invalid(name, "unknown field \"" + name + "\"; only " + field);
  }
  auto it = j->find(field);
  if (it == j->end() || !it->is_string()) {
    return invalid(field, field + " must be one of " + choices);
  }
  return it->get<std::string>();
}

}  // namespace xlb::api
