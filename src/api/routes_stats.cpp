// /api/v1/stats: datapath verdict counters by name, and the hook each interface uses.
#include "api/http_errors.h"
#include "api/routes.h"
#include "api/status_json.h"

extern "C" {
#include "xlb/abi/stats.h"
}

namespace xlb::api {

void add_stats_routes(httplib::Server& server, const ApiContext& ctx) {
  const StatusSource& status = ctx.status;
  server.Get("/api/v1/stats", [&status](const httplib::Request&, httplib::Response& res) {
    auto values = status.verdicts();
    if (!values) return reply_error(res, values.error());
    nlohmann::json counters = nlohmann::json::object();
    for (size_t i = 0; i < XLB_STAT_MAX && i < values->size(); ++i) {
      counters[xlb_dp_stat_names[i]] = (*values)[i];
    }
    reply_json(
        res, 200,
        {{"datapath", std::move(counters)}, {"attach", attach_json(status.attach_status())}});
  });
}

}  // namespace xlb::api
