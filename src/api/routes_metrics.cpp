// GET /metrics: Prometheus exposition of rules, endpoints, datapath verdicts, conntrack and
// health, on the API listener. Reads per-CPU counters (lookups, never locks the datapath) and
// the conntrack summary of the latest aging pass: a scrape never walks the conntrack map.
#include <set>

#include "api/routes.h"
#include "common/ip.h"
#include "metrics/exposition.h"

namespace xlb::api {
namespace {

// Ids of the health checks still governing an endpoint ("<ip>:<port>", or "<ip>" for a host
// probe without a port), for pruning the probe series of removed ones.
std::set<std::string> health_check_ids(const std::vector<ServiceStatus>& rules) {
  std::set<std::string> out;
  for (const ServiceStatus& rule : rules) {
    for (const EndpointStatus& ep : rule.endpoints) {
      if (!ep.health) continue;
      out.insert(ep.endpoint.ip);
      out.insert(ip_with_port(ep.endpoint.ip, ep.endpoint.port));
    }
  }
  return out;
}

}  // namespace

void add_metrics_routes(httplib::Server& server, const ApiContext& ctx) {
  server.Get("/metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
    metrics::ScrapeInput input;
    const StatusSource& status = ctx.status;
    input.rules = status.rules();
    // Unreadable verdict counters leave their series out rather than failing the whole scrape.
    if (auto verdicts = status.verdicts()) input.verdicts = std::move(*verdicts);
    input.conntrack = status.latest_ct_summary();
    input.ct_capacity = status.conntrack().ct_capacity();
    input.ct_syn_capacity = status.conntrack().ct_syn_capacity();
    input.ha = ctx.ha.status();
    input.attach = status.attach_status();
    if (ctx.store_status) input.store = ctx.store_status->store_status(/*with_nodes=*/false);
    if (ctx.live_metrics) {
      ctx.live_metrics->retain_probes(health_check_ids(input.rules));
      input.control_plane_errors = ctx.live_metrics->control_plane_errors();
    }
    if (ctx.l7_status) input.l7 = ctx.l7_status();  // nullopt: no proxy, no series
    res.set_content(metrics::render(input, ctx.live_metrics), metrics::kContentType);
  });
}

}  // namespace xlb::api
