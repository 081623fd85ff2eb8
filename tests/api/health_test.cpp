// Health checks in xlbd: a rule with monitor probes its endpoints (tcp, engine defaults) and
// GET /api/v1/endpoints shows the result; PATCH /api/v1/endpoints/{ip} drains an endpoint.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.h"
#include "tcp_listener.h"

namespace xlb::test {
namespace {

using nlohmann::json;

class Health : public ApiTest {
 protected:
  httplib::Client http = api_client();

  // The /api/v1/endpoints row of ip, or null.
  json row(const std::string& ip) {
    auto res = http.Get("/api/v1/endpoints");
    if (!res || res->status != 200) return nullptr;
    const json body = body_json(res);
    for (const auto& r : body["endpoints"]) {
      if (r["ip"] == ip) return r;
    }
    return nullptr;
  }

  // Polls until ip's health state is `state` (engine defaults: period 5 s, rise/fall 2).
  json wait_for_health(const std::string& ip, const std::string& state) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    json r;
    while (std::chrono::steady_clock::now() < deadline) {
      r = row(ip);
      if (r.is_object() && r.contains("health") && r["health"]["state"] == state) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    ADD_FAILURE() << ip << " never became " << state << ", last row: " << r.dump();
    return r;
  }
};

TEST_F(Health, MonitoredEndpointsShowRefusedAndOk) {
  must_run({"ip", "addr", "add", "10.0.1.2/24", "dev", "v1"});
  must_run({"ip", "addr", "add", "10.0.1.3/24", "dev", "v1"});
  TcpListener listening("10.0.1.3", 8080);
  ASSERT_TRUE(listening.ok());

  json rule = web_rule();
  rule["monitor"] = true;
  auto created = http.Post("/api/v1/loadbalancers", rule.dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;

  json down = wait_for_health("10.0.1.2", "down");
  EXPECT_EQ(down["health"]["last_error"], "connection refused");
  EXPECT_EQ(down["health"]["probe"], "tcp");
  EXPECT_EQ(down["health"]["period"], 5.0);
  EXPECT_EQ(down["health"]["retries"], 2);
  EXPECT_TRUE(down["health"]["last_transition"].is_string());
  EXPECT_EQ(down["state"], "up");  // the operator's state is not touched

  json ok = wait_for_health("10.0.1.3", "ok");
  EXPECT_TRUE(ok["health"]["avg_ms"].is_number());
  EXPECT_EQ(config()["services"][0]["endpoints"][0]["state"], "up");  // health is not saved
}

TEST_F(Health, UnmonitoredRulesHaveNoHealth) {
  auto created = http.Post("/api/v1/loadbalancers", web_rule().dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201);
  json r = row("10.0.1.2");
  ASSERT_TRUE(r.is_object());
  EXPECT_FALSE(r.contains("health"));
}

TEST_F(Health, PatchDrainsTheEndpointInEveryRule) {
  json second = web_rule();
  second["port"] = 81;
  second["name"] = "web2";
  for (const auto& rule : {web_rule(), second}) {
    auto res = http.Post("/api/v1/loadbalancers", rule.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 201) << res->body;
  }
  auto res =
      http.Patch("/api/v1/endpoints/10.0.1.3", R"({"state":"draining"})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(row("10.0.1.3")["state"], "draining");
  const auto saved = config();  // range-for over config()["services"] would use a dead temporary
  for (const auto& svc : saved["services"]) {
    EXPECT_EQ(svc["endpoints"][1]["state"], "draining") << svc.dump();
    EXPECT_EQ(svc["endpoints"][0]["state"], "up") << svc.dump();
  }

  res = http.Patch("/api/v1/endpoints/10.0.1.3", R"({"state":"up"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(row("10.0.1.3")["state"], "up");

  expect_error(http.Patch("/api/v1/endpoints/10.9.9.9", R"({"state":"up"})", "application/json"),
               404, "", "no rule lists endpoint 10.9.9.9");
  expect_error(
      http.Patch("/api/v1/endpoints/10.0.1.3", R"({"state":"sleepy"})", "application/json"), 400,
      "state", "draining");
  expect_error(http.Patch("/api/v1/endpoints/nope", R"({"state":"up"})", "application/json"), 400,
               "ip", "IPv4");
}

}  // namespace
}  // namespace xlb::test
