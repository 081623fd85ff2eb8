// /healthz: liveness plus the interfaces being managed.
#include "api/http_errors.h"
#include "api/routes.h"

namespace xlb::api {

void add_health_routes(httplib::Server& server, const ApiContext& ctx) {
  auto interfaces = ctx.interfaces;
  server.Get("/healthz", [interfaces](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, {{"status", "ok"}, {"interfaces", interfaces()}});
  });
}

}  // namespace xlb::api
