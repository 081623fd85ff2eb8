// The reconciler's health overlay with hosts' own probes, on_down=reset and fail_open, on
// FakeDatapath.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "common/ip.h"
#include "conntrack/tuple.h"
#include "datapath/fake/fake_datapath.h"
#include "mem_store.h"
#include "reconcile/abi.h"
#include "reconcile/reconciler.h"

namespace xlb {
namespace {

using model::EndpointState;

model::Service rule(uint16_t port, bool monitor, std::vector<std::string> ips) {
  model::Service s;
  s.key = {"10.0.0.100", model::Protocol::tcp, port};
  s.monitor = monitor;
  for (const auto& ip : ips) s.endpoints.push_back({ip, 8080, 1, EndpointState::up});
  return s;
}

model::EndpointProbe http_probe(const std::string& ip) {
  model::EndpointProbe p;
  p.ip = ip;
  p.probe.type = health::ProbeType::http;
  p.probe.request = "/health";
  return p;
}

class HealthOverlayTest : public ::testing::Test {
 protected:
  const xlb_svc& dp_svc(const model::Service& s) const {
    return dp_.services().at(to_abi_key(s.key));
  }
  uint8_t dp_state(const model::Service& s, const std::string& ip) const {
    const xlb_svc& svc = dp_svc(s);
    auto idx = find_endpoint(svc, {ip, 8080, 1, EndpointState::up});
    EXPECT_TRUE(idx) << ip;
    return idx ? svc.eps[*idx].state : 0xff;
  }
  // A NAT flow from client:sport to the rule's endpoint `ip`, both conntrack entries.
  void add_flow(const model::Service& s, const std::string& ip, uint16_t sport) {
    const xlb_svc& svc = dp_svc(s);
    xlb_ct_key orig{};
    orig.saddr = *parse_ipv4("10.1.1.10");
    orig.daddr = *parse_ipv4(s.key.vip);
    orig.sport = htons(sport);
    orig.dport = htons(s.key.port);
    orig.proto = IPPROTO_TCP;
    orig.family = XLB_AF_INET;
    xlb_ct_entry e{};
    e.nat_daddr = *parse_ipv4(ip);
    e.nat_dport = htons(8080);
    e.dir = XLB_DIR_ORIG;
    e.state = XLB_CT_EST;
    e.flags = XLB_CT_F_DNAT;
    e.svc_id = svc.id;
    e.ep_idx = static_cast<uint16_t>(*find_endpoint(svc, {ip, 8080, 1, EndpointState::up}));
    dp_.add_flow(orig, e);
    xlb_ct_key reply = peer_key(orig, e);
    xlb_ct_entry r = e;
    r.dir = XLB_DIR_REPLY;
    r.flags = 0;
    dp_.add_flow(reply, r);
  }
  size_t flows() const {
    size_t n = 0;
    (void)dp_.for_each_flow([&n](const CtFlow&) { return ++n, true; });
    return n;
  }

  FakeDatapath dp_;
  MemStore store_;
  Reconciler rec_{dp_, store_};
};

TEST_F(HealthOverlayTest, HostProbeGovernsUnmonitoredRulesAndIsSaved) {
  model::Service s = rule(80, false, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  rec_.set_health("10.0.1.3:8080", false);  // nothing governs it yet
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);

  ASSERT_TRUE(rec_.upsert_endpoint_probe(http_probe("10.0.1.3")).ok());
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_DOWN);  // the health already known applies
  ASSERT_TRUE(store_.saved);
  ASSERT_EQ(store_.saved->endpoint_probes.size(), 1u);
  EXPECT_EQ(store_.saved->endpoint_probes[0], http_probe("10.0.1.3"));
  EXPECT_EQ(rec_.config().endpoint_probes, store_.saved->endpoint_probes);

  rec_.set_health("10.0.1.3:8080", true);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);
}

TEST_F(HealthOverlayTest, HostProbeReplacesTheRuleDefaultAndRemovalRestoresIt) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  auto probe = http_probe("10.0.1.3");
  probe.probe.port = 8081;  // the host's probe port: its check id differs from the default
  ASSERT_TRUE(rec_.upsert_endpoint_probe(probe).ok());
  rec_.set_health("10.0.1.3:8080", false);  // the rule's default tcp check: not in charge
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);
  rec_.set_health("10.0.1.3:8081", false);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_DOWN);

  ASSERT_TRUE(rec_.remove_endpoint_probe("10.0.1.3").ok());
  EXPECT_TRUE(store_.saved->endpoint_probes.empty());
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_DOWN);  // back to the default check, which is down
  rec_.set_health("10.0.1.3:8080", true);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);

  auto missing = rec_.remove_endpoint_probe("10.0.1.3");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
}

TEST_F(HealthOverlayTest, ReplaceAllCarriesProbesAndARefusedOneKeepsTheOld) {
  model::Config cfg{{rule(80, false, {"10.0.1.2"})}, {http_probe("10.0.1.2")}};
  ASSERT_TRUE(rec_.replace_all(cfg).ok());
  EXPECT_EQ(rec_.config(), cfg);
  EXPECT_EQ(store_.saved, cfg);

  model::Config bad = cfg;
  bad.endpoint_probes.push_back(http_probe("10.0.1.2"));  // two probes for one host
  auto r = rec_.replace_all(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "endpoint_probes[1]");
  EXPECT_EQ(rec_.config(), cfg);

  store_.fail_next_save = true;  // refused late, by the store: probes roll back too
  EXPECT_FALSE(rec_.replace_all(model::Config{{rule(80, false, {"10.0.1.2"})}, {}}).ok());
  EXPECT_EQ(rec_.config(), cfg);
}

