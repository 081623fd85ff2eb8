// /healthz: liveness plus the interfaces being managed.
#include "api/http_errors.h"
#include "api/routes.h"

namespace xlb::api {

void add_health_routes(httplib::Server& server, const ApiContext& ctx) {
  const StatusSource& status = ctx.status;
  server.Get("/healthz", [&status](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, {{"status", "ok"}, {"interfaces", status.interfaces()}});
  });
}

}  // namespace xlb::api
