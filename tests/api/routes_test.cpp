// The REST API's routes against a real xlbd over HTTP: create, replace, get, delete, config
// export/import, endpoints, conntrack, stats, health.
#include <gtest/gtest.h>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

class Routes : public ApiTest {
 protected:
  httplib::Client http = api_client();

  httplib::Result post(const json& rule) {
    return http.Post("/api/v1/loadbalancers", rule.dump(), "application/json");
  }
};

TEST_F(Routes, HealthzNamesTheManagedInterfaces) {
  auto res = http.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto j = body_json(res);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["interfaces"], json::array({"v0"}));
}

TEST_F(Routes, CreateThenReplaceKeepsTheId) {
  auto created = post(web_rule());
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto c = body_json(created);
  EXPECT_EQ(c["vip"], "10.0.0.100");
  EXPECT_EQ(c["endpoints"].size(), 2u);
  EXPECT_TRUE(c["counters"].contains("packets"));
  EXPECT_TRUE(c["counters"].contains("bytes"));
  EXPECT_TRUE(c["counters"].contains("new_flows"));
  EXPECT_TRUE(c["endpoints"][0]["counters"].contains("packets"));

  json changed = web_rule();
  changed["endpoints"].push_back({{"ip", "10.0.1.4"}, {"port", 8080}, {"weight", 3}});
  auto replaced = post(changed);
  ASSERT_TRUE(replaced);
  ASSERT_EQ(replaced->status, 200) << replaced->body;
  auto r = body_json(replaced);
  EXPECT_EQ(r["id"], c["id"]);
  EXPECT_EQ(r["endpoints"].size(), 3u);
  EXPECT_EQ(config()["services"].size(), 1u);
}

TEST_F(Routes, GetOneAndList) {
  ASSERT_EQ(post(web_rule())->status, 201);
  auto one = http.Get("/api/v1/loadbalancers/10.0.0.100/tcp/80");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(body_json(one)["name"], "web");

  auto list = http.Get("/api/v1/loadbalancers");
  ASSERT_TRUE(list);
  auto j = body_json(list);
  ASSERT_EQ(j["loadbalancers"].size(), 1u);
  EXPECT_EQ(j["loadbalancers"][0]["port"], 80);
}

TEST_F(Routes, DeleteThenGetIsNotFound) {
  ASSERT_EQ(post(web_rule())->status, 201);
  auto del = http.Delete("/api/v1/loadbalancers/10.0.0.100/tcp/80");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 204);
  expect_error(http.Get("/api/v1/loadbalancers/10.0.0.100/tcp/80"), 404, "", "no rule");
  expect_error(http.Delete("/api/v1/loadbalancers/10.0.0.100/tcp/80"), 404, "", "no rule");
  EXPECT_TRUE(config()["services"].empty());
}

TEST_F(Routes, PathKeysAreValidated) {
  expect_error(http.Get("/api/v1/loadbalancers/10.0.0.300/tcp/80"), 400, "vip", "IPv4 or IPv6");
  expect_error(http.Get("/api/v1/loadbalancers/2001:db8:::1/tcp/80"), 400, "vip", "IPv4 or IPv6");
  expect_error(http.Get("/api/v1/loadbalancers/10.0.0.1/sctp/80"), 400, "protocol", "tcp, udp");
  expect_error(http.Get("/api/v1/loadbalancers/10.0.0.1/tcp/0"), 400, "port", "1 to 65535");
  expect_error(http.Delete("/api/v1/loadbalancers/10.0.0.1/udp/65536"), 400, "port", "1 to 65535");
}

