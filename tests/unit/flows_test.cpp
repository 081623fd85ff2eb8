#include "conntrack/flows.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "common/ip.h"
#include "ct_test_key.h"
#include "datapath/fake/fake_datapath.h"
#include "mem_store.h"
#include "reconcile/reconciler.h"

namespace xlb {
namespace {

xlb_ct_entry ct_entry(uint8_t dir, uint8_t state, uint32_t svc_id, uint64_t packets,
                      uint64_t bytes) {
  xlb_ct_entry e;
  std::memset(&e, 0, sizeof e);
  e.dir = dir;
  e.state = state;
  e.svc_id = svc_id;
  e.packets = packets;
  e.bytes = bytes;
  return e;
}

FlowFilter filter(std::string service, std::string vip = "", std::string client = "") {
  FlowFilter f;
  f.service = std::move(service);
  f.vip = std::move(vip);
  f.client = std::move(client);
  return f;
}

class FlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model::Service web;
    web.key = {"10.0.0.100", model::Protocol::tcp, 80};
    web.name = "web";
    web.endpoints = {{"10.0.1.2", 8080, 1, model::EndpointState::up},
                     {"10.0.1.3", 8080, 1, model::EndpointState::up}};
    ASSERT_TRUE(rec_.upsert(web).ok());  // id 0
    model::Service dns;
    dns.key = {"10.0.0.101", model::Protocol::udp, 53};
    dns.endpoints = {{"10.0.1.4", 53, 1, model::EndpointState::up}};
    ASSERT_TRUE(rec_.upsert(dns).ok());  // id 1

    // NAT flow, both directions.
    auto orig = ct_entry(XLB_DIR_ORIG, XLB_CT_EST, 0, 10, 1000);
    orig.flags = XLB_CT_F_DNAT;
    orig.nat_daddr = *parse_ipv4("10.0.1.2");
    orig.nat_dport = htons(8080);
    dp_.add_flow(ct_key("192.168.1.10", 40000, "10.0.0.100", 80), orig);
    auto reply = ct_entry(XLB_DIR_REPLY, XLB_CT_EST, 0, 8, 5000);
    reply.flags = XLB_CT_F_SNAT;  // reverse translation: source back to the VIP
    reply.nat_saddr = *parse_ipv4("10.0.0.100");
    reply.nat_sport = htons(80);
    dp_.add_flow(ct_key("10.0.1.2", 8080, "192.168.1.10", 40000), reply);

    // Full-NAT flow: client address replaced too; its reply is addressed to the SNAT address.
    auto fnat = ct_entry(XLB_DIR_ORIG, XLB_CT_SYN_SENT, 0, 1, 60);
    fnat.flags = XLB_CT_F_DNAT | XLB_CT_F_SNAT;
    fnat.nat_daddr = *parse_ipv4("10.0.1.3");
    fnat.nat_dport = htons(8080);
    fnat.nat_saddr = *parse_ipv4("10.0.0.250");
    fnat.nat_sport = htons(50000);
    dp_.add_flow(ct_key("192.168.1.11", 40001, "10.0.0.100", 80), fnat);
    dp_.add_flow(ct_key("10.0.1.3", 8080, "10.0.0.250", 50000),
                 ct_entry(XLB_DIR_REPLY, XLB_CT_SYN_SENT, 0, 2, 120));

    // UDP flow on an unnamed rule, no reply yet.
    auto udp = ct_entry(XLB_DIR_ORIG, XLB_CT_UDP_NEW, 1, 1, 70);
    udp.flags = XLB_CT_F_DNAT;
    udp.nat_daddr = *parse_ipv4("10.0.1.4");
    udp.nat_dport = htons(53);
    dp_.add_flow(ct_key("192.168.1.10", 5353, "10.0.0.101", 53, IPPROTO_UDP), udp);
  }

  FakeDatapath dp_;
  MemStore store_;
  Reconciler rec_{dp_, store_};
  RuleNameOf names_ = [this](uint32_t id) { return rec_.rule_name(id); };
};

TEST_F(FlowsTest, OneRowPerOrigEntryWithBothDirectionsCounted) {
  auto rows = list_flows(dp_, names_);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);

  FlowRow nat{"web", "10.0.0.100", "192.168.1.10",       80, 40000,
              "tcp", "est",        "dnat-10.0.1.2:8080", 18, 6000};
  EXPECT_EQ((*rows)[1], nat);

  FlowRow fnat{
      "web", "10.0.0.100", "192.168.1.11", 80,
      40001, "tcp",        "syn-sent",     "fnat-192.168.1.11->10.0.0.250:50000 -> 10.0.1.3:8080",
      3,     180};
  EXPECT_EQ((*rows)[2], fnat);

  FlowRow udp{"10.0.0.101:53/udp",
              "10.0.0.101",
              "192.168.1.10",
              53,
              5353,
              "udp",
              "udp-new",
              "dnat-10.0.1.4:53",
              1,
              70};
  EXPECT_EQ((*rows)[0], udp);
}

