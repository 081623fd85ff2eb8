// Route registration, one function per resource. Handlers stay thin: decode the request,
// call the Reconciler (changes) or read the StatusSource, encode the answer.
#pragma once

#include <httplib.h>

#include "api/api_server.h"

namespace xlb::api {

void add_health_routes(httplib::Server& server, const ApiContext& ctx);
void add_loadbalancer_routes(httplib::Server& server, const ApiContext& ctx);
void add_config_routes(httplib::Server& server, const ApiContext& ctx);
void add_conntrack_routes(httplib::Server& server, const ApiContext& ctx);
void add_stats_routes(httplib::Server& server, const ApiContext& ctx);
void add_metrics_routes(httplib::Server& server, const ApiContext& ctx);
void add_endpoint_probe_routes(httplib::Server& server, const ApiContext& ctx);
void add_diagnose_routes(httplib::Server& server, const ApiContext& ctx);
void add_ha_routes(httplib::Server& server, const ApiContext& ctx);
void add_cluster_routes(httplib::Server& server, const ApiContext& ctx);
void add_tls_routes(httplib::Server& server, const ApiContext& ctx);

// With a shared store: "stale" (and "stale_reason" while etcd is unreachable) in a listing.
void mark_stale(nlohmann::json& answer, const ApiContext& ctx);
void add_bgp_routes(httplib::Server& server, const ApiContext& ctx);

// "10.0.1.2" from the {ip} of an /api/v1/endpoints/{ip} path, or an error naming "ip".
Result<std::string> endpoint_ip_from_path(const std::string& text);

}  // namespace xlb::api
