#include "reconcile/reconciler.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <functional>
#include <set>

#include "common/ip.h"
#include "datapath/fake/fake_datapath.h"
#include "mem_store.h"
#include "reconcile/abi.h"

namespace xlb {
namespace {

using model::EndpointState;
using model::Protocol;
using Op = FakeDatapath::Op;

model::Service rule(const std::string& vip, uint16_t port, std::vector<std::string> endpoint_ips,
                    uint16_t target_port = 8080) {
  model::Service s;
  s.key = {vip, Protocol::tcp, port};
  for (const auto& ip : endpoint_ips)
    s.endpoints.push_back({ip, target_port, 1, EndpointState::up});
  return s;
}

xlb_svc_key key_of(const model::Service& s) { return to_abi_key(s.key); }

class ReconcilerTest : public ::testing::Test {
 protected:
  const xlb_svc& dp_svc(const model::Service& s) const {
    auto it = dp_.services().find(key_of(s));
    EXPECT_NE(it, dp_.services().end()) << "no datapath rule for " << to_string(s.key);
    return it->second;
  }
  // eps[] index of ip:8080 in the datapath rule.
  int index_of(const model::Service& s, const std::string& ip, uint16_t port = 8080) const {
    auto idx = find_endpoint(dp_svc(s), {ip, port, 1, EndpointState::up});
    return idx ? *idx : -1;
  }
  uint32_t vip_rules(const std::string& vip) const {
    auto it = dp_.vips().find(*parse_ipv4(vip));
    return it == dp_.vips().end() ? 0 : it->second.rules;
  }

  FakeDatapath dp_;
  MemStore store_;
  Reconciler rec_{dp_, store_};
};

TEST_F(ReconcilerTest, CreateWritesRuleVipAndStore) {
  model::Service s = rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3"});
  s.endpoints[1].weight = 4;
  ASSERT_TRUE(rec_.upsert(s).ok());

  ASSERT_EQ(dp_.services().size(), 1u);
  const auto& [key, svc] = *dp_.services().begin();
  EXPECT_EQ(key.vip.w[0], htonl(0x0a000064));
  EXPECT_EQ(key.port, htons(80));
  EXPECT_EQ(key.proto, IPPROTO_TCP);
  EXPECT_EQ(key.family, XLB_AF_INET);
  EXPECT_EQ(svc.id, 0u);
  EXPECT_EQ(svc.mode, XLB_MODE_NAT);
  EXPECT_EQ(svc.select, XLB_SEL_RR);
  EXPECT_EQ(svc.nr_endpoints, 2);
  EXPECT_EQ(svc.eps[0].addr.w[0], htonl(0x0a000102));
  EXPECT_EQ(svc.eps[0].port, htons(8080));
  EXPECT_EQ(svc.eps[0].family, XLB_AF_INET);
  EXPECT_EQ(svc.eps[1].weight, 4);
  EXPECT_EQ(svc.eps[1].state, XLB_EP_UP);
  EXPECT_EQ(svc.nr_slots, 2);  // rr: once each, weights ignored
  EXPECT_EQ(svc.slots[0], 0);
  EXPECT_EQ(svc.slots[1], 1);

  EXPECT_EQ(vip_rules("10.0.0.100"), 1u);
  EXPECT_EQ(dp_.counter_resets(), std::vector<uint32_t>{0});
  ASSERT_TRUE(store_.saved);
  EXPECT_EQ(store_.saved->services, std::vector<model::Service>{s});
  EXPECT_EQ(rec_.config().services, std::vector<model::Service>{s});
}

TEST_F(ReconcilerTest, WeightedSelectionAndStatesShapeTheSlotTable) {
  model::Service s = rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3", "10.0.1.4"});
  s.select = model::Select::priority;
  s.endpoints[0].weight = 3;
  s.endpoints[2].state = EndpointState::down;
  ASSERT_TRUE(rec_.upsert(s).ok());
  const xlb_svc& svc = dp_svc(s);
  EXPECT_EQ(svc.select, XLB_SEL_PRIORITY);
  ASSERT_EQ(svc.nr_slots, 4);
  std::multiset<int> slots(svc.slots, svc.slots + svc.nr_slots);
  EXPECT_EQ(slots.count(0), 3u);
  EXPECT_EQ(slots.count(1), 1u);
  EXPECT_EQ(slots.count(2), 0u);
  EXPECT_EQ(svc.eps[2].state, XLB_EP_DOWN);
  EXPECT_EQ(svc.eps[2].weight, 1);  // operator weight kept; state keeps it out of the table
}

TEST_F(ReconcilerTest, IdsAreLowestFreeAndReplacedRulesKeepThem) {
  auto a = rule("10.0.0.1", 80, {"10.0.1.2"});
  auto b = rule("10.0.0.2", 80, {"10.0.1.2"});
  auto c = rule("10.0.0.3", 80, {"10.0.1.2"});
  for (auto* s : {&a, &b, &c}) ASSERT_TRUE(rec_.upsert(*s).ok());
  EXPECT_EQ(dp_svc(b).id, 1u);
  ASSERT_TRUE(rec_.remove(b.key).ok());
  EXPECT_FALSE(dp_.services().contains(key_of(b)));

  auto c2 = c;
  c2.endpoints.push_back({"10.0.1.9", 8080, 1, EndpointState::up});
  ASSERT_TRUE(rec_.upsert(c2).ok());
  EXPECT_EQ(dp_svc(c2).id, 2u);

  auto d = rule("10.0.0.4", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(d).ok());
  EXPECT_EQ(dp_svc(d).id, 1u);
  // Counters were reset for new ids only, never for the replaced rule.
  EXPECT_EQ(dp_.counter_resets(), (std::vector<uint32_t>{0, 1, 2, 1}));
}

TEST_F(ReconcilerTest, ReplaceKeepsEndpointIndexesAndRemovedEndpointsFreeTheirs) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());

