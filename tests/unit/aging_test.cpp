#include "conntrack/aging.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <map>
#include <optional>
#include <tuple>

#include "common/ip.h"
#include "conntrack/tuple.h"
#include "ct_test_key.h"
#include "datapath/fake/fake_datapath.h"

namespace xlb {
namespace {

using Op = FakeDatapath::Op;

constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kNowS = 100000;  // the aging pass runs at this monotonic second
constexpr const char* kVip = "10.0.0.100";
constexpr uint16_t kVipPort = 80;
constexpr uint32_t kSvc = 1;

bool same_key(const xlb_ct_key& a, const xlb_ct_key& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// What a flow looks like: who, where to, how far along, and how long each side was silent.
struct FlowSpec {
  std::string client = "192.168.1.10";
  uint16_t client_port = 40000;
  std::string ep = "10.0.1.2";
  uint16_t ep_port = 8080;
  uint32_t svc_id = kSvc;
  uint16_t ep_idx = 0;
  uint8_t state = XLB_CT_EST;
  bool counted = true;  // XLB_CT_F_COUNTED on the orig entry
  uint64_t idle_s = 0;  // orig entry last seen this long before kNowS
  uint64_t reply_idle_s = 0;
  std::string snat = "10.0.0.250";  // fullnat only
  uint16_t snat_port = 1024;
};

// Both entries of a flow (reply absent for DSR), laid out as bpf/lib/flow.h start_*_flow
// writes them.
struct Flow {
  xlb_ct_key orig_key;
  xlb_ct_entry orig;
  std::optional<std::pair<xlb_ct_key, xlb_ct_entry>> reply;
};

xlb_ct_entry ct_entry(const FlowSpec& s, uint8_t dir, uint8_t mode, uint64_t idle_s) {
  xlb_ct_entry e;
  std::memset(&e, 0, sizeof e);
  e.dir = dir;
  e.state = s.state;
  e.mode = mode;
  e.svc_id = s.svc_id;
  e.ep_idx = s.ep_idx;
  e.created_ns = (kNowS - std::max(s.idle_s, s.reply_idle_s)) * kSec;
  e.last_seen_ns = (kNowS - idle_s) * kSec;
  if (dir == XLB_DIR_ORIG && s.counted) e.flags = XLB_CT_F_COUNTED;
  return e;
}

Flow orig_only(const FlowSpec& s, uint8_t mode) {
  Flow f;
  f.orig_key = ct_key(s.client, s.client_port, kVip, kVipPort);
  f.orig = ct_entry(s, XLB_DIR_ORIG, mode, s.idle_s);
  f.orig.nat_daddr = *parse_ipv4(s.ep);
  f.orig.nat_dport = htons(s.ep_port);
  return f;
}

// NAT: client:cport -> VIP:80 DNATs to ep:8080; ep:8080 -> client:cport SNATs back to VIP:80.
Flow nat_flow(const FlowSpec& s) {
  Flow f = orig_only(s, XLB_MODE_NAT);
  f.orig.flags |= XLB_CT_F_DNAT;
  xlb_ct_entry r = ct_entry(s, XLB_DIR_REPLY, XLB_MODE_NAT, s.reply_idle_s);
  r.flags = XLB_CT_F_SNAT;
  r.nat_saddr = *parse_ipv4(kVip);
  r.nat_sport = htons(kVipPort);
  f.reply = {ct_key(s.ep, s.ep_port, s.client, s.client_port), r};
  return f;
}

// FullNAT: the orig entry also rewrites the source to snat:sport; the endpoint answers that
// address, and the reply entry restores VIP:80 -> client:cport.
Flow fullnat_flow(const FlowSpec& s) {
  Flow f = orig_only(s, XLB_MODE_FULLNAT);
  f.orig.flags |= XLB_CT_F_SNAT | XLB_CT_F_DNAT;
  f.orig.nat_saddr = *parse_ipv4(s.snat);
  f.orig.nat_sport = htons(s.snat_port);
  xlb_ct_entry r = ct_entry(s, XLB_DIR_REPLY, XLB_MODE_FULLNAT, s.reply_idle_s);
  r.flags = XLB_CT_F_SNAT | XLB_CT_F_DNAT;
  r.nat_saddr = *parse_ipv4(kVip);
  r.nat_sport = htons(kVipPort);
  r.nat_daddr = *parse_ipv4(s.client);
  r.nat_dport = htons(s.client_port);
  f.reply = {ct_key(s.ep, s.ep_port, s.snat, s.snat_port), r};
  return f;
}

// DSR: one entry, no translation flags; the endpoint address rides in nat_daddr.
Flow dsr_flow(const FlowSpec& s) {
  FlowSpec same_port = s;
  same_port.ep_port = kVipPort;
  return orig_only(same_port, XLB_MODE_DSR);
}

class AgingTest : public ::testing::Test {
 protected:
  // syn_map: both entries in the embryonic-flow map, where a handshake under way lives.
  void add(const Flow& f, bool syn_map = false) {
    dp_.add_flow(f.orig_key, f.orig, syn_map);
    if (f.reply) dp_.add_flow(f.reply->first, f.reply->second, syn_map);
  }
  bool has(const xlb_ct_key& key) const {
    auto r = dp_.lookup_flow(key);
    return r.ok() && r->has_value();
  }
  bool has_orig(const Flow& f) const { return has(f.orig_key); }
  bool has_reply(const Flow& f) const { return f.reply && has(f.reply->first); }
  size_t entries() const {
    size_t n = 0;
    EXPECT_TRUE(dp_.for_each_flow([&](const CtFlow&) { return ++n, true; }).ok());
    return n;
  }
  uint32_t active(uint32_t svc, uint32_t ep) const { return *dp_.active_flows(svc, ep); }
  AgingReport run(std::vector<uint32_t> services = {kSvc}) {
    auto r = ager_.run_once(kNowS * kSec, services);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : AgingReport{};
  }

  FakeDatapath dp_;
  std::map<uint32_t, uint32_t> rule_timeout_s_;  // svc id -> --inatimeout
  CtAger ager_{dp_, CtTimeouts{}, [this](uint32_t svc) {
                 auto it = rule_timeout_s_.find(svc);
                 return it == rule_timeout_s_.end() ? 0u : it->second;
               }};
};

TEST(Tuple, PeerKeyPairsTheEntriesTheDatapathWrites) {
  for (const Flow& f : {nat_flow({}), fullnat_flow({})}) {
    ASSERT_TRUE(f.reply);
    EXPECT_TRUE(same_key(peer_key(f.orig_key, f.orig), f.reply->first)) << int(f.orig.mode);
    EXPECT_TRUE(same_key(peer_key(f.reply->first, f.reply->second), f.orig_key))
        << int(f.orig.mode);
  }
}

TEST_F(AgingTest, IdleNatFlowLosesBothEntries) {
  Flow idle = nat_flow({.client_port = 40001, .idle_s = 3601, .reply_idle_s = 3601});
  Flow live = nat_flow({.client_port = 40002, .idle_s = 3599, .reply_idle_s = 3599});
  add(idle);
  add(live);
  AgingReport r = run();
  EXPECT_EQ(r.flows, 2u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(r.orphans, 0u);
  EXPECT_FALSE(has_orig(idle));
  EXPECT_FALSE(has_reply(idle));
  EXPECT_TRUE(has_orig(live));
  EXPECT_TRUE(has_reply(live));
  EXPECT_EQ(entries(), 2u);
}

// A refused connection (closed, both entries in the syn map) expires; while the pass is still
// walking, the client reuses its port and the datapath starts a new flow under the same keys.
// The pass must delete what it judged, not the new flow (e2e fault_flapping: ports of refused
// connections come back after about 10 s, the closed state's timeout).
TEST(AgingRaceTest, AKeyTakenByANewFlowDuringThePassIsKept) {
  FakeDatapath dp;
  Flow refused = nat_flow({.state = XLB_CT_CLOSED, .idle_s = 11, .reply_idle_s = 11});
  Flow fresh = nat_flow({.state = XLB_CT_SYN_SENT});
  ASSERT_NE(refused.orig.created_ns, fresh.orig.created_ns);
  dp.add_flow(refused.orig_key, refused.orig, true);
  dp.add_flow(refused.reply->first, refused.reply->second, true);
  bool replaced = false;
  // The rule timeout is asked during the walk, once the refused flow's entry has been read.
  CtAger ager(dp, CtTimeouts{}, [&](uint32_t) {
    if (!replaced) {
      dp.add_flow(fresh.orig_key, fresh.orig, true);
      dp.add_flow(fresh.reply->first, fresh.reply->second, true);
      replaced = true;
    }
    return 0u;
  });
  auto r = ager.run_once(kNowS * kSec, {kSvc});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->expired, 1u) << "the refused flow was judged expired";
  auto orig = dp.lookup_flow(fresh.orig_key);
  auto reply = dp.lookup_flow(fresh.reply->first);
  ASSERT_TRUE(orig.ok() && orig->has_value()) << "the new flow's orig entry was deleted";
  ASSERT_TRUE(reply.ok() && reply->has_value()) << "the new flow's reply entry was deleted";
  EXPECT_EQ((*orig)->state, XLB_CT_SYN_SENT);
  EXPECT_EQ((*reply)->created_ns, fresh.reply->second.created_ns);
}

TEST_F(AgingTest, RecentReplyKeepsAFlowWhoseOrigIsIdle) {
  // A download: the client has been silent for hours, the endpoint still sends.
  Flow f = nat_flow({.idle_s = 7200, .reply_idle_s = 5});
  add(f);
  EXPECT_EQ(run().expired, 0u);
  EXPECT_TRUE(has_orig(f));
  EXPECT_TRUE(has_reply(f));
}

TEST_F(AgingTest, TimeoutDependsOnTheFlowState) {
  const std::map<uint8_t, uint64_t> limit_s = {
      {XLB_CT_SYN_SENT, 30}, {XLB_CT_EST, 3600}, {XLB_CT_TIME_WAIT, 30}, {XLB_CT_UDP_EST, 120}};
  uint16_t port = 40000;
  std::vector<std::pair<Flow, bool>> flows;  // flow, expected to survive
  for (auto [state, limit] : limit_s) {
    for (uint64_t idle : {limit - 1, limit + 1}) {
      Flow f =
          nat_flow({.client_port = port++, .state = state, .idle_s = idle, .reply_idle_s = idle});
      add(f);
      flows.emplace_back(f, idle < limit);
    }
  }
  EXPECT_EQ(run().expired, limit_s.size());
  for (const auto& [f, survives] : flows) {
    EXPECT_EQ(has_orig(f), survives) << "state " << int(f.orig.state) << " last seen "
                                     << kNowS - f.orig.last_seen_ns / kSec << " s ago";
  }
}

TEST_F(AgingTest, RuleInactiveTimeoutReplacesTheEstablishedTimeoutOnly) {
  rule_timeout_s_[kSvc] = 60;
  Flow est = nat_flow({.client_port = 40001, .idle_s = 61, .reply_idle_s = 61});
  Flow udp =
      nat_flow({.client_port = 40002, .state = XLB_CT_UDP_EST, .idle_s = 61, .reply_idle_s = 61});
  Flow syn = nat_flow({.client_port = 40003,
                       .state = XLB_CT_SYN_SENT,
                       .idle_s = 59,
                       .reply_idle_s = 59});  // keeps its 30 s
  Flow other_rule = nat_flow({.client_port = 40005,
                              .svc_id = 2,
                              .idle_s = 61,
                              .reply_idle_s = 61});  // no --inatimeout: one hour
  for (const Flow* f : {&est, &udp, &syn, &other_rule}) add(*f);
  EXPECT_EQ(run({kSvc, 2}).expired, 3u);
  EXPECT_FALSE(has_orig(est));
  EXPECT_FALSE(has_orig(udp));
  EXPECT_FALSE(has_orig(syn));
  EXPECT_TRUE(has_orig(other_rule));

  // A long --inatimeout keeps an established flow past the default hour.
  rule_timeout_s_[2] = 7200;
  Flow long_idle =
      nat_flow({.client_port = 40006, .svc_id = 2, .idle_s = 5000, .reply_idle_s = 5000});
  add(long_idle);
  EXPECT_EQ(run({kSvc, 2}).expired, 0u);
  EXPECT_TRUE(has_orig(long_idle));
}

TEST_F(AgingTest, DsrFlowHasOneEntryAndAgesAlone) {
  Flow idle = dsr_flow({.client_port = 40001, .idle_s = 3601});
  Flow live = dsr_flow({.client_port = 40002, .idle_s = 10});
  add(idle);
  add(live);
  AgingReport r = run();
  EXPECT_EQ(r.flows, 2u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(r.orphans, 0u);
  EXPECT_FALSE(has_orig(idle));
  EXPECT_TRUE(has_orig(live));
  EXPECT_EQ(active(kSvc, 0), 1u);
}

TEST_F(AgingTest, IdleNatFlowWhoseReplyWasEvictedGoesToo) {
  Flow f = nat_flow({.idle_s = 3601});
  dp_.add_flow(f.orig_key, f.orig);  // the LRU map dropped the reply entry
  AgingReport r = run();
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(entries(), 0u);
}

TEST_F(AgingTest, OrphanReplyEntriesAreRemoved) {
  Flow orphan = nat_flow({.client_port = 40001});
  Flow orphan_fnat = fullnat_flow({.client_port = 40002, .snat_port = 2000});
  Flow paired = nat_flow({.client_port = 40003});
  for (const Flow* f : {&orphan, &orphan_fnat}) dp_.add_flow(f->reply->first, f->reply->second);
  add(paired);
  AgingReport r = run();
  EXPECT_EQ(r.orphans, 2u);
  EXPECT_EQ(r.expired, 0u);
  EXPECT_FALSE(has_reply(orphan));
  EXPECT_FALSE(has_reply(orphan_fnat));
  EXPECT_TRUE(has_reply(paired));
  EXPECT_EQ(entries(), 2u);
}

TEST_F(AgingTest, ActiveFlowCountsAreRewrittenFromCountedSurvivors) {
  // svc 1: ep 0 has two live flows; ep 1 one live flow and one closed (no longer counted);
  // ep 2 only an expired flow; ep 3 nothing. Stale counts are overwritten.
  uint16_t port = 40000;
  auto flow = [&](uint16_t ep_idx, FlowSpec s = {}) {
    s.client_port = port++;
    s.ep_idx = ep_idx;
    add(nat_flow(s));
  };
  flow(0);
  flow(0, {.state = XLB_CT_SYN_SENT});
  flow(1);
  flow(1, {.state = XLB_CT_TIME_WAIT, .counted = false});
  flow(2, {.idle_s = 3601, .reply_idle_s = 3601});
  flow(5, {.svc_id = 3});  // a rule not listed: its counts are left alone
  // Stale counts, as if the datapath had lost updates; svc 2 has no flow at all.
  for (auto [svc, ep, count] :
       {std::tuple{kSvc, 0u, 9u}, {kSvc, 2u, 4u}, {kSvc, 3u, 1u}, {2u, 4u, 3u}, {3u, 5u, 7u}}) {
    ASSERT_TRUE(dp_.set_active_flows(svc, ep, count).ok());
  }

  run({kSvc, 2});
  EXPECT_EQ(active(kSvc, 0), 2u);
  EXPECT_EQ(active(kSvc, 1), 1u);
  EXPECT_EQ(active(kSvc, 2), 0u);
  EXPECT_EQ(active(kSvc, 3), 0u);
  EXPECT_EQ(active(2, 4), 0u);
  EXPECT_EQ(active(3, 5), 7u);
}

TEST_F(AgingTest, FullnatFlowPairsThroughItsSnatAddress) {
  Flow idle =
      fullnat_flow({.client_port = 40001, .idle_s = 3601, .reply_idle_s = 3601, .snat_port = 1024});
  Flow answering =
      fullnat_flow({.client_port = 40002, .idle_s = 3601, .reply_idle_s = 1, .snat_port = 1025});
  add(idle);
  add(answering);
  AgingReport r = run();
  EXPECT_EQ(r.flows, 2u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(r.orphans, 0u);
  EXPECT_FALSE(has_orig(idle));
  EXPECT_FALSE(has_reply(idle));
  EXPECT_TRUE(has_orig(answering));
  EXPECT_TRUE(has_reply(answering));
  EXPECT_EQ(active(kSvc, 0), 1u);
}

TEST_F(AgingTest, WalkFailureIsReportedAndDeletesNothing) {
  add(nat_flow({.idle_s = 3601, .reply_idle_s = 3601}));
  dp_.fail_next(Op::for_each_flow);
  auto r = ager_.run_once(kNowS * kSec, {kSvc});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::datapath);
  EXPECT_EQ(entries(), 2u);
}

// The aging pass's walk yields the summary of what it leaves behind.
TEST_F(AgingTest, SummaryCountsWhatThePassLeaves) {
  add(nat_flow({.client_port = 40001, .idle_s = 3601, .reply_idle_s = 3601}));  // expires
  add(nat_flow({.client_port = 40002, .state = XLB_CT_SYN_SENT}));
  add(fullnat_flow({.client_port = 40003, .snat_port = 1024}));
  add(fullnat_flow({.client_port = 40004, .snat_port = 1025}));
  add(fullnat_flow({.client_port = 40005, .ep = "10.0.1.3", .snat_port = 1024}));
  const CtSummary s = run().summary;
  EXPECT_EQ(s.capacity, uint32_t{XLB_DEFAULT_CT_SIZE});
  EXPECT_EQ(s.flows, 4u);
  EXPECT_EQ(s.entries, 8u) << "two entries per surviving flow; the expired pair is gone";
  EXPECT_EQ(s.flows_by_state, (std::map<std::string, uint64_t>{{"est", 3}, {"syn-sent", 1}}));
  EXPECT_EQ(s.flows_by_proto, (std::map<std::string, uint64_t>{{"tcp", 4}}));
  EXPECT_EQ(s.snat_ports, (std::map<std::string, uint64_t>{{"10.0.0.250", 3}}));
  EXPECT_EQ(s.snat_ports_by_target,
            (std::map<std::string, uint64_t>{{"10.0.0.250 -> 10.0.1.2:8080", 2},
                                             {"10.0.0.250 -> 10.0.1.3:8080", 1}}));
  EXPECT_EQ(s.snat_port_capacity, 31744u);
  EXPECT_EQ(s.computed_at_ns, kNowS * kSec);
  EXPECT_DOUBLE_EQ(s.fill_percent(), 100.0 * 8 / XLB_DEFAULT_CT_SIZE);
}

// Half-open flows live in the syn map: the pass ages them there like any other flow, and the
// summary reports their fill apart from the main map's.
TEST_F(AgingTest, SynMapFlowsAgeAndAreCountedApart) {
  dp_.set_ct_capacity(4096, 1024);
  Flow stale =
      nat_flow({.client_port = 40001, .state = XLB_CT_SYN_SENT, .idle_s = 31, .reply_idle_s = 31});
  Flow fresh = fullnat_flow({.client_port = 40002, .state = XLB_CT_SYN_RECV, .idle_s = 1});
  Flow est = nat_flow({.client_port = 40003});
  add(stale, /*syn_map=*/true);
  add(fresh, /*syn_map=*/true);
  add(est);
  AgingReport r = run();
  EXPECT_EQ(r.flows, 3u);
  EXPECT_EQ(r.expired, 1u);
  EXPECT_EQ(r.orphans, 0u) << "a syn-map reply entry finds its syn-map orig entry";
  EXPECT_FALSE(has_orig(stale));
  EXPECT_FALSE(has_reply(stale));
  EXPECT_TRUE(has_orig(fresh));
  EXPECT_TRUE(has_reply(fresh));
  EXPECT_EQ(active(kSvc, 0), 2u) << "half-open flows count for lc like any other";
  const CtSummary& s = r.summary;
  EXPECT_EQ(s.capacity, 4096u);
  EXPECT_EQ(s.syn_capacity, 1024u);
  EXPECT_EQ(s.entries, 2u) << "main map: the established flow";
  EXPECT_EQ(s.syn_entries, 2u) << "syn map: the surviving handshake";
  EXPECT_EQ(s.flows, 2u);
  EXPECT_EQ(s.flows_by_state, (std::map<std::string, uint64_t>{{"est", 1}, {"syn-recv", 1}}));
  EXPECT_DOUBLE_EQ(s.fill_percent(), 100.0 * 2 / 4096);
  EXPECT_DOUBLE_EQ(s.syn_fill_percent(), 100.0 * 2 / 1024);
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j.at("syn_capacity"), 1024);
  EXPECT_EQ(j.at("syn_entries"), 2);
  EXPECT_DOUBLE_EQ(j.at("syn_fill_percent").get<double>(), 100.0 * 2 / 1024);
}

// A reply entry left in the syn map after its orig entry went (LRU eviction under a flood) is
// an orphan like one in the main map.
TEST_F(AgingTest, SynMapOrphanReplyIsRemoved) {
  Flow f = nat_flow({.state = XLB_CT_SYN_SENT});
  dp_.add_flow(f.reply->first, f.reply->second, /*syn_map=*/true);
  AgingReport r = run();
  EXPECT_EQ(r.orphans, 1u);
  EXPECT_FALSE(has_reply(f));
  EXPECT_EQ(r.summary.syn_entries, 0u);
}

TEST_F(AgingTest, SummarizeConntrackWalksEverything) {
  add(nat_flow({.client_port = 40001, .idle_s = 3601, .reply_idle_s = 3601}));
  auto s = summarize_conntrack(dp_);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->flows, 1u) << "no aging here: idle flows still count";
  EXPECT_EQ(s->entries, 2u);
}

Flow with_seqs(Flow f, uint32_t client_next, uint32_t ep_next) {
  f.orig.seq_next = client_next;
  f.orig.seen = XLB_CT_SEEN_SEQ;
  f.reply->second.seq_next = ep_next;
  f.reply->second.seen = XLB_CT_SEEN_SEQ;
  return f;
}

TEST_F(AgingTest, ExpiringEstablishedTcpFlowsAreHandedOverForReset) {
  std::vector<ExpiredTcpFlow> handed;
  CtAger ager(
      dp_, CtTimeouts{}, [](uint32_t) { return 0u; },
      [&](const ExpiredTcpFlow& f) {
        // Still in the map: a racing packet keeps its translation until the reset.
        EXPECT_TRUE(has(f.orig_key));
        handed.push_back(f);
      });
  Flow est =
      with_seqs(nat_flow({.client_port = 40001, .idle_s = 3601, .reply_idle_s = 3601}), 1000, 5000);
  Flow live = with_seqs(nat_flow({.client_port = 40002}), 1, 2);
  Flow syn =
      nat_flow({.client_port = 40003, .state = XLB_CT_SYN_SENT, .idle_s = 31, .reply_idle_s = 31});
  Flow no_seq = nat_flow({.client_port = 40004, .idle_s = 3601, .reply_idle_s = 3601});
  for (const Flow& f : {est, live, syn, no_seq}) add(f);
  auto r = ager.run_once(kNowS * kSec, {kSvc});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->expired, 3u);
  ASSERT_EQ(handed.size(), 1u) << "only the established flow whose sequence numbers are known";
  EXPECT_TRUE(same_key(handed[0].orig_key, est.orig_key));
  EXPECT_EQ(handed[0].orig.seq_next, 1000u);
  EXPECT_EQ(handed[0].reply.seq_next, 5000u);
  EXPECT_FALSE(has_orig(est));
}

}  // namespace
}  // namespace xlb
