// /api/v1/diagnose?vip=&port=&proto=: checks the path to a VIP and explains what it finds
// (xlbctl diagnose lb). Always 200 with the report; "healthy" says whether anything is wrong.
#include "api/http_errors.h"
#include "api/routes.h"
#include "datapath/clock.h"
#include "diagnose/collect.h"
#include "diagnose/findings.h"
#include "diagnose/net_facts.h"
#include "diagnose/veth_peers.h"

namespace xlb::api {

void add_diagnose_routes(httplib::Server& server, const ApiContext& ctx) {
  server.Get("/api/v1/diagnose", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto query = diagnose::parse_query(req.get_param_value("vip"), req.get_param_value("port"),
                                       req.get_param_value("proto"));
    if (!query) return reply_error(res, query.error());
    diagnose::Sources sources{ctx.status, diagnose::gather_net_facts, ctx.ha.status(),
                              diagnose::gather_veth_peers};
    auto snapshot = diagnose::collect(sources, *query, datapath_clock_ns());
    if (!snapshot) return reply_error(res, snapshot.error());
    if (ctx.store_status) snapshot->store = ctx.store_status->store_status(/*with_nodes=*/false);
    reply_json(res, 200, diagnose::to_json(diagnose::analyze(*snapshot)));
  });
}

}  // namespace xlb::api
