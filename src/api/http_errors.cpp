#include "api/http_errors.h"

#include <string>

namespace xlb::api {

int http_status(const Error& error) { return http_status(error.code); }

nlohmann::json error_json(const Error& error) {
  return {{"error",
           {{"code", std::string(wire_name(error.code))},
            {"message", error.message},
            {"field", error.field}}}};
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
