// diagnose::collect against a fake datapath: the VIP's flows folded per endpoint (unanswered
// handshakes only once old enough, refusals from the reply entry's RST), other VIPs ignored,
// query parsing naming the field, and the addresses handed to the netlink fact finder.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

#include "common/ip.h"
#include "ct_test_key.h"
#include "datapath/fake/fake_datapath.h"
#include "diagnose/collect.h"
#include "mem_store.h"
#include "reconcile/abi.h"
#include "status/live_status.h"

namespace xlb::diagnose {
namespace {

constexpr uint64_t kSec = 1000000000ull;
constexpr uint64_t kNow = 1000 * kSec;

class CollectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::Service web;
    web.key = {"10.0.0.100", model::Protocol::tcp, 80};
    web.endpoints = {{"10.0.1.2", 8080, 1, model::EndpointState::up}};
    ASSERT_TRUE(rec_.upsert(web).ok());
  }
  // A NAT flow client:port -> vip:80 -> 10.0.1.2:8080 created `age_s` ago; the reply entry
  // has `reply_packets` packets and `reply_seen` flags.
  void nat_flow(uint16_t port, uint8_t state, double age_s, uint64_t reply_packets,
                uint8_t reply_seen, const std::string& vip = "10.0.0.100",
                uint8_t mode = XLB_MODE_NAT) {
    xlb_ct_entry o;
    std::memset(&o, 0, sizeof o);
    o.dir = XLB_DIR_ORIG;
    o.state = state;
    o.mode = mode;
    o.flags = XLB_CT_F_DNAT;
    o.nat_daddr = *parse_ipv4("10.0.1.2");
    o.nat_dport = htons(8080);
    o.created_ns = kNow - static_cast<uint64_t>(age_s * kSec);
    o.packets = 1;
    dp_.add_flow(ct_key("192.168.1.10", port, vip, 80), o);
    xlb_ct_entry r;
    std::memset(&r, 0, sizeof r);
    r.dir = XLB_DIR_REPLY;
    r.flags = XLB_CT_F_SNAT;
    r.nat_saddr = *parse_ipv4(vip);
    r.nat_sport = htons(80);
    r.packets = reply_packets;
    r.seen = reply_seen;
    dp_.add_flow(ct_key("10.0.1.2", 8080, "192.168.1.10", port), r);
  }
  Result<Snapshot> collect_for(const std::string& vip) {
    Sources src{status_,
                [this](std::vector<std::string> managed, const std::vector<std::string>& routes,
                       const std::vector<std::string>& neighbours) {
                  routes_asked_ = routes;
                  neighbours_asked_ = neighbours;
                  NetFacts f;
                  f.checked = true;
                  f.managed_interfaces = std::move(managed);
                  return f;
                }};
    return collect(src, *parse_query(vip, "80", "tcp"), kNow);
  }

  FakeDatapath dp_;
  MemStore store_;
  Reconciler rec_{dp_, store_};
  CtSummaryCache summaries_;  // no aging pass yet
  LiveStatus status_{rec_, dp_, summaries_, [] { return std::vector<std::string>{"eth0"}; }};
  std::vector<std::string> routes_asked_, neighbours_asked_;
};

TEST_F(CollectTest, FoldsTheVipsFlowsPerEndpoint) {
  nat_flow(40001, XLB_CT_EST, 60, 5, XLB_CT_SEEN_SEQ);
  nat_flow(40002, XLB_CT_SYN_SENT, 10, 0, 0);                                // stuck
  nat_flow(40003, XLB_CT_SYN_SENT, 0.5, 0, 0);                               // still handshaking
  nat_flow(40004, XLB_CT_CLOSED, 1, 1, XLB_CT_SEEN_RST);                     // refused
  nat_flow(40005, XLB_CT_CLOSED, 20, 9, XLB_CT_SEEN_SEQ | XLB_CT_SEEN_RST);  // reset later
  nat_flow(40006, XLB_CT_SYN_SENT, 10, 0, 0, "10.0.0.200");                  // another VIP
  auto s = collect_for("10.0.0.100");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->flows.size(), 1u);
  const EndpointFlows& ef = s->flows[0];
  EXPECT_EQ(ef.endpoint, "10.0.1.2");
  EXPECT_EQ(ef.port, 8080);
  EXPECT_EQ(ef.mode, model::Mode::nat);
  EXPECT_EQ(ef.flows, 5u);
  EXPECT_EQ(ef.unanswered, 1u);
  EXPECT_DOUBLE_EQ(ef.oldest_unanswered_s, 10);
  EXPECT_EQ(ef.refused, 1u);
  EXPECT_EQ(ef.by_state.at(XLB_CT_CLOSED), 2u);
  EXPECT_EQ(ef.clients, std::vector<std::string>{"192.168.1.10"});

  ASSERT_EQ(s->rules_on_vip.size(), 1u);
  ASSERT_TRUE(s->conntrack) << "no aging pass yet: collect summarizes itself";
  EXPECT_EQ(s->conntrack->flows, 6u);
  EXPECT_EQ(s->net.managed_interfaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(routes_asked_, (std::vector<std::string>{"10.0.1.2", "192.168.1.10"}));
  EXPECT_EQ(neighbours_asked_, std::vector<std::string>{"10.0.1.2"});
}

