// /api/v1/bgp: this node's BGP settings and sessions (xlbctl create/get/delete bgpglobal and
// bgpneighbor). Without --bgp or --bgp-api every route answers 409 saying how to turn it on.
#include <nlohmann/json.hpp>

#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"
#include "bgp/bgp_controller.h"
#include "common/ip.h"
#include "common/quote.h"

namespace xlb::api {
namespace {

constexpr const char* kBgpNeighborPath = R"(/api/v1/bgp/neighbors/([^/]+))";

Error bgp_off() {
  return Error{ErrorCode::conflict,
               "BGP is off on this node: start xlbd with --bgp (it runs gobgpd) or "
               "--bgp-api=<address of your gobgpd>",
               ""};
}

nlohmann::json neighbor_status_json(const bgp::BgpNeighborStatus& s) {
  nlohmann::json j = bgp::to_public_json(s.config);
  j["state"] = s.state;
  j["uptime_seconds"] = s.uptime_s ? nlohmann::json(*s.uptime_s) : nlohmann::json(nullptr);
  j["advertised"] = s.advertised;
  return j;
}

}  // namespace

void add_bgp_routes(httplib::Server& server, const ApiContext& ctx) {
  bgp::BgpController* bgp = ctx.bgp;

  server.Get("/api/v1/bgp/global", [bgp](const httplib::Request&, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    auto g = bgp->global();
    if (!g) return reply_error(res, {ErrorCode::not_found, "no bgpglobal is configured", ""});
    nlohmann::json j = bgp::to_json(*g);
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& [prefix, med] : bgp->announced())
      routes.push_back({{"prefix", prefix}, {"med", med}});
    j["announced"] = routes;
    reply_json(res, 200, j);
  });

  server.Post("/api/v1/bgp/global", [bgp](const httplib::Request& req, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    auto body = parse_json_object(req.body);
    if (!body) return reply_error(res, body.error());
    auto g = bgp::bgp_global_from_json(*body);
    if (!g) return reply_error(res, g.error());
    if (auto ok = bgp->set_global(*g); !ok) return reply_error(res, ok.error());
    reply_json(res, 200, bgp::to_json(*g));
  });

  server.Delete("/api/v1/bgp/global", [bgp](const httplib::Request&, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    if (auto ok = bgp->delete_global(); !ok) return reply_error(res, ok.error());
    reply_json(res, 200, {{"deleted", true}});
  });

  server.Get("/api/v1/bgp/neighbors", [bgp](const httplib::Request&, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    auto listed = bgp->neighbors();
    if (!listed) return reply_error(res, listed.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& s : *listed) items.push_back(neighbor_status_json(s));
    reply_json(res, 200, {{"neighbors", items}, {"count", items.size()}});
  });

  server.Post("/api/v1/bgp/neighbors", [bgp](const httplib::Request& req, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    auto body = parse_json_object(req.body);
    if (!body) return reply_error(res, body.error());
    auto n = bgp::bgp_neighbor_from_json(*body);
    if (!n) return reply_error(res, n.error());
    if (auto ok = bgp->add_neighbor(*n); !ok) return reply_error(res, ok.error());
    reply_json(res, 201, bgp::to_public_json(*n));
  });

  server.Delete(kBgpNeighborPath, [bgp](const httplib::Request& req, httplib::Response& res) {
    if (!bgp) return reply_error(res, bgp_off());
    const std::string address = req.matches[1];
    if (!parse_ipv4(address)) {
      return reply_error(res, invalid("address",
                                      "address must be an IPv4 address such as "
                                      "10.0.1.1, got " +
                                          xlb::quoted(address)));
    }
    if (auto ok = bgp->delete_neighbor(address); !ok) return reply_error(res, ok.error());
    reply_json(res, 200, {{"deleted", address}});
  });
}

}  // namespace xlb::api
