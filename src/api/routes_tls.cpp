// POST /api/v1/tls/reload (xlbctl reload certs): xlb-proxy loads every TLS rule's files again.
// New handshakes take the new certificates, open connections keep theirs; a file that no longer
// loads is refused (one line each) and its rule keeps the certificate it had.
#include "api/http_errors.h"
#include "api/routes.h"

namespace xlb::api {

void add_tls_routes(httplib::Server& server, const ApiContext& ctx) {
  server.Post("/api/v1/tls/reload", [&ctx](const httplib::Request&, httplib::Response& res) {
    if (!ctx.l7_reload_tls) {
      return reply_error(res, Error{ErrorCode::conflict,
                                    "no TLS rule: xlb-proxy is not running on this node", ""});
    }
    auto answer = ctx.l7_reload_tls();
    if (!answer) return reply_error(res, answer.error());
    std::string refused;
    for (const auto& line : answer->value("errors", nlohmann::json::array())) {
      if (line.is_string()) refused += (refused.empty() ? "" : "\n") + line.get<std::string>();
    }
    if (!refused.empty())
      return reply_error(res, Error{ErrorCode::invalid_argument, refused, "tls"});
    reply_json(res, 200,
               {{"reloaded", answer->value("loaded", 0)},
                {"warnings", answer->value("warnings", nlohmann::json::array())}});
  });
}

}  // namespace xlb::api
