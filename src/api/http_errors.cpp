#include "api/http_errors.h"

#include <string_view>

namespace xlb::api {

int http_status(const Error& error) {
  struct Mapping {
    std::string_view code;
    int status;
  };
  static constexpr Mapping kStatuses[] = {
      {"invalid_argument", 400}, {"unauthenticated", 401}, {"not_found", 404},
      {"conflict", 409},         {"limit_exceeded", 409},  {"too_large", 413},
      {"not_supported", 501},
  };
  for (const auto& m : kStatuses) {
    if (m.code == error.code) return m.status;
  }
  return 500;
}

nlohmann::json error_json(const Error& error) {
  return {{"error", {{"code", error.code}, {"message", error.message}, {"field", error.field}}}};
}

void reply_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void reply_error(httplib::Response& res, const Error& error) {
  reply_json(res, http_status(error), error_json(error));
}

}  // namespace xlb::api