// The hooks come from the status (here LiveStatus over the fake datapath); only the interfaces
// on xdp have their veth peers looked at.
TEST_F(CollectTest, AttachHooksAndTheVethPeersOfXdpInterfaces) {
  dp_.add_interface("eth0", AttachHook::xdp);
  dp_.add_interface("eth1", AttachHook::tc);
  ASSERT_TRUE(dp_.attach("eth0").ok());
  ASSERT_TRUE(dp_.attach("eth1").ok());
  LiveStatus status(rec_, dp_, summaries_, {}, AttachRequest::automatic);
  std::vector<std::string> asked;
  Sources src{status, {}, {}, [&asked](const std::vector<std::string>& xdp) {
                asked = xdp;
                VethPeerFact f;
                f.ifname = xdp.at(0);
                f.checked = true;
                return std::vector<VethPeerFact>{f};
              }};
  auto s = collect(src, *parse_query("10.0.0.100", "80", "tcp"), kNow);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->attach.requested, AttachRequest::automatic);
  ASSERT_EQ(s->attach.interfaces.size(), 2u);
  EXPECT_EQ(s->attach.interfaces[0].ifname, "eth0");
  EXPECT_EQ(s->attach.interfaces[0].hook, AttachHook::xdp);
  EXPECT_EQ(s->attach.interfaces[1].hook, AttachHook::tc);
  EXPECT_EQ(asked, std::vector<std::string>{"eth0"});
  ASSERT_EQ(s->veth_peers.size(), 1u);
  EXPECT_EQ(s->veth_peers[0].ifname, "eth0");
}

// Counters land at their enumerator's index; a datapath counting fewer verdicts than this build
// knows leaves the rest at 0.
TEST_F(CollectTest, CountersAreIndexedByVerdict) {
  std::vector<uint64_t> values(XLB_STAT_FWD_NEW + 1, 0);  // an older datapath: fewer counters
  values[XLB_STAT_DROP_CT_FULL] = 9;
  values[XLB_STAT_FWD_NEW] = 4;
  dp_.set_datapath_counters(values);
  auto s = collect_for("10.0.0.100");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->counters[XLB_STAT_DROP_CT_FULL], 9u);
  EXPECT_EQ(s->counters[XLB_STAT_FWD_NEW], 4u);
  EXPECT_EQ(s->counters[XLB_STAT_PASS_DSR_REPLY], 0u);
}

// The CT entry's datapath mode becomes the model's mode, for every mode a rule can have.
TEST_F(CollectTest, FlowModeIsTheRulesMode) {
  const std::pair<model::Mode, std::string> cases[] = {{model::Mode::nat, "10.0.0.101"},
                                                       {model::Mode::fullnat, "10.0.0.102"},
                                                       {model::Mode::dsr, "10.0.0.103"}};
  for (const auto& [mode, vip] : cases) {
    model::Service svc;
    svc.mode = mode;
    nat_flow(40001, XLB_CT_EST, 60, 5, XLB_CT_SEEN_SEQ, vip, build_svc(svc, 0, nullptr).mode);
    auto s = collect_for(vip);
    ASSERT_TRUE(s.ok()) << s.error().message;
    ASSERT_EQ(s->flows.size(), 1u);
    EXPECT_EQ(s->flows[0].mode, mode) << model::to_string(mode);
  }
}

TEST_F(CollectTest, AnUnknownVipListsTheOthers) {
  auto s = collect_for("10.0.0.9");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->rules_on_vip.empty());
  EXPECT_EQ(s->other_vips, std::vector<std::string>{"10.0.0.100"});
}

TEST(ParseQuery, ErrorsNameTheField) {
  EXPECT_EQ(parse_query("10.0.0.1", "", "").value().describe(), "10.0.0.1");
  EXPECT_EQ(parse_query("10.0.0.1", "80", "udp").value().describe(), "10.0.0.1:80/udp");
  EXPECT_EQ(parse_query("10.0.0", "", "").error().field, "vip");
  EXPECT_EQ(parse_query("10.0.0.1", "65536", "").error().field, "port");
  EXPECT_EQ(parse_query("10.0.0.1", "8o", "").error().field, "port");
  EXPECT_EQ(parse_query("10.0.0.1", "80", "icmp").error().field, "proto");
}

}  // namespace
}  // namespace xlb::diagnose
