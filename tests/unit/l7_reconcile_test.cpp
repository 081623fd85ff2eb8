// fullproxy rules in the reconciler: one steering entry per VIP:port whatever the number of
// hosts, never an L4 entry, ports not shared with L4 rules, health pushed to the proxy.
#include <gtest/gtest.h>

#include "common/ip.h"
#include "datapath/fake/fake_datapath.h"
#include "mem_store.h"
#include "reconcile/abi.h"
#include "reconcile/reconciler.h"

namespace xlb {
namespace {

using model::EndpointState;
using model::Protocol;

model::Service l7_svc(const std::string& host, uint16_t port = 80) {
  model::Service s;
  s.key = {"20.20.20.1", Protocol::tcp, port, host};
  s.mode = model::Mode::fullproxy;
  s.endpoints = {{"10.1.2.10", 8080, 1, EndpointState::up},
                 {"10.1.2.11", 8080, 1, EndpointState::up}};
  return s;
}

class L7ReconcileTest : public ::testing::Test {
 protected:
  // The datapath entry of 20.20.20.1:port/tcp, or nullptr.
  const xlb_svc* entry(uint16_t port = 80) const {
    auto it = dp_.services().find(to_abi_key({"20.20.20.1", Protocol::tcp, port}));
    return it == dp_.services().end() ? nullptr : &it->second;
  }

  FakeDatapath dp_;
  MemStore store_;
  Reconciler rec_{dp_, store_};
};

TEST_F(L7ReconcileTest, HostsOfOnePortShareOneSteeringEntry) {
  std::vector<std::vector<model::Service>> pushed;
  rec_.set_on_l7_change([&pushed](std::vector<model::Service> rules) { pushed.push_back(rules); });
  ASSERT_TRUE(rec_.upsert(l7_svc("")).ok());
  ASSERT_TRUE(rec_.upsert(l7_svc("www.a.com")).ok());
  ASSERT_EQ(dp_.services().size(), 1u);
  ASSERT_NE(entry(), nullptr);
  EXPECT_EQ(entry()->mode, XLB_MODE_PROXY);
  EXPECT_EQ(entry()->nr_endpoints, 0);
  EXPECT_EQ(dp_.vips().at(*parse_ipv4("20.20.20.1")).rules, 2u);
  ASSERT_EQ(pushed.size(), 2u);
  EXPECT_EQ(pushed.back().size(), 2u);

  ASSERT_TRUE(rec_.remove(l7_svc("").key).ok());
  ASSERT_NE(entry(), nullptr) << "www.a.com still needs the port";
  ASSERT_TRUE(rec_.remove(l7_svc("www.a.com").key).ok());
  EXPECT_EQ(entry(), nullptr);
  EXPECT_TRUE(dp_.vips().empty());
  EXPECT_TRUE(pushed.back().empty());
}

TEST_F(L7ReconcileTest, L4AndL7RulesDoNotShareAPort) {
  ASSERT_TRUE(rec_.upsert(l7_svc("www.a.com")).ok());
  model::Service l4 = l7_svc("");
  l4.mode = model::Mode::nat;
  auto refused = rec_.upsert(l4);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().field, "mode");
  EXPECT_EQ(entry()->mode, XLB_MODE_PROXY);
}

TEST_F(L7ReconcileTest, ReplacingAnL4RuleByAFullproxyRuleAndBack) {
  model::Service l4 = l7_svc("");
  l4.mode = model::Mode::nat;
  ASSERT_TRUE(rec_.upsert(l4).ok());
  EXPECT_EQ(entry()->mode, XLB_MODE_NAT);
  ASSERT_TRUE(rec_.upsert(l7_svc("")).ok());
  EXPECT_EQ(entry()->mode, XLB_MODE_PROXY);
  ASSERT_TRUE(rec_.upsert(l4).ok());
  ASSERT_NE(entry(), nullptr);
  EXPECT_EQ(entry()->mode, XLB_MODE_NAT);
  EXPECT_EQ(entry()->nr_endpoints, 2);
}

TEST_F(L7ReconcileTest, HealthReachesTheProxyView) {
  std::vector<model::Service> last;
  rec_.set_on_l7_change([&last](std::vector<model::Service> rules) { last = std::move(rules); });
  model::Service s = l7_svc("");
  s.monitor = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  ASSERT_EQ(last.size(), 1u);
  // The monitored rule's default check of 10.1.2.11 (tcp to its target port).
  rec_.set_health("10.1.2.11:8080", false);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].endpoints[0].state, EndpointState::up);
  EXPECT_EQ(last[0].endpoints[1].state, EndpointState::down);
  EXPECT_EQ(rec_.l7_rules()[0].endpoints[1].state, EndpointState::down);
}

TEST_F(L7ReconcileTest, RestoreKeepsSteeringAndDropsStaleEntries) {
  ASSERT_TRUE(rec_.upsert(l7_svc("", 80)).ok());
  ASSERT_TRUE(rec_.upsert(l7_svc("", 81)).ok());
  // The store forgets port 81: the next xlbd restores port 80 only.
  model::Config cfg = *store_.saved;
  cfg.services.pop_back();
  store_.saved = cfg;
  Reconciler again(dp_, store_);
  ASSERT_TRUE(again.restore().ok());
  ASSERT_NE(entry(80), nullptr);
  EXPECT_EQ(entry(80)->mode, XLB_MODE_PROXY);
  EXPECT_EQ(entry(81), nullptr);
  ASSERT_EQ(again.config().services.size(), 1u);
  EXPECT_EQ(again.config().services[0].mode, model::Mode::fullproxy);
}

}  // namespace
}  // namespace xlb