TEST_F(FlowsTest, AFlowLearnedFromThePeerIsMarked) {
  auto synced = ct_entry(XLB_DIR_ORIG, XLB_CT_EST, 0, 0, 0);
  synced.flags = XLB_CT_F_DNAT | XLB_CT_F_SYNCED;
  synced.nat_daddr = *parse_ipv4("10.0.1.2");
  synced.nat_dport = htons(8080);
  dp_.add_flow(ct_key("192.168.1.12", 40002, "10.0.0.100", 80), synced);
  auto rows = list_flows(dp_, names_, filter("", "", "192.168.1.12"));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_TRUE((*rows)[0].synced);
  auto local = list_flows(dp_, names_, filter("", "", "192.168.1.10"));
  ASSERT_EQ(local->size(), 2u);
  for (const auto& row : *local) EXPECT_FALSE(row.synced);
}

TEST_F(FlowsTest, FlowOfADeletedRuleIsNamedByItsTuple) {
  ASSERT_TRUE(rec_.remove({"10.0.0.100", model::Protocol::tcp, 80}).ok());
  auto rows = list_flows(dp_, names_, filter("10.0.0.100:80/tcp"));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);
}

TEST_F(FlowsTest, Filters) {
  EXPECT_EQ(list_flows(dp_, names_, filter("web"))->size(), 2u);
  EXPECT_EQ(list_flows(dp_, names_, filter("nope"))->size(), 0u);
  EXPECT_EQ(list_flows(dp_, names_, filter("", "10.0.0.101"))->size(), 1u);
  EXPECT_EQ(list_flows(dp_, names_, filter("", "", "192.168.1.10"))->size(), 2u);
  auto both = list_flows(dp_, names_, filter("web", "", "192.168.1.10"));
  ASSERT_EQ(both->size(), 1u);
  EXPECT_EQ((*both)[0].sport, 40000);
}

TEST_F(FlowsTest, RowsStreamOneByOneAndTheVisitCanStop) {
  std::vector<FlowRow> streamed;
  ASSERT_TRUE(for_each_flow_row(dp_, names_, {}, [&](const FlowRow& row) {
                streamed.push_back(row);
                return true;
              }).ok());
  auto listed = list_flows(dp_, names_);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(streamed.size(), listed->size());
  for (const auto& row : *listed) {
    EXPECT_NE(std::find(streamed.begin(), streamed.end(), row), streamed.end()) << row.src_ip;
  }
  size_t visits = 0;
  ASSERT_TRUE(
      for_each_flow_row(dp_, names_, {}, [&](const FlowRow&) { return ++visits < 2; }).ok());
  EXPECT_EQ(visits, 2u) << "returning false stops the walk";
}

TEST_F(FlowsTest, DumpErrorIsReported) {
  dp_.fail_next(FakeDatapath::Op::for_each_flow);
  auto rows = list_flows(dp_, names_);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().code, ErrorCode::datapath);
}

TEST(Flows, StateNames) {
  const char* names[] = {"syn-sent",  "syn-recv", "est",     "fin-wait", "close-wait",
                         "time-wait", "closed",   "udp-new", "udp-est",  "icmp"};
  for (uint8_t s = 0; s < XLB_CT_STATE_MAX; ++s) EXPECT_EQ(ct_state_name(s), names[s]);
  EXPECT_EQ(ct_state_name(XLB_CT_STATE_MAX), "unknown");
}

TEST(Flows, ToJson) {
  FlowRow row{"web", "10.0.0.100", "192.168.1.10",       80, 40000,
              "tcp", "est",        "dnat-10.0.1.2:8080", 18, 6000};
  auto j = to_json(row);
  EXPECT_EQ(j, nlohmann::json::parse(R"({"service":"web","dest_ip":"10.0.0.100",
    "src_ip":"192.168.1.10","dport":80,"sport":40000,"proto":"tcp","state":"est",
    "act":"dnat-10.0.1.2:8080","packets":18,"bytes":6000,"synced":false})"));
}

}  // namespace
}  // namespace xlb
