#include "daemon/health_wiring.h"

#include <gtest/gtest.h>

#include "datapath/fake/fake_datapath.h"
#include "mem_store.h"

namespace xlb {
namespace {

using model::EndpointState;

model::Service rule(const std::string& name, uint16_t port, bool monitor,
                    std::vector<std::string> ips) {
  model::Service s;
  s.key = {"10.0.0.100", model::Protocol::tcp, port};
  s.name = name;
  s.monitor = monitor;
  for (const auto& ip : ips) s.endpoints.push_back({ip, 8080, 1, EndpointState::up});
  return s;
}

TEST(ProbeTargets, OneTcpProbePerMonitoredEndpointWithItsRules) {
  model::Config cfg{{rule("web", 80, true, {"10.0.1.2", "10.0.1.3"}),
                     rule("alt", 81, true, {"10.0.1.3"}), rule("plain", 82, false, {"10.0.1.9"})}};
  auto targets = probe_targets(cfg);
  ASSERT_EQ(targets.size(), 2u);
  const ProbeTarget& shared = targets.at("10.0.1.3:8080");
  EXPECT_EQ(shared.rules, (std::set<std::string>{"alt", "web"}));
  EXPECT_EQ(shared.spec.type, health::ProbeType::tcp);
  EXPECT_EQ(shared.spec.ip, "10.0.1.3");
  EXPECT_EQ(shared.spec.port, 8080);
  EXPECT_EQ(shared.spec.period_s, 5.0);
  EXPECT_EQ(shared.spec.timeout_s, 2.0);
  EXPECT_EQ(shared.spec.retries, 2);
  EXPECT_EQ(shared.spec.rise, 2);
  EXPECT_FALSE(targets.contains("10.0.1.9:8080"));
}

TEST(ProbeTargets, HostProbesOverrideRuleDefaultsAndRunBeforeAnyRuleListsTheHost) {
  model::EndpointProbe own;  // 10.0.1.3: http on each rule's target port
  own.ip = "10.0.1.3";
  own.name = "api";
  own.probe.type = health::ProbeType::http;
  own.probe.request = "/health";
  own.probe.period_s = 1;
  own.probe.timeout_s = 0.5;
  model::EndpointProbe alone;  // listed by no rule: probed on its own port
  alone.ip = "10.0.1.7";
  alone.probe.type = health::ProbeType::tcp;
  alone.probe.port = 22;
  model::EndpointProbe portless = alone;  // no port and no rule: nothing to probe yet
  portless.ip = "10.0.1.8";
  portless.probe.port = 0;
  model::Config cfg{
      {rule("web", 80, true, {"10.0.1.2", "10.0.1.3"}), rule("plain", 82, false, {"10.0.1.3"})},
      {own, alone, portless}};
  auto targets = probe_targets(cfg);
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets.at("10.0.1.2:8080").spec.type, health::ProbeType::tcp);
  const ProbeTarget& t = targets.at("10.0.1.3:8080");
  EXPECT_EQ(t.spec.type, health::ProbeType::http);
  EXPECT_EQ(t.spec.request, "/health");
  EXPECT_EQ(t.spec.period_s, 1.0);
  EXPECT_EQ(t.rules, (std::set<std::string>{"plain", "web"}));  // monitored or not
  EXPECT_EQ(targets.at("10.0.1.7:22").spec.ip, "10.0.1.7");
}

TEST(HealthWiring, FollowsConfigChangesAndShowsHealthInStatus) {
  FakeDatapath dp;
  MemStore store;
  Reconciler rec(dp, store);
  HealthWiring wiring(rec);
  ASSERT_TRUE(wiring.start().ok());

  ASSERT_TRUE(rec.upsert(rule("web", 80, true, {"127.0.0.1"})).ok());
  auto st = rec.status();
  ASSERT_EQ(st.size(), 1u);
  ASSERT_TRUE(st[0].endpoints[0].health);
  EXPECT_EQ(st[0].endpoints[0].health->probe, "tcp");
  EXPECT_EQ(st[0].endpoints[0].health->period_s, 5.0);

  ASSERT_TRUE(rec.upsert(rule("web", 80, false, {"127.0.0.1"})).ok());
  EXPECT_FALSE(rec.status()[0].endpoints[0].health);
}

}  // namespace
}  // namespace xlb
