// Hosts' own health checks over the API and xlbctl: POST/GET/DELETE /api/v1/endpoints, saved
// with the rules, and in charge of the host in a rule without monitor.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

class EndpointProbes : public ApiTest {
 protected:
  httplib::Client http = api_client();

  httplib::Result post(const json& body) {
    return http.Post("/api/v1/endpoints", body.dump(), "application/json");
  }

  // Polls GET /api/v1/endpoints until ip's row has health state `state`.
  json wait_for_health(const std::string& ip, const std::string& state) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    json last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = http.Get("/api/v1/endpoints");
      if (res && res->status == 200) {
        const json body = body_json(res);  // named: a range-for over a temporary's member dangles
        for (const auto& r : body["endpoints"]) {
          if (r["ip"] == ip) last = r;
        }
        if (last.contains("health") && last["health"]["state"] == state) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << ip << " never became " << state << ", last row: " << last.dump();
    return last;
  }
};

TEST_F(EndpointProbes, CreateReplaceGetDeleteAndSavedInTheConfig) {
  const json probe = {{"ip", "10.0.1.2"},       {"type", "http"}, {"request", "/health"},
                      {"expect_status", "200"}, {"period", 1},    {"name", "b1"}};
  auto created = post(probe);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(body_json(created)["request"], "/health");
  EXPECT_EQ(body_json(created)["listed"], false);

  json replaced_body = probe;
  replaced_body["period"] = 2;
  auto replaced = post(replaced_body);
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->status, 200) << replaced->body;

  auto got = http.Get("/api/v1/endpoints/10.0.1.2");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200);
  EXPECT_EQ(body_json(got)["period"], 2.0);
  EXPECT_EQ(body_json(got)["type"], "http");
  const json saved = config()["endpoint_probes"];
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0]["name"], "b1");

  std::string error;
  ASSERT_TRUE(daemon().restart(&error)) << error;
  EXPECT_EQ(config()["endpoint_probes"], saved);

  auto deleted = http.Delete("/api/v1/endpoints/10.0.1.2");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204);
  EXPECT_TRUE(config()["endpoint_probes"].empty());
  expect_error(http.Delete("/api/v1/endpoints/10.0.1.2"), 404, "", "has no probe of its own");
  expect_error(http.Get("/api/v1/endpoints/10.0.1.2"), 404, "", "has no probe of its own");
  expect_error(http.Get("/api/v1/endpoints/10.0.1"), 400, "ip", "IPv4 or IPv6 address");
}

TEST_F(EndpointProbes, BadProbeIsRefusedNamingTheFieldAndChangesNothing) {
  ASSERT_EQ(post({{"ip", "10.0.1.2"}, {"type", "tcp"}})->status, 201);
  const json before = config();
  expect_error(post({{"ip", "10.0.1.2"}, {"type", "tcp"}, {"period", 0}}), 400, "period",
               "period must be from 0.1 to 3600 seconds");
  expect_error(post({{"ip", "10.0.1.2"}, {"type", "smtp"}}), 400, "type",
               "none, ping, tcp, udp, http, https");
  expect_error(post({{"ip", "10.0.1.2"}, {"type", "tcp"}, {"request", "/x"}}), 400, "request",
               "only used by http, https and udp");
  expect_error(post({{"ip", "10.0.1.2"}, {"type", "tcp"}, {"retry", 2}}), 400, "retry",
               "unknown field");
  EXPECT_EQ(config(), before);
}

TEST_F(EndpointProbes, HostProbeGovernsTheHostInARuleWithoutMonitor) {
  must_run({"ip", "addr", "add", "10.0.1.2/24", "dev", "v1"});
  auto rule = http.Post("/api/v1/loadbalancers", web_rule().dump(), "application/json");
  ASSERT_TRUE(rule);
  ASSERT_EQ(rule->status, 201) << rule->body;

  auto cli = xlbctl({"create", "endpoint", "10.0.1.2", "--probetype=tcp", "--period=0.2",
                     "--timeout=0.1", "--retries=1", "--name=api"});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(cli.out, "endpoint 10.0.1.2 probe tcp created\n");

  // Nothing listens on 10.0.1.2:8080 (the rule's target port): refused.
  json down = wait_for_health("10.0.1.2", "down");
  EXPECT_EQ(down["health"]["probe"], "tcp");
  EXPECT_EQ(down["health"]["name"], "api");
  EXPECT_EQ(down["health"]["period"], 0.2);
  auto table = xlbctl({"get", "ep", "-o", "wide"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("| 10.0.1.2 | api "), std::string::npos) << table.out;

  auto bad = xlbctl({"create", "endpoint", "10.0.1.2", "--probetype=tcp", "--retries=0"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("retries must be an integer from 1 to 100"), std::string::npos) << bad.err;

  auto removed = xlbctl({"delete", "endpoint", "10.0.1.2"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  auto res = http.Get("/api/v1/endpoints");
  ASSERT_TRUE(res);
  const json body = body_json(res);
  for (const auto& r : body["endpoints"]) EXPECT_FALSE(r.contains("health")) << r;
}

}  // namespace
}  // namespace xlb::test
