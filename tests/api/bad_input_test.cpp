// Every bad-input class from the issue: 4xx with the error JSON naming the field, and the
// state unchanged afterwards.
#include <gtest/gtest.h>

#include "api/request_body.h"
#include "harness.h"
#include "model/strict_json.h"

namespace xlb::test {
namespace {

using nlohmann::json;

struct BadInput {
  const char* name;
  const char* method;  // "POST" (loadbalancers) or "PUT" (config)
  std::string body;
  int status;
  std::string field;
  const char* message_part;
};

// gtest prints parameters in test names and failures; the case name says it all.
void PrintTo(const BadInput& c, std::ostream* os) { *os << c.name; }

// web_rule() with one change applied by `edit`.
std::string rule_with(void (*edit)(json&)) {
  json r = web_rule();
  edit(r);
  return r.dump();
}

std::vector<BadInput> cases() {
  const std::string base_head = R"({"vip":"10.0.0.100","protocol":"tcp","port":80,)";
  std::string deep = "{\"vip\":", deep_field = "vip";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 1; i < model::kMaxJsonDepth; ++i) deep_field += "[0]";  // where the limit is hit
  for (int i = 0; i < 100; ++i) deep += "]";
  deep += "}";
  std::string huge = R"({"vip":"10.0.0.100","name":")" + std::string(33u << 20, 'a') + "\"}";

  return {
      {"InvalidVip", "POST", rule_with([](json& r) { r["vip"] = "10.0.0.300"; }), 400, "vip",
       "IPv4"},
      {"InvalidEndpointIp", "POST", rule_with([](json& r) { r["endpoints"][0]["ip"] = "10.0.1"; }),
       400, "endpoints[0].ip", "IPv4"},
      {"PortZero", "POST", rule_with([](json& r) { r["port"] = 0; }), 400, "port",
       "from 1 to 65535"},
      {"PortTooBig", "POST", rule_with([](json& r) { r["port"] = 65536; }), 400, "port",
       "from 1 to 65535"},
      {"EndpointPortTooBig", "POST", rule_with([](json& r) { r["endpoints"][1]["port"] = 70000; }),
       400, "endpoints[1].port", "from 1 to 65535"},
      {"WeightZero", "POST", rule_with([](json& r) { r["endpoints"][0]["weight"] = 0; }), 400,
       "endpoints[0].weight", "from 1 to 255"},
      {"WeightTooBig", "POST", rule_with([](json& r) { r["endpoints"][0]["weight"] = 256; }), 400,
       "endpoints[0].weight", "from 1 to 255"},
      {"EmptyEndpoints", "POST", rule_with([](json& r) { r["endpoints"] = json::array(); }), 400,
       "endpoints", "at least one endpoint"},
      {"DuplicateEndpoints", "POST",
       rule_with([](json& r) { r["endpoints"][1]["ip"] = r["endpoints"][0]["ip"]; }), 400,
       "endpoints[1]", "duplicates"},
      {"UnknownMode", "POST", rule_with([](json& r) { r["mode"] = "turbo"; }), 400, "mode",
       "fullnat"},
      {"UnknownSelection", "POST", rule_with([](json& r) { r["select"] = "random"; }), 400,
       "select", "maglev"},
      {"DsrPortTranslation", "POST", rule_with([](json& r) { r["mode"] = "dsr"; }), 400,
       "endpoints[0].port",
       "DSR cannot translate ports (80 -> 8080): use the same port or --mode=fullnat"},
      {"UnknownField", "POST", rule_with([](json& r) { r["colour"] = "blue"; }), 400, "colour",
       "unknown field"},
      {"UnknownEndpointField", "POST", rule_with([](json& r) { r["endpoints"][0]["wieght"] = 2; }),
       400, "endpoints[0].wieght", "unknown field"},
      {"BadName", "POST", rule_with([](json& r) { r["name"] = "web site"; }), 400, "name",
       "letters, digits"},
      {"DuplicateKey", "POST", base_head + R"("port":81,"endpoints":[]})", 400, "port",
       "duplicate key \"port\""},
      {"DuplicateNestedKey", "POST",
       base_head + R"("endpoints":[{"ip":"10.0.1.2","port":8080,"ip":"10.0.1.3"}]})", 400,
       "endpoints[0].ip", "duplicate key"},
      // A key holding a newline is quoted escaped, so the message stays one line.
      {"DuplicateKeyWithNewline", "POST", base_head + R"("x\ny":1,"x\ny":2})", 400, "x\ny",
       R"(duplicate key "x\ny")"},
      {"PortAsString", "POST", rule_with([](json& r) { r["port"] = "80"; }), 400, "port", "80"},
      {"EndpointsAsObject", "POST", rule_with([](json& r) { r["endpoints"] = json::object(); }),
       400, "endpoints", "endpoints"},
      {"MonitorAsString", "POST", rule_with([](json& r) { r["monitor"] = "yes"; }), 400, "monitor",
       "true or false"},
      {"HugeBody", "POST", huge, 413, "", "larger than"},
      {"DeeplyNested", "POST", deep, 400, deep_field, "nests deeper"},
      {"InvalidUtf8", "POST", base_head + "\"name\":\"w\xff\xfe\"}", 400, "", "UTF-8"},
      {"NotJson", "POST", "{\"vip\":", 400, "", "not valid JSON"},
      {"ArrayBody", "POST", "[]", 400, "", "must be a JSON object"},
      {"StringBody", "POST", "\"web\"", 400, "", "must be a JSON object"},
      {"EmptyBody", "POST", "", 400, "", "empty"},
      {"ConfigWithOneBadRule", "PUT",
       json{{"services", json::array({web_rule(), json::parse(rule_with([](json& r) {
                                        r["port"] = 81;
                                        r["endpoints"][0]["weight"] = 0;
                                      }))})}}
           .dump(),
       400, "services[1].endpoints[0].weight", "from 1 to 255"},
      {"ConfigWithDuplicateRules", "PUT",
       json{{"services", json::array({web_rule(), web_rule()})}}.dump(), 400, "services[1]",
       "duplicates"},
      {"ConfigUnknownField", "PUT", R"({"services":[],"extra":1})", 400, "extra", "unknown field"},
  };
}

