// Traffic the datapath must hand to the kernel unchanged, each counted under its reason.
#include "fixture.h"

namespace xlbtest {
namespace {

class PassTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(1, XLB_SEL_RR, endpoints(1)));
  }
  // The frame comes back unchanged with TC_ACT_OK, counted under `reason`, no flow created.
  void expect_passed(const Bytes& in, int reason) {
    auto before = stats();
    EXPECT_TRUE(PassedUntouched(from_client(in), in));
    EXPECT_TRUE(XdpTook(XDP_PASS)) << "XDP passes, TC counts";
    EXPECT_TRUE(StatsMoved(before, stats(), {{reason, 1}}));
    EXPECT_TRUE(flows().empty());
  }
  Bytes syn_with(const Ip4& ip, uint16_t dport = 80) {
    return tcp_frame(flow_.client_l2(), ip, flow_.cport, dport, tcpf::SYN, 1000, 0);
  }
  Flow flow_;
};

TEST_F(PassTest, TcpToNonVipIsUntouched) {
  expect_passed(syn_with({kClient.ip, kEndpoints[0].ip}), XLB_STAT_PASS_NOT_VIP);
}

TEST_F(PassTest, UdpToNonVipIsUntouched) {
  expect_passed(udp_frame(flow_.client_l2(), {kClient.ip, "10.0.1.1"}, 5000, 53, {1, 2, 3}),
                XLB_STAT_PASS_NOT_VIP);
}

TEST_F(PassTest, Ipv6ToNonVipIsUntouched) {
  expect_passed(ipv6_udp_frame(flow_.client_l2(), "fd00::1", "fd00::2", 5000, 80),
                XLB_STAT_PASS_NOT_VIP);
}

TEST_F(PassTest, VipPortWithoutRuleIsUntouched) {
  expect_passed(syn_with(flow_.client_ip(), 443), XLB_STAT_PASS_NO_RULE);
}

TEST_F(PassTest, VipProtocolWithoutRuleIsUntouched) {
  expect_passed(udp_frame(flow_.client_l2(), flow_.client_ip(), 5000, 80, {1}),
                XLB_STAT_PASS_NO_RULE);
}

TEST_F(PassTest, FirstFragmentIsUntouched) {
  Ip4 ip = flow_.client_ip();
  ip.dont_fragment = false;
  ip.more_fragments = true;
  expect_passed(syn_with(ip), XLB_STAT_PASS_FRAGMENT);
}

TEST_F(PassTest, LaterFragmentIsUntouched) {
  Ip4 ip = flow_.client_ip();
  ip.dont_fragment = false;
  ip.frag_offset = 185;
  expect_passed(syn_with(ip), XLB_STAT_PASS_FRAGMENT);
}

TEST_F(PassTest, TtlOneIsUntouched) {
  Ip4 ip = flow_.client_ip();
  ip.ttl = 1;
  expect_passed(syn_with(ip), XLB_STAT_PASS_TTL);
}

TEST_F(PassTest, TtlZeroIsUntouched) {
  Ip4 ip = flow_.client_ip();
  ip.ttl = 0;
  expect_passed(syn_with(ip), XLB_STAT_PASS_TTL);
}

// fullproxy: the VIP:port's steering entry hands every TCP segment (RSTs too) to the kernel
// with the proxy's mark, for the policy route and xlb_steer; nothing is tracked.
TEST_F(PassTest, FullproxyPortIsMarkedForTheProxy) {
  xlb_svc steering = make_svc(1, XLB_SEL_RR, {});
  steering.mode = XLB_MODE_PROXY;
  install(flow_.rule, steering);
  for (uint8_t flags : {tcpf::SYN, tcpf::ACK, tcpf::RST}) {
    const Bytes in = tcp_frame(flow_.client_l2(), flow_.client_ip(), flow_.cport, 80, flags, 1, 0);
    auto before = stats();
    const Verdict v = from_client(in);
    EXPECT_TRUE(XdpTook(XDP_PASS)) << "the mark lives in the skb";
    EXPECT_TRUE(PassedUntouched(v, in));
    EXPECT_EQ(v.mark, XLB_PROXY_MARK) << "flags " << int(flags);
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_PROXY, 1}}));
  }
  EXPECT_TRUE(flows().empty());
  // Other traffic keeps no mark.
  EXPECT_EQ(from_client(syn_with({kClient.ip, kEndpoints[0].ip})).mark, 0u);
}

}  // namespace
}  // namespace xlbtest
