// One wire schema: xlbctl's request bodies are the model's to_json, so flags → model → to_json
// → the API's own decoder (strict body check, then the model's from_json) gives back the same
// model; and each model equals what the API decoded from the body xlbctl sent before the model
// built it (flags not given were left out), so the API accepts exactly what it did.
#include <gtest/gtest.h>

#include "api/request_body.h"
#include "cli/endpoint_args.h"
#include "cli/lb_args.h"
#include "model/enum_names.h"
#include "model/json.h"

namespace xlb::cli {
namespace {

using nlohmann::json;

// What POST /api/v1/loadbalancers makes of a body.
Result<model::Service> api_decodes_rule(const std::string& body) {
  auto j = api::parse_json_object(body);
  if (!j) return j.error();
  return model::service_from_json(*j);
}

Result<model::EndpointProbe> api_decodes_probe(const std::string& body) {
  auto j = api::parse_json_object(body);
  if (!j) return j.error();
  return model::endpoint_probe_from_json(*j);
}

// `built` → to_json → `decode` (the API's) gives `built` back, and so does the body xlbctl sent
// for the same flags before the model built it.
template <class Model>
void expect_same_on_the_wire(const Result<Model>& built, const std::string& body_before,
                             Result<Model> (*decode)(const std::string&)) {
  ASSERT_TRUE(built) << built.error().message;
  auto decoded = decode(model::to_json(*built).dump());
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, *built);
  auto before = decode(body_before);
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(*before, *built);
}

// xlbctl refuses what it could not build with the sentence (and field) the API answered to the
// body it sent before.
template <class Model>
void expect_refused_alike(const Result<Model>& built, const std::string& body_before,
                          Result<Model> (*decode)(const std::string&)) {
  auto api = decode(body_before);
  ASSERT_FALSE(api);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().message, api.error().message);
  EXPECT_EQ(built.error().field, api.error().field);
}

Result<model::Service> first_rule(const CreateLbArgs& args) {
  auto plan = plan_rules(args);
  if (!plan) return plan.error();
  return rule_model(args, *plan, plan->rules.at(0));
}

CreateLbArgs lb_args(std::vector<std::string> tcp, std::vector<std::string> endpoints) {
  CreateLbArgs args;
  args.vip = "10.0.0.100";
  args.tcp = std::move(tcp);
  args.endpoints = std::move(endpoints);
  return args;
}

struct RuleCase {
  const char* what;
  CreateLbArgs args;
  const char* body_before;  // what xlbctl sent for these flags before the model built it
};

std::vector<RuleCase> rule_cases() {
  std::vector<RuleCase> cases;
  cases.push_back({"no options", lb_args({"80:8080"}, {"10.0.1.2:1"}),
                   R"({"vip":"10.0.0.100","protocol":"tcp","port":80,
                       "endpoints":[{"ip":"10.0.1.2","port":8080,"weight":1}]})"});
  {
    CreateLbArgs a = lb_args({"80:8080"}, {"10.0.1.2:1,10.0.1.3:2"});
    a.mode = "fullnat";
    a.select = "maglev";
    a.name = "web";
    a.monitor = true;
    a.inactive_timeout = 30;
    a.ppv2 = true;
    a.snat = {"10.0.9.1"};
    a.maglev_size = 101;
    a.on_down = "reset";
    a.fail_open = true;
    cases.push_back({"every fullnat option", a,
                     R"({"vip":"10.0.0.100","protocol":"tcp","port":80,"name":"web",
                         "mode":"fullnat","select":"maglev","monitor":true,"inactive_timeout":30,
                         "ppv2":true,"snat":["10.0.9.1"],"maglev_size":101,"on_down":"reset",
                         "fail_open":true,
                         "endpoints":[{"ip":"10.0.1.2","port":8080,"weight":1},
                                      {"ip":"10.0.1.3","port":8080,"weight":2}]})"});
  }
  {
    CreateLbArgs a = lb_args({"80"}, {"10.0.1.2:1"});
    a.mode = "dsr";  // the daemon's default selection for DSR is hash, not rr
    a.dsr = "ipip";
    cases.push_back({"dsr without --select", a,
                     R"({"vip":"10.0.0.100","protocol":"tcp","port":80,"mode":"dsr",
                         "dsr_ipip":true,"endpoints":[{"ip":"10.0.1.2","port":80,"weight":1}]})"});
  }
  {
    CreateLbArgs a = lb_args({"80"}, {"10.0.1.2:1"});
    a.mode = "nat";  // an accepted alias of "default"
    a.select = "persist";
    a.persist_timeout = 600;
    a.dsr = "auto";
    cases.push_back({"persist, nat alias", a,
                     R"({"vip":"10.0.0.100","protocol":"tcp","port":80,"mode":"nat",
                         "select":"persist","persist_timeout":600,"dsr_ipip":false,
                         "endpoints":[{"ip":"10.0.1.2","port":80,"weight":1}]})"});
  }
  return cases;
}