// One xlbd for the whole suite, which ctest runs as one test (tests/api/CMakeLists.txt): every
// case proves its refusal changed nothing, so each finds the daemon as the last one left it —
// and 31 refusals in a row must leave the rule intact. (A start is about a second of verifier
// CPU; one per case made this suite a fifth of the API tests' time.)
class BadInputTest : public ::testing::TestWithParam<BadInput> {
 protected:
  static void SetUpTestSuite() {
    if (skip_reason()) return;
    daemon_ = std::make_unique<DaemonFixture>();
    if (!daemon_->start({"--interfaces=v0"}, &start_error_)) return;
    // A rule that must survive every refused request untouched.
    json existing = web_rule();
    existing["port"] = 443;
    for (auto& ep : existing["endpoints"]) ep["port"] = 443;
    auto res = api_client().Post("/api/v1/loadbalancers", existing.dump(), "application/json");
    if (!res || res->status != 201) start_error_ = "the suite's rule was not created";
  }
  static void TearDownTestSuite() { daemon_.reset(); }
  void SetUp() override {
    if (auto why = skip_reason()) GTEST_SKIP() << *why;
    ASSERT_EQ(start_error_, "");
  }

  static inline std::unique_ptr<DaemonFixture> daemon_;
  static inline std::string start_error_;
};

TEST_P(BadInputTest, IsRefusedAndChangesNothing) {
  auto http = api_client();
  const json before = body_json(http.Get("/api/v1/config"));
  const json status_before = body_json(http.Get("/api/v1/loadbalancers"));
  ASSERT_EQ(before["services"].size(), 1u) << before.dump();

  const BadInput& c = GetParam();
  auto res = std::string(c.method) == "PUT"
                 ? http.Put("/api/v1/config", c.body, "application/json")
                 : http.Post("/api/v1/loadbalancers", c.body, "application/json");
  expect_error(res, c.status, c.field, c.message_part);

  EXPECT_EQ(body_json(http.Get("/api/v1/config")), before);
  auto status_after = body_json(api_client().Get("/api/v1/loadbalancers"));
  EXPECT_EQ(status_after["loadbalancers"][0]["id"], status_before["loadbalancers"][0]["id"]);
}

INSTANTIATE_TEST_SUITE_P(Api, BadInputTest, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace xlb::test
