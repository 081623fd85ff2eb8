// GET /api/v1/cluster: where the configuration lives (file store or etcd), whether etcd
// answers, the revision this node applied or refused, and the live nodes (xlbctl get cluster).
#include <cmath>

#include "api/http_errors.h"
#include "api/routes.h"

namespace xlb::api {
namespace {

using nlohmann::json;

json refused_json(int64_t revision, const std::string& reason) {
  if (revision == 0) return nullptr;
  return {{"revision", revision}, {"reason", reason}};
}

json cluster_json(const StoreStatus& st) {
  json nodes = json::array();
  for (const auto& n : st.nodes) {
    nodes.push_back({{"name", n.name},
                     {"self", n.self},
                     {"joined_revision", n.joined_revision},
                     {"refused", refused_json(n.refused_revision, n.refused_reason)}});
  }
  return {{"store", st.kind},
          {"location", st.location},
          {"prefix", st.prefix},
          {"node", st.node_name},
          {"connected", st.connected},
          {"stale", st.stale()},
          {"endpoint", st.endpoint},
          {"error", st.error},
          {"disconnected_seconds", std::round(st.disconnected_s * 10) / 10},
          {"local_copy", st.local_copy},
          {"applied_revision", st.applied_revision},
          {"seen_revision", st.seen_revision},
          {"refused", refused_json(st.refused_revision, st.refused_reason)},
          {"refused_total", st.refused_total},
          {"nodes_known", st.nodes_known},
          {"nodes", std::move(nodes)}};
}

}  // namespace

void mark_stale(json& answer, const ApiContext& ctx) {
  if (!ctx.store_status) return;
  const StoreStatus st = ctx.store_status->store_status(/*with_nodes=*/false);
  if (!st.shared()) return;
  answer["stale"] = st.stale();
  if (st.stale()) {
    answer["stale_reason"] =
        "the shared store is unreachable (" + st.error +
        "): this is the configuration of revision " + std::to_string(st.applied_revision) +
        (st.local_copy ? ", this node's local copy" : "") + ", last applied here";
  }
}

void add_cluster_routes(httplib::Server& server, const ApiContext& ctx) {
  server.Get("/api/v1/cluster", [&ctx](const httplib::Request&, httplib::Response& res) {
    StoreStatus st;
    if (ctx.store_status) st = ctx.store_status->store_status(/*with_nodes=*/true);
    reply_json(res, 200, cluster_json(st));
  });
}

}  // namespace xlb::api