  // Remove .1 and .2: .3 stays at index 2; indexes 0 and 1 become holes.
  auto only3 = rule("10.0.0.100", 80, {"10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(only3).ok());
  const xlb_svc& v = dp_svc(only3);
  EXPECT_EQ(index_of(only3, "10.0.1.3"), 2);
  EXPECT_EQ(v.nr_endpoints, 3);
  for (int hole : {0, 1}) {
    EXPECT_EQ(v.eps[hole].weight, 0);
    EXPECT_EQ(v.eps[hole].state, XLB_EP_DOWN);
  }
  ASSERT_EQ(v.nr_slots, 1);
  EXPECT_EQ(v.slots[0], 2);

  // New endpoints take the lowest free indexes; the kept one does not move.
  auto next = rule("10.0.0.100", 80, {"10.0.1.4", "10.0.1.3", "10.0.1.5"});
  ASSERT_TRUE(rec_.upsert(next).ok());
  EXPECT_EQ(index_of(next, "10.0.1.3"), 2);
  EXPECT_EQ(index_of(next, "10.0.1.4"), 0);
  EXPECT_EQ(index_of(next, "10.0.1.5"), 1);
  EXPECT_EQ(dp_svc(next).id, 0u);
  EXPECT_EQ(dp_.counter_resets(), std::vector<uint32_t>{0});

  // Same ip, new port is a different endpoint.
  auto ported = rule("10.0.0.100", 80, {"10.0.1.4", "10.0.1.3", "10.0.1.5"});
  ported.endpoints[1].port = 9090;
  ASSERT_TRUE(rec_.upsert(ported).ok());
  EXPECT_EQ(index_of(ported, "10.0.1.3", 9090), 2);  // freed index 2 reused for the new endpoint
  EXPECT_EQ(index_of(ported, "10.0.1.3", 8080), -1);
}

TEST_F(ReconcilerTest, IdenticalUpsertWritesNothingToTheDatapath) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  size_t writes = dp_.writes();
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_.writes(), writes);
}

// A POST touches only its rule: the datapath writes of creating, replacing and removing one
// rule are the same whether 1 or 200 other rules exist, and every other rule is left as it was.
TEST_F(ReconcilerTest, OneRuleChangeWritesOnlyThatRule) {
  auto writes_of = [this](const std::function<void()>& change) {
    size_t before = dp_.writes();
    change();
    return dp_.writes() - before;
  };
  auto lone = rule("10.1.0.1", 80, {"10.0.1.2"});
  size_t create = writes_of([&] { ASSERT_TRUE(rec_.upsert(lone).ok()); });
  size_t replace =
      writes_of([&] { ASSERT_TRUE(rec_.upsert(rule("10.1.0.1", 80, {"10.0.1.3"})).ok()); });
  size_t remove = writes_of([&] { ASSERT_TRUE(rec_.remove(lone.key).ok()); });

  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(rec_.upsert(rule("10.2.0." + std::to_string(i), 80, {"10.0.1.2"})).ok());
  }
  auto others = dp_.services();
  EXPECT_EQ(writes_of([&] { ASSERT_TRUE(rec_.upsert(lone).ok()); }), create);
  EXPECT_EQ(writes_of([&] { ASSERT_TRUE(rec_.upsert(rule("10.1.0.1", 80, {"10.0.1.3"})).ok()); }),
            replace);
  EXPECT_EQ(writes_of([&] { ASSERT_TRUE(rec_.remove(lone.key).ok()); }), remove);
  ASSERT_EQ(dp_.services().size(), others.size());
  for (const auto& [k, svc] : others) EXPECT_TRUE(same_bytes(dp_.services().at(k), svc));
  EXPECT_EQ(store_.saved->services.size(), 200u);
  EXPECT_EQ(rec_.status().size(), 200u);
}

