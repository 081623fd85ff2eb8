// Route registration, one function per resource. Handlers stay thin: decode the request,
// call the Reconciler or Datapath, encode the answer.
#pragma once

#include <httplib.h>

#include "api/api_server.h"

namespace xlb::api {

void add_health_routes(httplib::Server& server, const ApiContext& ctx);
void add_loadbalancer_routes(httplib::Server& server, const ApiContext& ctx);
void add_config_routes(httplib::Server& server, const ApiContext& ctx);
void add_conntrack_routes(httplib::Server& server, const ApiContext& ctx);
void add_stats_routes(httplib::Server& server, const ApiContext& ctx);

}  // namespace xlb::api
