// /api/v1/endpoints/{ip} and POST /api/v1/endpoints: hosts' own health checks (the listing and
// PATCH of endpoint states are in routes_loadbalancers.cpp).
#include <string>

#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"
#include "api/status_json.h"
#include "common/ip.h"
#include "common/quote.h"
#include "model/json.h"

namespace xlb::api {
namespace {

constexpr const char* kProbePath = R"(/api/v1/endpoints/([^/]+))";

Error probe_not_found(const std::string& ip) {
  return Error{ErrorCode::not_found,
               "endpoint " + ip +
                   " has no probe of its own; create one with POST /api/v1/endpoints "
                   "(xlbctl create endpoint)",
               ""};
}

std::optional<ProbeStatus> find_probe_status(const StatusSource& status, const std::string& ip) {
  for (auto& ps : status.probes()) {
    if (ps.probe.ip == ip) return ps;
  }
  return std::nullopt;
}

}  // namespace

Result<std::string> endpoint_ip_from_path(const std::string& text) {
  auto ip = parse_ip(text);
  if (!ip) {
    return invalid("ip",
                   "endpoint in the path must be an IPv4 or IPv6 address such as 10.0.1.2 or "
                   "2001:db8:1::2, got " +
                       xlb::quoted(text));
  }
  return format_ip(*ip);
}

void add_endpoint_probe_routes(httplib::Server& server, const ApiContext& ctx) {
  Reconciler& rec = ctx.reconciler;
  const StatusSource& live = ctx.status;

  // Creates the host's probe, or replaces it (one per host).
  server.Post("/api/v1/endpoints",
              [&rec, &live](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req.body);
                if (!body) return reply_error(res, body.error());
                auto probe = model::endpoint_probe_from_json(*body);
                if (!probe) return reply_error(res, probe.error());
                const bool existed = rec.endpoint_probe(probe->ip).has_value();
                if (auto done = rec.upsert_endpoint_probe(*probe); !done)
                  return reply_error(res, done.error());
                auto status = find_probe_status(live, probe->ip);
                if (!status)
                  return reply_error(res, probe_not_found(probe->ip));  // removed concurrently
                reply_json(res, existed ? 200 : 201, probe_status_json(*status));
              });

  server.Get(kProbePath, [&live](const httplib::Request& req, httplib::Response& res) {
    auto ip = endpoint_ip_from_path(req.matches[1]);
    if (!ip) return reply_error(res, ip.error());
    auto status = find_probe_status(live, *ip);
    if (!status) return reply_error(res, probe_not_found(*ip));
    reply_json(res, 200, probe_status_json(*status));
  });

  // Removes the host's own probe; monitored rules go back to their default tcp probe.
  server.Delete(kProbePath, [&rec](const httplib::Request& req, httplib::Response& res) {
    auto ip = endpoint_ip_from_path(req.matches[1]);
    if (!ip) return reply_error(res, ip.error());
    if (auto done = rec.remove_endpoint_probe(*ip); !done) {
      return reply_error(
          res, done.error().code == ErrorCode::not_found ? probe_not_found(*ip) : done.error());
    }
    res.status = 204;
  });
}

}  // namespace xlb::api