TEST_F(ReconcilerTest, VipEntryCountsRulesAndGoesWithTheLast) {
  auto http = rule("10.0.0.100", 80, {"10.0.1.2"});
  auto https = rule("10.0.0.100", 443, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(http).ok());
  ASSERT_TRUE(rec_.upsert(https).ok());
  EXPECT_EQ(vip_rules("10.0.0.100"), 2u);
  ASSERT_TRUE(rec_.remove(http.key).ok());
  EXPECT_EQ(vip_rules("10.0.0.100"), 1u);
  ASSERT_TRUE(rec_.remove(https.key).ok());
  EXPECT_TRUE(dp_.vips().empty());
  EXPECT_TRUE(dp_.services().empty());
  EXPECT_TRUE(store_.saved->services.empty());
}

TEST_F(ReconcilerTest, RemoveUnknownRuleIsNotFound) {
  auto r = rec_.remove({"10.0.0.1", Protocol::udp, 53});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::not_found);
  EXPECT_EQ(r.error().message, "no rule for 10.0.0.1:53/udp");
}

TEST_F(ReconcilerTest, InvalidRuleChangesNothing) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.2"});
  s.endpoints[0].weight = 0;
  auto r = rec_.upsert(s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().field, "endpoints[0].weight");
  EXPECT_EQ(dp_.writes(), 0u);
  EXPECT_FALSE(store_.saved);
}

TEST_F(ReconcilerTest, EveryFeatureIsAccepted) {
  // Every mode, selection, ppv2 and endpoint health checks (issue 7) are built.
  auto s = rule("10.0.0.100", 80, {"10.0.1.2"});
  s.mode = model::Mode::fullnat;
  s.select = model::Select::maglev;
  s.ppv2 = true;
  s.monitor = true;
  EXPECT_TRUE(rec_.upsert(s).ok());
  model::Config cfg{{rule("10.0.0.1", 80, {"10.0.1.2"}), s}};
  EXPECT_TRUE(rec_.replace_all(cfg).ok());
}

TEST_F(ReconcilerTest, UnhealthyEndpointLeavesTheSlotTableWithoutSavingTheStore) {
  model::Service s = rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3"});
  s.monitor = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  const int saves = store_.saves;
  const int down = index_of(s, "10.0.1.3");

  rec_.set_health("10.0.1.3:8080", false);
  const xlb_svc& svc = dp_svc(s);
  EXPECT_EQ(svc.eps[down].state, XLB_EP_DOWN);
  EXPECT_EQ(index_of(s, "10.0.1.3"), down);  // keeps its index: existing flows continue
  std::multiset<int> slots(svc.slots, svc.slots + svc.nr_slots);
  EXPECT_EQ(slots.count(down), 0u);
  EXPECT_GT(slots.size(), 0u);
  EXPECT_EQ(store_.saves, saves);
  EXPECT_EQ(rec_.config().services[0].endpoints[1].state, EndpointState::up);  // not the config

  rec_.set_health("10.0.1.3:8080", true);
  const xlb_svc& back = dp_svc(s);
  EXPECT_EQ(back.eps[down].state, XLB_EP_UP);
  std::multiset<int> again(back.slots, back.slots + back.nr_slots);
  EXPECT_GT(again.count(down), 0u);
  EXPECT_EQ(store_.saves, saves);
}

TEST_F(ReconcilerTest, HealthOnlyAffectsMonitoredRules) {
  model::Service s = rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  const size_t writes = dp_.writes();
  rec_.set_health("10.0.1.3:8080", false);
  EXPECT_EQ(dp_svc(s).eps[index_of(s, "10.0.1.3")].state, XLB_EP_UP);
  EXPECT_EQ(dp_.writes(), writes);

  // Turning monitor on applies the health already known.
  s.monitor = true;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_svc(s).eps[index_of(s, "10.0.1.3")].state, XLB_EP_DOWN);
}

