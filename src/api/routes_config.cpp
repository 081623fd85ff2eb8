// /api/v1/config: export and idempotent import of the whole desired state.
#include <malloc.h>

#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"
#include "model/json.h"

namespace xlb::api {

void add_config_routes(httplib::Server& server, const ApiContext& ctx) {
  Reconciler& rec = ctx.reconciler;

  server.Get("/api/v1/config", [&rec](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, model::to_json(rec.config()));
  });

  server.Put("/api/v1/config", [&rec](const httplib::Request& req, httplib::Response& res) {
    {
      auto body = parse_json_object(req.body);
      if (!body) return reply_error(res, body.error());
      auto cfg = model::config_from_json(*body);
      if (!cfg) return reply_error(res, cfg.error());
      if (auto done = rec.replace_all(*cfg); !done) return reply_error(res, done.error());
    }
    reply_json(res, 200, model::to_json(rec.config()));
    // The parse tree, plan and reply tree of a whole configuration (~170 MiB for 10,000 rules)
    // are freed by now, but glibc keeps them in this thread's arena; hand them back.
    malloc_trim(0);
  });
}

}  // namespace xlb::api
