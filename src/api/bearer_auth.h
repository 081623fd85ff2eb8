// Bearer-token access control for the REST API, for xlbd listening beyond loopback
// (--api-token-file). Every request but GET /healthz (liveness probes carry no secrets) must
// carry `Authorization: Bearer <token>`; anything else gets 401 before routing, so no handler
// runs and nothing changes.
#pragma once

#include <httplib.h>

#include <string>

namespace xlb::api {

// The answer to a request without the right token (JSON error, WWW-Authenticate), or
// Unhandled when the request may proceed. Never logs or echoes what the client sent.
httplib::Server::HandlerResponse check_bearer_token(const std::string& token,
                                                    const httplib::Request& req,
                                                    httplib::Response& res);

}  // namespace xlb::api
