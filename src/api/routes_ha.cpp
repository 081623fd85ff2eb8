// /api/v1/ha: HA states (xlbctl get ha, set ha) and the readiness keepalived's track script asks
// for. keepalived, a person or a controller decides; the API records and applies.
#include "api/ha_json.h"
#include "api/http_errors.h"
#include "api/request_body.h"
#include "api/routes.h"
#include "common/quote.h"

namespace xlb::api {
namespace {

constexpr const char* kHaInstancePath = R"(/api/v1/ha/([^/]+))";
constexpr const char* kHaReadyPath = R"(/api/v1/ha/([^/]+)/ready)";

std::string ha_state_choices() {
  std::string out;
  for (auto s : cluster::all_ha_states()) {
    out += (out.empty() ? "" : ", ") + std::string(cluster::ha_state_name(s));
  }
  return out;
}

// PUT body: {"state":"MASTER|BACKUP|FAULT|NOT_DEFINED"} (any letter case).
Result<cluster::HaState> ha_state_from_body(const std::string& body) {
  const std::string choices = ha_state_choices();
  auto text = single_string_field(body, "state", choices);
  if (!text) return text.error();
  auto state = cluster::ha_state_from_name(*text);
  if (!state) {
    return invalid("state", "state must be one of " + choices + ", got " + xlb::quoted(*text));
  }
  return *state;
}

}  // namespace

void add_ha_routes(httplib::Server& server, const ApiContext& ctx) {
  cluster::HaController& ha = ctx.ha;

  server.Get("/api/v1/ha", [&ha](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, ha_status_json(ha.status()));
  });

  server.Get(kHaInstancePath, [&ha](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];  // unknown names: not_found from the controller
    auto instance = ha.instance(name);
    if (!instance) return reply_error(res, instance.error());
    reply_json(res, 200, ha_instance_json(*instance));
  });

  // 200 when the instance may become MASTER now, 503 (with the reason) when not: keepalived's
  // track script turns that into FAULT, so the node is not elected meanwhile.
  server.Get(kHaReadyPath, [&ha](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];  // unknown names: not_found from the controller
    if (auto ok = ha.ready(name); !ok) return reply_error(res, ok.error());
    reply_json(res, 200, {{"instance", name}, {"ready", true}});
  });

  server.Put(kHaInstancePath, [&ha](const httplib::Request& req, httplib::Response& res) {
    const std::string name = req.matches[1];  // unknown names: not_found from the controller
    auto state = ha_state_from_body(req.body);
    if (!state) return reply_error(res, state.error());
    auto done = ha.set_state(name, *state);
    if (!done) return reply_error(res, done.error());
    reply_json(res, 200, ha_instance_json(*done));
  });
}

}  // namespace xlb::api
