// /api/v1/loadbalancers and /api/v1/endpoints.
#include <charconv>
#include <string>

#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"
#include "api/status_json.h"
#include "common/ip.h"
#include "common/quote.h"
#include "model/enum_names.h"
#include "model/json.h"
#include "model/limits.h"

namespace xlb::api {
namespace {

using nlohmann::json;

constexpr const char* kRulePath = R"(/api/v1/loadbalancers/([^/]+)/([^/]+)/([^/]+))";
// A fullproxy rule with a host: /api/v1/loadbalancers/{vip}/tcp/{port}/{host}.
constexpr const char* kRuleHostPath = R"(/api/v1/loadbalancers/([^/]+)/([^/]+)/([^/]+)/([^/]+))";

// {vip}/{proto}/{port} from the path, held to the same rules as the body's fields.
Result<model::ServiceKey> key_from_path(const httplib::Match& m) {
  model::ServiceKey key;
  const std::string vip = m[1], proto = m[2], port = m[3];
  auto ip = parse_ip(vip);
  if (!ip) {
    return invalid("vip",
                   "vip in the path must be an IPv4 or IPv6 address such as 10.0.0.100 or "
                   "2001:db8::100, got " +
                       xlb::quoted(vip));
  }
  key.vip = format_ip(*ip);
  auto p = model::parse_protocol(proto);
  if (!p) {
    return invalid("protocol", "protocol in the path must be one of " +
                                   model::enum_choices<model::Protocol>(model::kProtocolNames) +
                                   ", got " + xlb::quoted(proto));
  }
  key.protocol = *p;
  int64_t number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc{} || end != port.data() + port.size() ||
      !model::kPortRange.contains(number)) {
    return invalid("port", model::range_message("port", model::kPortRange, xlb::quoted(port)));
  }
  key.port = static_cast<uint16_t>(number);
  if (m.size() > 4) {
    key.host = model::normalize_host(m[4].str());
    if (key.host.empty())
      return invalid("host", "host in the path must be a host name such as www.a.com");
  }
  return key;
}

// PATCH /api/v1/endpoints/{ip} body: the model's EndpointStateChange.
Result<model::EndpointState> state_from_body(const std::string& body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return parsed.error();
  auto change = model::endpoint_state_change_from_json(*parsed);
  if (!change) return change.error();
  return change->state;
}

Error rule_not_found(const model::ServiceKey& key) {
  return Error{ErrorCode::not_found,
               "no rule " + model::to_string(key) + "; list rules with GET /api/v1/loadbalancers",
               ""};
}

}  // namespace

void add_loadbalancer_routes(httplib::Server& server, const ApiContext& ctx) {
  Reconciler& rec = ctx.reconciler;
  const StatusSource& live = ctx.status;

  server.Get("/api/v1/loadbalancers",
             [&live, &ctx](const httplib::Request&, httplib::Response& res) {
               json list = json::array();
               for (const ServiceStatus& status : live.rules()) list.push_back(status_json(status));
               json answer = {{"loadbalancers", std::move(list)}};
               mark_stale(answer, ctx);
               reply_json(res, 200, answer);
             });

  // Creates the rule, or replaces the rule with the same (vip, protocol, port).
  server.Post("/api/v1/loadbalancers",
              [&rec, &live](const httplib::Request& req, httplib::Response& res) {
                auto body = parse_json_object(req.body);
                if (!body) return reply_error(res, body.error());
                auto svc = model::service_from_json(*body);
                if (!svc) return reply_error(res, svc.error());
                const bool existed = live.rule(svc->key).has_value();
                if (auto done = rec.upsert(*svc); !done) return reply_error(res, done.error());
                auto status = live.rule(svc->key);
                if (!status)
                  return reply_error(res, rule_not_found(svc->key));  // removed concurrently
                reply_json(res, existed ? 200 : 201, status_json(*status));
              });

  auto get_rule = [&live](const httplib::Request& req, httplib::Response& res) {
    auto key = key_from_path(req.matches);
    if (!key) return reply_error(res, key.error());
    auto status = live.rule(*key);
    if (!status) return reply_error(res, rule_not_found(*key));
    reply_json(res, 200, status_json(*status));
  };
  auto delete_rule = [&rec](const httplib::Request& req, httplib::Response& res) {
    auto key = key_from_path(req.matches);
    if (!key) return reply_error(res, key.error());
    if (auto done = rec.remove(*key); !done) return reply_error(res, done.error());
    res.status = 204;
  };
  server.Get(kRulePath, get_rule);
  server.Get(kRuleHostPath, get_rule);
  server.Delete(kRulePath, delete_rule);
  server.Delete(kRuleHostPath, delete_rule);

  server.Get("/api/v1/endpoints", [&live, &ctx](const httplib::Request&, httplib::Response& res) {
    json answer = endpoints_json(live.rules(), live.probes());
    mark_stale(answer, ctx);
    reply_json(res, 200, answer);
  });

  // Operator state of an endpoint in every rule that lists it (e.g. draining), saved.
  server.Patch(R"(/api/v1/endpoints/([^/]+))",
               [&rec, &live](const httplib::Request& req, httplib::Response& res) {
                 auto ip = endpoint_ip_from_path(req.matches[1]);
                 if (!ip) return reply_error(res, ip.error());
                 auto state = state_from_body(req.body);
                 if (!state) return reply_error(res, state.error());
                 auto done = rec.set_endpoint_state(*ip, *state);
                 if (!done) return reply_error(res, done.error());
                 reply_json(res, 200, endpoints_json(live.rules(), live.probes()));
               });
}

}  // namespace xlb::api