TEST(WireSchema, RuleRoundTripsThroughTheApiDecoder) {
  for (const RuleCase& c : rule_cases()) {
    SCOPED_TRACE(c.what);
    expect_same_on_the_wire(first_rule(c.args), c.body_before, api_decodes_rule);
  }
}

struct ProbeCase {
  const char* what;
  CreateEndpointArgs args;
  const char* body_before;
};

std::vector<ProbeCase> probe_cases() {
  std::vector<ProbeCase> cases;
  CreateEndpointArgs tcp;
  tcp.ip = "10.0.1.2";
  tcp.probetype = "tcp";
  cases.push_back({"only the type", tcp, R"({"ip":"10.0.1.2","type":"tcp"})"});
  CreateEndpointArgs fast = tcp;
  fast.period = 0.5;  // a short period without --timeout gets a timeout that fits it
  fast.probeport = 8081;
  fast.retries = 3;
  fast.rise = 1;
  fast.name = "b1";
  cases.push_back({"short period", fast,
                   R"({"ip":"10.0.1.2","type":"tcp","period":0.5,"port":8081,"retries":3,
                       "rise":1,"name":"b1"})"});
  CreateEndpointArgs http;
  http.ip = "10.0.1.2";
  http.probetype = "https";
  http.probereq = "/health";
  http.proberesp = {"200-204", "ok"};
  http.timeout = 0.25;
  http.verify = true;
  cases.push_back({"https status and body", http,
                   R"({"ip":"10.0.1.2","type":"https","request":"/health",
                       "expect_status":"200-204","expect":"ok","timeout":0.25,"verify":true})"});
  CreateEndpointArgs udp;
  udp.ip = "10.0.1.2";
  udp.probetype = "udp";
  udp.probereq = "ping";
  udp.proberesp = {"200"};  // for udp a status-like reply is text
  cases.push_back(
      {"udp reply", udp, R"({"ip":"10.0.1.2","type":"udp","request":"ping","expect":"200"})"});
  return cases;
}

TEST(WireSchema, EndpointProbeRoundTripsThroughTheApiDecoder) {
  for (const ProbeCase& c : probe_cases()) {
    SCOPED_TRACE(c.what);
    expect_same_on_the_wire(build_endpoint_probe(c.args), c.body_before, api_decodes_probe);
  }
}