// IPv6 rules (issue 24): held and shown in RFC 5952 form, found by any form of the VIP in the
// path, exported and deleted like IPv4 ones; a rule mixing families is refused naming the field.
TEST_F(Routes, Ipv6RuleRoundTripsInItsCanonicalForm) {
  json rule = {{"vip", "2001:DB8:0::0100"},
               {"protocol", "tcp"},
               {"port", 80},
               {"mode", "fullnat"},
               {"snat", {"2001:db8:1::1"}},
               {"endpoints",
                {{{"ip", "2001:db8:1::10"}, {"port", 8080}},
                 {{"ip", "2001:0db8:1::11"}, {"port", 8080}, {"weight", 2}}}}};
  auto created = post(rule);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_EQ(body_json(created)["vip"], "2001:db8::100");
  EXPECT_EQ(body_json(created)["endpoints"][1]["ip"], "2001:db8:1::11");
  for (const char* path : {"/api/v1/loadbalancers/2001:db8::100/tcp/80",
                           "/api/v1/loadbalancers/2001:DB8:0:0:0:0:0:100/tcp/80"}) {
    auto one = http.Get(path);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->status, 200) << path << ": " << one->body;
  }
  EXPECT_EQ(config()["services"][0]["vip"], "2001:db8::100");

  json mixed = rule;
  mixed["port"] = 81;
  mixed["endpoints"][1]["ip"] = "10.0.1.3";
  expect_error(post(mixed), 400, "endpoints[1].ip", "share one family");
  EXPECT_EQ(config()["services"].size(), 1u) << "nothing changed";

  // NAT64: IPv4 endpoints and snat behind the IPv6 VIP, in fullnat only.
  json nat64 = mixed;
  nat64["endpoints"][0]["ip"] = "10.0.1.2";
  nat64["mode"] = "default";
  nat64.erase("snat");
  expect_error(post(nat64), 400, "mode", "needs --mode=fullnat");
  EXPECT_EQ(config()["services"].size(), 1u) << "nothing changed";
  nat64["mode"] = "fullnat";
  nat64["snat"] = {"10.0.1.1"};
  auto made = post(nat64);
  ASSERT_TRUE(made);
  ASSERT_EQ(made->status, 201) << made->body;
  auto listed = http.Get("/api/v1/loadbalancers/2001:db8::100/tcp/81");
  ASSERT_TRUE(listed);
  EXPECT_EQ(body_json(listed)["effective_mode"], "fullnat:nat64") << listed->body;
  auto gone = http.Delete("/api/v1/loadbalancers/2001:db8::100/tcp/81");
  ASSERT_TRUE(gone);
  EXPECT_LT(gone->status, 300) << gone->body;

  auto deleted = http.Delete("/api/v1/loadbalancers/2001:db8::100/tcp/80");
  ASSERT_TRUE(deleted);
  EXPECT_LT(deleted->status, 300) << deleted->body;
  EXPECT_EQ(config()["services"].size(), 0u);
}

TEST_F(Routes, ContentTypeIsNotRequired) {
  auto res = http.Post("/api/v1/loadbalancers", web_rule().dump(), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 201) << res->body;
}

TEST_F(Routes, EndpointsListEveryEndpointWithItsRule) {
  ASSERT_EQ(post(web_rule())->status, 201);
  auto res = http.Get("/api/v1/endpoints");
  ASSERT_TRUE(res);
  auto eps = body_json(res)["endpoints"];
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[1]["ip"], "10.0.1.3");
  EXPECT_EQ(eps[1]["weight"], 2);
  EXPECT_EQ(eps[1]["state"], "up");
  EXPECT_EQ(eps[1]["rule"]["name"], "web");
  EXPECT_EQ(eps[1]["rule"]["port"], 80);
  EXPECT_TRUE(eps[1]["counters"].contains("bytes"));
}

TEST_F(Routes, ConfigImportIsIdempotentAndExportRoundTrips) {
  json cfg = {{"services", json::array({web_rule()})}};
  json udp = web_rule();
  udp["protocol"] = "udp";
  udp["port"] = 53;
  udp["name"] = "dns";
  for (auto& ep : udp["endpoints"]) ep["port"] = 5353;
  cfg["services"].push_back(udp);

  auto first = http.Put("/api/v1/config", cfg.dump(), "application/json");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body;
  const json exported = config();
  const json ids = body_json(http.Get("/api/v1/loadbalancers"));

  auto second = http.Put("/api/v1/config", exported.dump(), "application/json");
  ASSERT_TRUE(second);
  ASSERT_EQ(second->status, 200) << second->body;
  EXPECT_EQ(config(), exported);
  auto again = body_json(http.Get("/api/v1/loadbalancers"));
  ASSERT_EQ(again["loadbalancers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(again["loadbalancers"][i]["id"], ids["loadbalancers"][i]["id"]);
  }

  auto cleared = http.Put("/api/v1/config", R"({"services":[]})", "application/json");
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->status, 200);
  EXPECT_TRUE(config()["services"].empty());
}

TEST_F(Routes, ConntrackListsFlowsAndValidatesFilters) {
  auto res = http.Get("/api/v1/conntrack?service=web&vip=10.0.0.100");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = body_json(res);
  EXPECT_EQ(j["count"], 0);
  EXPECT_TRUE(j["flows"].is_array());
  expect_error(http.Get("/api/v1/conntrack?client=nope"), 400, "client", "IPv4");
}

TEST_F(Routes, StatsNameEveryDatapathCounter) {
  auto res = http.Get("/api/v1/stats");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto counters = body_json(res)["datapath"];
  for (const char* name : {"pass_not_ip", "pass_not_vip", "pass_no_rule", "fwd_new", "fwd_est",
                           "drop_ct_full", "drop_no_endpoint"}) {
    EXPECT_TRUE(counters.contains(name)) << name;
  }
}

TEST_F(Routes, UnknownRouteIsAJsonNotFound) {
  expect_error(http.Get("/api/v1/nope"), 404, "", "no route GET /api/v1/nope");
  expect_error(http.Put("/api/v1/loadbalancers", "{}", "application/json"), 404, "",
               "no route PUT");
}

}  // namespace
}  // namespace xlb::test
