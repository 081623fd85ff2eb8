// Restart: rules come back with the same ids, and the pinned maps (counters) survive, so
// traffic keeps flowing while xlbd is down.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

extern "C" {
#include "xlb/abi/maps.h"
}

namespace xlb::test {
namespace {

using nlohmann::json;

uint64_t counter_sum(const json& stats) {
  uint64_t sum = 0;
  for (const auto& [name, value] : stats["datapath"].items()) sum += value.get<uint64_t>();
  return sum;
}

class Restart : public ApiTest {};

TEST_F(Restart, RulesComeBackAndThePinnedMapsAreNotReset) {
  auto http = api_client();
  json dns = web_rule();
  dns["protocol"] = "udp";
  dns["port"] = 53;
  dns["name"] = "dns";
  for (auto& ep : dns["endpoints"]) ep["port"] = 53;
  ASSERT_EQ(http.Post("/api/v1/loadbalancers", web_rule().dump(), "application/json")->status, 201);
  ASSERT_EQ(http.Post("/api/v1/loadbalancers", dns.dump(), "application/json")->status, 201);
  const json rules_before = body_json(http.Get("/api/v1/loadbalancers"));
  const json config_before = config();

  // Frames into v0's ingress (ARP and ping from the peer) move the datapath counters.
  must_run({"ip", "addr", "add", "10.0.0.2/24", "dev", "v1"});
  run({"ping", "-c", "2", "-i", "0.2", "-W", "1", "-I", "v1", "10.0.0.100"});
  const json stats_before = body_json(http.Get("/api/v1/stats"));
  ASSERT_GT(counter_sum(stats_before), 0u) << stats_before.dump();

  ASSERT_EQ(daemon().xlbd().terminate(), 0) << daemon().xlbd().log();
  // While xlbd is down the maps stay pinned and the program attached.
  EXPECT_TRUE(std::filesystem::exists(daemon().pin_dir() + "/xlb_svc_v1"));
  EXPECT_TRUE(std::filesystem::exists(daemon().pin_dir() + "/" XLB_MAP_DP_STATS));
  // The program runs from the pinned tcx link (this kernel has tcx; bpftool 7.1 says type 11).
  auto link = run({"bpftool", "link", "show", "pinned", daemon().pin_dir() + "/tcx_ingress_v0"});
  EXPECT_NE(link.out.find("type 11"), std::string::npos) << link.out << link.err;

  std::string error;
  ASSERT_TRUE(daemon().restart(&error)) << error;
  EXPECT_EQ(config(), config_before);
  const json rules_after = body_json(http.Get("/api/v1/loadbalancers"));
  ASSERT_EQ(rules_after["loadbalancers"].size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(rules_after["loadbalancers"][i]["id"], rules_before["loadbalancers"][i]["id"]);
  }
  const json stats_after = body_json(http.Get("/api/v1/stats"));
  for (const auto& [name, value] : stats_before["datapath"].items()) {
    EXPECT_GE(stats_after["datapath"][name].get<uint64_t>(), value.get<uint64_t>()) << name;
  }
}

}  // namespace
}  // namespace xlb::test