// Values the model cannot hold: xlbctl refuses them itself now, with the very sentence the API
// answered to the body it used to send.
TEST(WireSchema, ValuesTheModelCannotHoldAreRefusedInTheApisWords) {
  struct Bad {
    CreateLbArgs args;
    std::string body_before;
  };
  auto with = [](auto change) {
    CreateLbArgs a = lb_args({"80"}, {"10.0.1.2:1"});
    change(a);
    return a;
  };
  const std::string eps = R"("endpoints":[{"ip":"10.0.1.2","port":80,"weight":1}])";
  const std::string head = R"({"vip":"10.0.0.100","protocol":"tcp",)";
  std::vector<Bad> cases = {
      {lb_args({"0:80"}, {"10.0.1.2:1"}),
       R"({"vip":"10.0.0.100","protocol":"tcp","port":0,"endpoints":[]})"},
      {lb_args({"80:70000"}, {"10.0.1.2:1"}),
       R"({"vip":"10.0.0.100","protocol":"tcp","port":80,
           "endpoints":[{"ip":"10.0.1.2","port":70000,"weight":1}]})"},
      {lb_args({"80"}, {"10.0.1.2:300"}),
       R"({"vip":"10.0.0.100","protocol":"tcp","port":80,
           "endpoints":[{"ip":"10.0.1.2","port":80,"weight":300}]})"},
      {lb_args({"80"}, {"10.0.1.2:1,10.0.1.3:0"}),
       R"({"vip":"10.0.0.100","protocol":"tcp","port":80,
           "endpoints":[{"ip":"10.0.1.2","port":80,"weight":1},
                        {"ip":"10.0.1.3","port":80,"weight":0}]})"},
  };
  const std::vector<std::pair<void (*)(CreateLbArgs&), std::string>> options = {
      {[](CreateLbArgs& a) { a.mode = "bogus"; }, R"("mode":"bogus",)"},
      {[](CreateLbArgs& a) { a.select = "random"; }, R"("select":"random",)"},
      {[](CreateLbArgs& a) { a.on_down = "drop"; }, R"("on_down":"drop",)"},
      {[](CreateLbArgs& a) { a.inactive_timeout = 90000; }, R"("inactive_timeout":90000,)"},
      {[](CreateLbArgs& a) { a.persist_timeout = -1; }, R"("persist_timeout":-1,)"},
      {[](CreateLbArgs& a) { a.maglev_size = 70000; }, R"("maglev_size":70000,)"},
      // Several at once: the first the decoder reads is the one reported.
      {[](CreateLbArgs& a) {
         a.on_down = "drop";
         a.mode = "bogus";
       },
       R"("on_down":"drop","mode":"bogus",)"},
  };
  for (const auto& [change, fields] : options) {
    cases.push_back({with(change), head + R"("port":80,)" + fields + eps + "}"});
  }
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.body_before);
    expect_refused_alike(first_rule(c.args), c.body_before, api_decodes_rule);
  }
}

TEST(WireSchema, ProbeValuesTheModelCannotHoldAreRefusedInTheApisWords) {
  auto with = [](auto change) {
    CreateEndpointArgs a;
    a.ip = "10.0.1.2";
    a.probetype = "http";
    change(a);
    return a;
  };
  const std::vector<std::pair<CreateEndpointArgs, const char*>> cases = {
      {with([](CreateEndpointArgs& a) { a.probetype = "smtp"; }),
       R"({"ip":"10.0.1.2","type":"smtp"})"},
      {with([](CreateEndpointArgs& a) { a.probeport = 70000; }),
       R"({"ip":"10.0.1.2","type":"http","port":70000})"},
      {with([](CreateEndpointArgs& a) { a.proberesp = {"999"}; }),
       R"({"ip":"10.0.1.2","type":"http","expect_status":"999"})"},
      {with([](CreateEndpointArgs& a) { a.retries = 0; }),
       R"({"ip":"10.0.1.2","type":"http","retries":0})"},
      {with([](CreateEndpointArgs& a) { a.rise = 101; }),
       R"({"ip":"10.0.1.2","type":"http","rise":101})"},
  };
  for (const auto& [args, body_before] : cases) {
    SCOPED_TRACE(body_before);
    expect_refused_alike(build_endpoint_probe(args), body_before, api_decodes_probe);
  }
}

// `set ep --state=X` sends the model's EndpointStateChange: the API decodes every state the CLI
// offers back to the same change, the body xlbctl hand-built before decodes alike, and anything
// but exactly {"state": <a state name>} is refused naming the field.
TEST(WireSchema, EndpointStateChangeRoundTripsForEveryState) {
  auto api_decodes_change = [](const std::string& body) -> Result<model::EndpointStateChange> {
    auto j = api::parse_json_object(body);
    if (!j) return j.error();
    return model::endpoint_state_change_from_json(*j);
  };
  for (const auto& named : model::kEndpointStateNames) {
    SCOPED_TRACE(named.name);
    const model::EndpointStateChange built{named.value};
    auto decoded = api_decodes_change(model::to_json(built).dump());
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(*decoded, built);
    auto before = api_decodes_change(R"({"state":")" + std::string(named.name) + R"("})");
    ASSERT_TRUE(before) << before.error().message;
    EXPECT_EQ(*before, built);
  }
  const std::vector<std::pair<const char*, const char*>> refused = {
      {R"({"state":"sleepy"})", "state"},
      {R"({"state":1})", "state"},
      {R"({})", "state"},
      {R"({"state":"up","weight":2})", "weight"},
  };
  for (const auto& [body, field] : refused) {
    SCOPED_TRACE(body);
    auto decoded = api_decodes_change(body);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().field, field);
  }
}

}  // namespace
}  // namespace xlb::cli
