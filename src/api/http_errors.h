// The one error shape every route returns, {"error":{"code","message","field"}}, answered with
// the HTTP status of its code (common/error_code.h).
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace xlb::api {

int http_status(const Error& error);
nlohmann::json error_json(const Error& error);

// Serialises with invalid UTF-8 replaced, so echoing user input can never make dump() throw.
void reply_json(httplib::Response& res, int status, const nlohmann::json& body);
void reply_error(httplib::Response& res, const Error& error);

}  // namespace xlb::api
