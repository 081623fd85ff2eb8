// GET /api/v1/conntrack/summary and /api/v1/diagnose against a real xlbd: the answers' shape,
// the daemon's managed interface and rules in the report, and bad queries refused naming the
// field. (The findings themselves: tests/unit/diagnose_test.cpp and tests/e2e/diagnose_*.sh.)
#include <gtest/gtest.h>

#include <algorithm>

#include "harness.h"

namespace xlb::test {
namespace {

using nlohmann::json;

class DiagnoseApi : public ApiTest {
 protected:
  httplib::Client http = api_client();
};

TEST_F(DiagnoseApi, ConntrackSummaryHasCapacityAndCounts) {
  auto res = http.Get("/api/v1/conntrack/summary");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = body_json(res);
  EXPECT_GE(j["capacity"].get<uint64_t>(), 1024u);
  EXPECT_EQ(j["entries"], 0);
  EXPECT_EQ(j["flows"], 0);
  EXPECT_EQ(j["fill_percent"], 0.0);
  EXPECT_EQ(j["syn_capacity"], 1024) << "the harness's --ct-size=4096, a quarter";
  EXPECT_EQ(j["syn_entries"], 0);
  EXPECT_TRUE(j["flows_by_state"].is_object());
  EXPECT_EQ(j["snat_port_capacity"], 31744);
}

TEST_F(DiagnoseApi, ReportNamesTheRuleAndWhatWasChecked) {
  auto created = http.Post("/api/v1/loadbalancers", web_rule().dump(), "application/json");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;

  auto res = http.Get("/api/v1/diagnose?vip=10.0.0.100&port=80&proto=tcp");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = body_json(res);
  EXPECT_EQ(j["target"], "10.0.0.100:80/tcp");
  // The harness's namespace has no route to the rule's endpoints (10.0.1.x): that is the
  // problem named, per endpoint, rather than the lack of traffic that follows from it.
  EXPECT_FALSE(j["healthy"]) << "the endpoints are unroutable";
  std::vector<std::string> codes;
  for (const auto& f : j["findings"]) codes.push_back(f["code"]);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "no_route_endpoint"),
            static_cast<std::ptrdiff_t>(web_rule()["endpoints"].size()))
      << j.dump(2);
  EXPECT_EQ(std::find(codes.begin(), codes.end(), "not_attached"), codes.end())
      << "xlbd manages v0";
  EXPECT_FALSE(j["checked"].empty());

  auto missing = body_json(http.Get("/api/v1/diagnose?vip=10.0.0.100&port=81&proto=tcp"));
  EXPECT_EQ(missing["findings"][0]["code"], "no_rule") << missing.dump(2);
}

TEST_F(DiagnoseApi, BadQueriesNameTheField) {
  expect_error(http.Get("/api/v1/diagnose"), 400, "vip", "IPv4");
  expect_error(http.Get("/api/v1/diagnose?vip=10.0.0.300"), 400, "vip", "IPv4");
  expect_error(http.Get("/api/v1/diagnose?vip=10.0.0.100&port=0"), 400, "port", "1 to 65535");
  expect_error(http.Get("/api/v1/diagnose?vip=10.0.0.100&port=80x"), 400, "port", "1 to 65535");
  expect_error(http.Get("/api/v1/diagnose?vip=10.0.0.100&proto=sctp"), 400, "proto", "tcp or udp");
}

}  // namespace
}  // namespace xlb::test