TEST_F(HealthOverlayTest, InvalidProbeChangesNothing) {
  ASSERT_TRUE(rec_.upsert(rule(80, false, {"10.0.1.2"})).ok());
  const int saves = store_.saves;
  const size_t writes = dp_.writes();
  auto probe = http_probe("10.0.1.2");
  probe.probe.period_s = 0;
  auto r = rec_.upsert_endpoint_probe(probe);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "period");
  EXPECT_EQ(store_.saves, saves);
  EXPECT_EQ(dp_.writes(), writes);
  EXPECT_FALSE(rec_.endpoint_probe("10.0.1.2"));
}

TEST_F(HealthOverlayTest, ProbeChangeRolledBackWhenTheStoreFails) {
  ASSERT_TRUE(rec_.upsert(rule(80, false, {"10.0.1.2"})).ok());
  store_.fail_next_save = true;
  EXPECT_FALSE(rec_.upsert_endpoint_probe(http_probe("10.0.1.2")).ok());
  EXPECT_FALSE(rec_.endpoint_probe("10.0.1.2"));
  EXPECT_TRUE(rec_.config().endpoint_probes.empty());
}

TEST_F(HealthOverlayTest, AllDownRefusesNewFlowsUnlessFailOpen) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  rec_.set_health("10.0.1.2:8080", false);
  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_EQ(dp_svc(s).nr_slots, 0);  // the datapath drops and counts drop_no_endpoint

  s.fail_open = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_state(s, "10.0.1.2"), XLB_EP_UP);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);
  EXPECT_GT(dp_svc(s).nr_slots, 0);

  rec_.set_health("10.0.1.3:8080", true);  // one healthy again: the down one leaves selection
  EXPECT_EQ(dp_state(s, "10.0.1.2"), XLB_EP_DOWN);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);
}

TEST_F(HealthOverlayTest, FailOpenNeverRevivesOperatorDrainedEndpoints) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  s.fail_open = true;
  s.endpoints[1].state = EndpointState::draining;
  ASSERT_TRUE(rec_.upsert(s).ok());
  rec_.set_health("10.0.1.2:8080", false);
  EXPECT_EQ(dp_state(s, "10.0.1.2"), XLB_EP_UP);  // the only one the operator left up
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_DRAINING);
}

TEST_F(HealthOverlayTest, FlowsToADownEndpointAreKeptByDefault) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  add_flow(s, "10.0.1.3", 40000);
  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_EQ(flows(), 2u);
}

TEST_F(HealthOverlayTest, OnDownResetDeletesBothEntriesOfThatEndpointsFlowsOnly) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  s.on_down = model::OnDown::reset;
  model::Service other = rule(81, true, {"10.0.1.3"});  // keep: its flows stay
  ASSERT_TRUE(rec_.upsert(s).ok());
  ASSERT_TRUE(rec_.upsert(other).ok());
  add_flow(s, "10.0.1.3", 40000);
  add_flow(s, "10.0.1.3", 40001);
  add_flow(s, "10.0.1.2", 40002);
  add_flow(other, "10.0.1.3", 40003);
  ASSERT_EQ(flows(), 8u);

  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_EQ(flows(), 4u);
  const uint32_t reset_rule = dp_svc(s).id;
  const auto down_idx = *find_endpoint(dp_svc(s), {"10.0.1.3", 8080, 1, EndpointState::up});
  (void)dp_.for_each_flow([&](const CtFlow& f) {
    EXPECT_FALSE(f.entry.svc_id == reset_rule && f.entry.ep_idx == down_idx);
    return true;
  });

  rec_.set_health("10.0.1.3:8080", true);  // coming back up resets nothing
  EXPECT_EQ(flows(), 4u);
}

TEST_F(HealthOverlayTest, OnDownResetSparesEndpointsKeptByFailOpen) {
  model::Service s = rule(80, true, {"10.0.1.3"});
  s.on_down = model::OnDown::reset;
  s.fail_open = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  add_flow(s, "10.0.1.3", 40000);
  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_EQ(dp_state(s, "10.0.1.3"), XLB_EP_UP);
  EXPECT_EQ(flows(), 2u);
}

TEST_F(HealthOverlayTest, ProbeStatusTellsWhetherARuleListsTheHost) {
  ASSERT_TRUE(rec_.upsert(rule(80, false, {"10.0.1.2"})).ok());
  ASSERT_TRUE(rec_.upsert_endpoint_probe(http_probe("10.0.1.9")).ok());
  ASSERT_TRUE(rec_.upsert_endpoint_probe(http_probe("10.0.1.2")).ok());
  auto ps = rec_.probe_status();
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_EQ(ps[0].probe.ip, "10.0.1.2");  // sorted by address
  EXPECT_TRUE(ps[0].listed);
  EXPECT_EQ(ps[1].probe.ip, "10.0.1.9");
  EXPECT_FALSE(ps[1].listed);
}

}  // namespace
}  // namespace xlb

namespace xlb {
namespace {

// What a node announces over BGP: VIPs with a rule able to take new flows.
TEST_F(HealthOverlayTest, ServingVipsFollowHealthFailOpenAndDeletion) {
  model::Service s = rule(80, true, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(rec_.serving_vips(), (std::set<std::string>{s.key.vip}));
  rec_.set_health("10.0.1.2:8080", false);
  EXPECT_EQ(rec_.serving_vips(), (std::set<std::string>{s.key.vip})) << "one endpoint left";
  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_TRUE(rec_.serving_vips().empty()) << "every endpoint down";
  s.fail_open = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(rec_.serving_vips(), (std::set<std::string>{s.key.vip})) << "fail open serves";
  ASSERT_TRUE(rec_.remove(s.key).ok());
  EXPECT_TRUE(rec_.serving_vips().empty());
}

}  // namespace
}  // namespace xlb