TEST_F(ReconcilerTest, EndpointStateIsSetInEveryRuleListingTheEndpoint) {
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3"})).ok());
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.101", 80, {"10.0.1.3"}, 9090)).ok());
  int changes = 0;
  rec_.set_on_change([&changes] { ++changes; });

  ASSERT_TRUE(rec_.set_endpoint_state("10.0.1.3", EndpointState::draining).ok());
  EXPECT_EQ(changes, 1);
  ASSERT_TRUE(store_.saved);
  for (const auto& svc : store_.saved->services) {
    for (const auto& ep : svc.endpoints) {
      EXPECT_EQ(ep.state, ep.ip == "10.0.1.3" ? EndpointState::draining : EndpointState::up);
    }
  }
  auto missing = rec_.set_endpoint_state("10.9.9.9", EndpointState::up);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::not_found);
  EXPECT_EQ(changes, 1);
}

TEST_F(ReconcilerTest, TooManyRules) {
  FakeDatapath small(2);
  MemStore store;
  Reconciler rec(small, store);
  ASSERT_TRUE(rec.upsert(rule("10.0.0.1", 80, {"10.0.1.2"})).ok());
  ASSERT_TRUE(rec.upsert(rule("10.0.0.2", 80, {"10.0.1.2"})).ok());
  auto r = rec.upsert(rule("10.0.0.3", 80, {"10.0.1.2"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "too many rules (max 2)");
  EXPECT_EQ(small.services().size(), 2u);
  // Replacing an existing rule still works when full.
  EXPECT_TRUE(rec.upsert(rule("10.0.0.2", 80, {"10.0.1.3"})).ok());
}

// Snapshot of everything a failed change must leave alone.
struct Snapshot {
  std::map<xlb_svc_key, xlb_svc, BytesLess> services;
  std::map<xlb_ip, xlb_vip_info, BytesLess> vips;
  std::optional<model::Config> saved;
  model::Config config;
};

class RollbackTest : public ReconcilerTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(rec_.upsert(rule("10.0.0.100", 80, {"10.0.1.2", "10.0.1.3"})).ok());
    ASSERT_TRUE(rec_.upsert(rule("10.0.0.101", 80, {"10.0.1.2"})).ok());
    before_ = snapshot();
  }
  Snapshot snapshot() const { return {dp_.services(), dp_.vips(), store_.saved, rec_.config()}; }
  void expect_unchanged() const {
    Snapshot now = snapshot();
    EXPECT_TRUE(std::equal(
        now.services.begin(), now.services.end(), before_.services.begin(), before_.services.end(),
        [](const auto& a, const auto& b) {
          return !BytesLess{}(a.first, b.first) && !BytesLess{}(b.first, a.first) &&
                 same_bytes(a.second, b.second);
        }))
        << "datapath services changed";
    ASSERT_EQ(now.vips.size(), before_.vips.size());
    for (auto [ip, info] : before_.vips) EXPECT_EQ(now.vips.at(ip).rules, info.rules);
    EXPECT_EQ(now.saved, before_.saved);
    EXPECT_EQ(now.config, before_.config);
  }

  Snapshot before_;
};

TEST_F(RollbackTest, DatapathFailureOnReplace) {
  dp_.fail_next(Op::upsert_service);
  auto r = rec_.upsert(rule("10.0.0.100", 80, {"10.0.1.9"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::datapath);
  expect_unchanged();
}

TEST_F(RollbackTest, VipFailureOnCreateRemovesTheNewRule) {
  dp_.fail_next(Op::upsert_vip);
  ASSERT_FALSE(rec_.upsert(rule("10.0.0.102", 80, {"10.0.1.2"})).ok());
  expect_unchanged();
}

TEST_F(RollbackTest, StoreFailureRevertsTheDatapath) {
  store_.fail_next_save = true;
  auto r = rec_.upsert(rule("10.0.0.100", 80, {"10.0.1.9"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::store);
  expect_unchanged();

  store_.fail_next_save = true;
  ASSERT_FALSE(rec_.remove({"10.0.0.101", Protocol::tcp, 80}).ok());
  expect_unchanged();
}

TEST_F(RollbackTest, ReplaceAllFailingHalfWayRevertsEveryStep) {
  model::Config cfg{{rule("10.0.0.100", 80, {"10.0.1.7"}), rule("10.0.0.200", 80, {"10.0.1.2"}),
                     rule("10.0.0.201", 80, {"10.0.1.2"})}};
  dp_.fail_next(Op::upsert_service, /*skip=*/2);  // the removal and two upserts succeed first
  ASSERT_FALSE(rec_.replace_all(cfg).ok());
  expect_unchanged();
  // And the same change goes through once the datapath recovers.
  ASSERT_TRUE(rec_.replace_all(cfg).ok());
  EXPECT_EQ(rec_.config(), cfg);
}

TEST_F(ReconcilerTest, ReplaceAllAppliesTheDiffAndIsIdempotent) {
  auto keep = rule("10.0.0.1", 80, {"10.0.1.2"});
  auto drop = rule("10.0.0.2", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(keep).ok());
  ASSERT_TRUE(rec_.upsert(drop).ok());
  int saves = store_.saves;

  auto added = rule("10.0.0.3", 80, {"10.0.1.2"});
  model::Config cfg{{added, keep}};
  ASSERT_TRUE(rec_.replace_all(cfg).ok());
  EXPECT_EQ(store_.saves, saves + 1);  // saved once
  EXPECT_FALSE(dp_.services().contains(key_of(drop)));
  EXPECT_EQ(dp_svc(keep).id, 0u);
  EXPECT_EQ(dp_svc(added).id, 1u);  // the id `drop` freed
  EXPECT_FALSE(dp_.vips().contains(*parse_ipv4("10.0.0.2")));
  // Listed in VIP order regardless of the order given.
  EXPECT_EQ(rec_.config().services, (std::vector<model::Service>{keep, added}));

  size_t writes = dp_.writes();
  ASSERT_TRUE(rec_.replace_all(cfg).ok());
  EXPECT_EQ(dp_.writes(), writes);

  auto dup = model::Config{{keep, keep}};
  EXPECT_EQ(rec_.replace_all(dup).error().field, "services[1]");
}

// DSR rules carry what the datapath did per endpoint (L2 or IPIP packets) and their sum.
TEST_F(ReconcilerTest, DsrStatusCarriesThePathCountersOfItsEndpoints) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.2", "10.0.9.2"}, 80);
  s.mode = model::Mode::dsr;
  ASSERT_TRUE(rec_.upsert(s).ok());
  auto nat = rule("10.0.0.101", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(nat).ok());
  const uint32_t id = rec_.status(s.key)->id;
  dp_.set_dsr_counter(id, index_of(s, "10.0.1.2", 80), {.l2 = 5, .ipip = 0});
  dp_.set_dsr_counter(id, index_of(s, "10.0.9.2", 80), {.l2 = 1, .ipip = 7});
  dp_.set_dsr_counter(rec_.status(nat.key)->id, 0, {.l2 = 3, .ipip = 3});  // not DSR: unread

  auto st = rec_.status(s.key);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->endpoints[0].dsr.l2, 5u);
  EXPECT_EQ(st->endpoints[1].dsr.ipip, 7u);
  EXPECT_EQ(st->dsr.l2, 6u);
  EXPECT_EQ(st->dsr.ipip, 7u);
  EXPECT_EQ(rec_.status(nat.key)->dsr.l2, 0u);
}

TEST_F(ReconcilerTest, StatusJoinsModelIdAndCounters) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  s.name = "web";
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.1", 80, {"10.0.1.2"})).ok());  // takes id 0
  ASSERT_TRUE(rec_.upsert(s).ok());
  auto trimmed = s;
  trimmed.endpoints.erase(trimmed.endpoints.begin());  // .2 and .3 keep indexes 1 and 2
  ASSERT_TRUE(rec_.upsert(trimmed).ok());
  dp_.set_service_counter(1, {100, 5000, 7});
  dp_.set_endpoint_counter(1, 2, {40, 2000, 3});

  auto st = rec_.status(trimmed.key);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->id, 1u);
  EXPECT_EQ(st->service, trimmed);
  EXPECT_EQ(st->counter.packets, 100u);
  EXPECT_EQ(st->counter.new_flows, 7u);
  ASSERT_EQ(st->endpoints.size(), 2u);
  EXPECT_EQ(st->endpoints[0].endpoint.ip, "10.0.1.2");
  EXPECT_EQ(st->endpoints[0].counter.packets, 0u);
  EXPECT_EQ(st->endpoints[1].endpoint.ip, "10.0.1.3");
  EXPECT_EQ(st->endpoints[1].counter.bytes, 2000u);

  EXPECT_EQ(rec_.status().size(), 2u);
  EXPECT_FALSE(rec_.status({"10.9.9.9", Protocol::tcp, 80}));
  EXPECT_EQ(rec_.rule_name(1), "web");
  EXPECT_FALSE(rec_.rule_name(7));
}

TEST_F(ReconcilerTest, RestoreReusesDatapathIdsAndRemovesStaleRules) {
  // A first daemon leaves rules in the (pinned) datapath and the store.
  auto a = rule("10.0.0.1", 80, {"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  auto b = rule("10.0.0.2", 80, {"10.0.1.2"});
  auto stale = rule("10.0.0.3", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(stale).ok());  // id 0
  ASSERT_TRUE(rec_.upsert(a).ok());      // id 1
  ASSERT_TRUE(rec_.upsert(b).ok());      // id 2
  auto a2 = a;
  a2.endpoints.erase(a2.endpoints.begin());  // holes at index 0
  ASSERT_TRUE(rec_.upsert(a2).ok());
  // The store lost `stale` and gained `fresh` (edited while the daemon was down).
  auto fresh = rule("10.0.0.4", 80, {"10.0.1.2"});
  store_.saved = model::Config{{a2, b, fresh}};
  dp_.set_service_counter(1, {10, 1000, 1});
  size_t resets = dp_.counter_resets().size();

  Reconciler restarted(dp_, store_);
  ASSERT_TRUE(restarted.restore().ok());
  EXPECT_EQ(restarted.config(), *store_.saved);
  EXPECT_EQ(dp_svc(a2).id, 1u);
  EXPECT_EQ(dp_svc(b).id, 2u);
  EXPECT_EQ(index_of(a2, "10.0.1.2"), 1);  // endpoint indexes survive the restart
  EXPECT_EQ(index_of(a2, "10.0.1.3"), 2);
  EXPECT_FALSE(dp_.services().contains(key_of(stale)));
  EXPECT_FALSE(dp_.vips().contains(*parse_ipv4("10.0.0.3")));
  EXPECT_EQ(dp_svc(fresh).id, 0u);  // lowest id not held by a kept rule
  EXPECT_EQ(vip_rules("10.0.0.4"), 1u);
  // Only the new rule's id was reset; adopted rules keep their counters.
  ASSERT_EQ(dp_.counter_resets().size(), resets + 1);
  EXPECT_EQ(dp_.counter_resets().back(), 0u);
  EXPECT_EQ(restarted.status(a2.key)->counter.packets, 10u);
}

TEST_F(ReconcilerTest, RestoreOfAnUnchangedDatapathRewritesNoRule) {
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.1", 80, {"10.0.1.2"})).ok());
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.1", 443, {"10.0.1.2"})).ok());
  auto before = dp_.services();
  Reconciler restarted(dp_, store_);
  size_t resets = dp_.counter_resets().size();
  ASSERT_TRUE(restarted.restore().ok());
  EXPECT_EQ(dp_.counter_resets().size(), resets);
  EXPECT_EQ(vip_rules("10.0.0.1"), 2u);
  for (const auto& [k, v] : before) EXPECT_TRUE(same_bytes(dp_.services().at(k), v));
}

TEST_F(ReconcilerTest, RestoreWithEmptyStoreClearsTheDatapath) {
  auto s = rule("10.0.0.1", 80, {"10.0.1.2"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  MemStore empty;
  Reconciler restarted(dp_, empty);
  ASSERT_TRUE(restarted.restore().ok());
  EXPECT_TRUE(dp_.services().empty());
  EXPECT_TRUE(dp_.vips().empty());
  EXPECT_TRUE(restarted.config().services.empty());
}

TEST_F(ReconcilerTest, RestoreFailureLeavesTheDatapathAlone) {
  ASSERT_TRUE(rec_.upsert(rule("10.0.0.1", 80, {"10.0.1.2"})).ok());
  store_.saved->services.push_back(rule("10.0.0.2", 80, {"10.0.1.2"}));
  auto before = dp_.services();
  dp_.fail_next(Op::upsert_service);
  Reconciler restarted(dp_, store_);
  ASSERT_FALSE(restarted.restore().ok());
  EXPECT_EQ(dp_.services().size(), before.size());
  EXPECT_TRUE(restarted.config().services.empty());
}

// --- Modes and Maglev tables ---

model::Service maglev_rule(std::vector<std::string> endpoint_ips, uint32_t size = 0) {
  model::Service s = rule("10.0.0.100", 80, std::move(endpoint_ips));
  s.select = model::Select::maglev;
  s.maglev_size = size;
  return s;
}

const xlb_svc* find_svc(const FakeDatapath& dp, const model::Service& s) {
  auto it = dp.services().find(key_of(s));
  return it == dp.services().end() ? nullptr : &it->second;
}

// The Maglev table the rule's value names (maglev_gen) with each entry shown as its endpoint's
// address; empty when the datapath holds no such table (or no rule).
std::vector<std::string> table_ips(const FakeDatapath& dp, const model::Service& s) {
  const xlb_svc* svc = find_svc(dp, s);
  if (!svc) return {};
  auto it = dp.maglev_tables().find(xlb_maglev_key(svc->id, svc->maglev_gen));
  if (it == dp.maglev_tables().end()) return {};
  std::vector<std::string> out;
  for (uint32_t idx : it->second) out.push_back(format_ip(svc->eps[idx].addr));
  return out;
}

// Every rule's table as the datapath uses it: rule id -> the table its value names.
std::map<uint32_t, std::vector<uint32_t>> tables_in_use(const FakeDatapath& dp) {
  std::map<uint32_t, std::vector<uint32_t>> out;
  for (const auto& [key, svc] : dp.services()) {
    auto it = dp.maglev_tables().find(xlb_maglev_key(svc.id, svc.maglev_gen));
    if (it != dp.maglev_tables().end()) out[svc.id] = it->second;
  }
  return out;
}

std::set<std::string> owners(const std::vector<std::string>& table) {
  return {table.begin(), table.end()};
}

TEST_F(ReconcilerTest, MaglevRuleGetsATableOfItsUpEndpoints) {
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"});
  s.endpoints[1].state = EndpointState::down;
  s.endpoints[2].state = EndpointState::draining;  // takes no new flow
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_svc(s).select, XLB_SEL_MAGLEV);
  EXPECT_EQ(dp_svc(s).maglev_size, 16381u);
  auto table = table_ips(dp_, s);
  EXPECT_EQ(table.size(), 16381u);
  EXPECT_EQ(owners(table), (std::set<std::string>{"10.0.1.1", "10.0.1.4"}));

  auto sized = maglev_rule({"10.0.1.1"}, 101);
  sized.key.port = 443;
  ASSERT_TRUE(rec_.upsert(sized).ok());
  EXPECT_EQ(dp_svc(sized).maglev_size, 101u);
  EXPECT_EQ(table_ips(dp_, sized), std::vector<std::string>(101, "10.0.1.1"));
  EXPECT_EQ(dp_.maglev_tables().size(), 2u);
}

TEST_F(ReconcilerTest, AChangedMaglevRuleMovesToItsOtherTableWrittenFirst) {
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  const uint8_t gen = dp_svc(s).maglev_gen;
  const auto old_table = table_ips(dp_, s);
  // A change: the rule names the other table, and the one it named before is left as it was
  // (a packet holding the previous rule value may still be reading it).
  s.endpoints[1].state = EndpointState::down;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_NE(dp_svc(s).maglev_gen, gen);
  EXPECT_EQ(owners(table_ips(dp_, s)), (std::set<std::string>{"10.0.1.1", "10.0.1.3"}));
  const auto& stale = dp_.maglev_tables().at(xlb_maglev_key(dp_svc(s).id, gen));
  EXPECT_EQ(stale.size(), old_table.size());
  // No change: the same value, the same table.
  const uint8_t now = dp_svc(s).maglev_gen;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_svc(s).maglev_gen, now);
}

TEST_F(ReconcilerTest, EndpointGoingDownLeavesTheTableAndOthersKeepTheirEntries) {
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  auto before = table_ips(dp_, s);
  s.endpoints[1].state = EndpointState::down;
  ASSERT_TRUE(rec_.upsert(s).ok());
  auto after = table_ips(dp_, s);
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(owners(after), (std::set<std::string>{"10.0.1.1", "10.0.1.3"}));
  size_t survivors_moved = 0;
  for (size_t i = 0; i < before.size(); ++i)
    survivors_moved += before[i] != "10.0.1.2" && before[i] != after[i];
  EXPECT_LE(survivors_moved, before.size() / 100);

  for (auto& ep : s.endpoints) ep.state = EndpointState::down;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_TRUE(dp_.maglev_tables().empty());  // no endpoint up: no table to name a dead one
}

TEST_F(ReconcilerTest, LeavingMaglevOrDeletingTheRuleClearsItsTable) {
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2"});
  auto other = maglev_rule({"10.0.1.1"});
  other.key.port = 443;
  ASSERT_TRUE(rec_.upsert(s).ok());
  ASSERT_TRUE(rec_.upsert(other).ok());

  s.select = model::Select::hash;
  ASSERT_TRUE(rec_.upsert(s).ok());
  EXPECT_EQ(dp_svc(s).maglev_size, 0u);
  EXPECT_TRUE(table_ips(dp_, s).empty());
  EXPECT_FALSE(table_ips(dp_, other).empty());

  uint32_t id = dp_svc(other).id;
  ASSERT_TRUE(rec_.remove(other.key).ok());
  EXPECT_FALSE(dp_.maglev_tables().contains(id));
  EXPECT_TRUE(dp_.maglev_tables().empty());
}

TEST_F(ReconcilerTest, NodesWithDifferentHistoriesBuildTheSameTable) {
  // Endpoint indexes depend on each node's history; the entries' owners must not, or two
  // LB nodes sharing the VIP send a flow to different endpoints.
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());

  FakeDatapath dp2;
  MemStore store2;
  Reconciler node2(dp2, store2);
  ASSERT_TRUE(node2.upsert(maglev_rule({"10.0.1.9", "10.0.1.3", "10.0.1.2", "10.0.1.1"})).ok());
  ASSERT_TRUE(node2.upsert(s).ok());
  ASSERT_NE(index_of(s, "10.0.1.1"), *find_endpoint(*find_svc(dp2, s), s.endpoints[0]));
  EXPECT_EQ(table_ips(dp2, s), table_ips(dp_, s));
}

TEST_F(ReconcilerTest, FailedChangesRestoreTheMaglevTable) {
  auto s = maglev_rule({"10.0.1.1", "10.0.1.2", "10.0.1.3"});
  ASSERT_TRUE(rec_.upsert(s).ok());
  const auto tables = tables_in_use(dp_);

  auto fewer = maglev_rule({"10.0.1.1", "10.0.1.2"}, 101);
  dp_.fail_next(Op::upsert_service);
  ASSERT_FALSE(rec_.upsert(fewer).ok());
  EXPECT_EQ(tables_in_use(dp_), tables);

  auto hashed = s;
  hashed.select = model::Select::hash;
  dp_.fail_next(Op::upsert_service);
  ASSERT_FALSE(rec_.upsert(hashed).ok());
  EXPECT_EQ(tables_in_use(dp_), tables);

  store_.fail_next_save = true;
  ASSERT_FALSE(rec_.remove(s.key).ok());
  EXPECT_EQ(tables_in_use(dp_), tables);

  auto fresh = maglev_rule({"10.0.1.5"});
  fresh.key.port = 443;
  dp_.fail_next(Op::upsert_vip);
  ASSERT_FALSE(rec_.upsert(fresh).ok());
  EXPECT_EQ(tables_in_use(dp_), tables);  // the new rule's table went with it
}

TEST(BuildSvc, CarriesModeOptions) {
  auto s = rule("10.0.0.100", 80, {"10.0.1.2"});
  s.mode = model::Mode::fullnat;
  s.snat = {"10.0.0.250", "10.0.0.251"};
  xlb_svc f = build_svc(s, 3, nullptr);
  EXPECT_EQ(f.mode, XLB_MODE_FULLNAT);
  ASSERT_EQ(f.nr_snat, 2);
  EXPECT_EQ(f.snat[0].w[0], htonl(0x0a0000fa));
  EXPECT_EQ(f.snat[1].w[0], htonl(0x0a0000fb));
  EXPECT_EQ(f.snat[2].w[0], 0u);
  EXPECT_EQ(f.flags, 0);
  EXPECT_EQ(f.persist_timeout_s, 300u);  // 0 = the documented default
  EXPECT_EQ(f.maglev_size, 0u);          // not maglev: no table

  auto d = rule("10.0.0.100", 80, {"10.0.1.2"}, 80);
  d.mode = model::Mode::dsr;
  d.dsr_ipip = true;
  d.select = model::Select::persist;
  d.persist_timeout_s = 42;
  xlb_svc v = build_svc(d, 3, nullptr);
  EXPECT_EQ(v.mode, XLB_MODE_DSR);
  EXPECT_EQ(v.select, XLB_SEL_PERSIST);
  EXPECT_EQ(v.flags, XLB_SVC_F_DSR_IPIP);
  EXPECT_EQ(v.nr_snat, 0);
  EXPECT_EQ(v.persist_timeout_s, 42u);

  d.ppv2 = true;  // flags combine (validation refuses ppv2 with dsr; build_svc just encodes)
  EXPECT_EQ(build_svc(d, 3, nullptr).flags, XLB_SVC_F_PPV2 | XLB_SVC_F_DSR_IPIP);

  auto m = maglev_rule({"10.0.1.2"});
  EXPECT_EQ(build_svc(m, 3, nullptr).maglev_size, 16381u);
  m.maglev_size = 65537;
  EXPECT_EQ(build_svc(m, 3, nullptr).maglev_size, 65537u);
}

}  // namespace
}  // namespace xlb
