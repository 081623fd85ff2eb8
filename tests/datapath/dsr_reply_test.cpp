// A DSR backend's reply that reaches the LB (the LB is the backend's route to its clients, so
// DSR saves nothing): passed to the kernel byte for byte, counted as pass_dsr_reply, no flow or
// rule counter touched. A packet from a NAT rule's VIP, or from a DSR VIP's port without a rule,
// is ordinary routed traffic (pass_not_vip).
#include "fixture.h"

namespace xlbtest {
namespace {

class DsrReplyTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_})));
  }
  // The backend's SYN+ACK to the client, from VIP:sport, arriving from the backend side.
  Bytes syn_ack_from_vip(uint16_t sport) const {
    return tcp_frame(flow_.endpoint_l2(ep_), {kVip, kClient.ip}, sport, flow_.cport,
                     tcpf::SYN | tcpf::ACK, 5000, 1001);
  }
  // Passed untouched from the backend side, counted under `reason` only; conntrack and the
  // rule's counters unchanged.
  void expect_passed(const Bytes& in, int reason) {
    const auto before = stats();
    const size_t flows_before = flows().size();
    const uint64_t rule_packets = svc_counter(kSvcId).packets;
    EXPECT_TRUE(PassedUntouched(from_backend(in), in));
    EXPECT_TRUE(StatsMoved(before, stats(), {{reason, 1}}));
    EXPECT_EQ(flows().size(), flows_before) << "a passed packet creates no flow";
    EXPECT_EQ(svc_counter(kSvcId).packets, rule_packets) << "nor counts for the rule";
  }
  static constexpr uint32_t kSvcId = 23;
  const EpSpec ep_{kEndpoints[0], 80};  // DSR: no port translation
  Flow flow_;
};

TEST_F(DsrReplyTest, TcpReplyFromTheVipOfAnOpenFlowIsPassedAndCounted) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  expect_passed(syn_ack_from_vip(80), XLB_STAT_PASS_DSR_REPLY);
}

TEST_F(DsrReplyTest, UdpReplyFromTheVipIsPassedAndCounted) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  install(udp.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {{kEndpoints[0], 53}})));
  expect_passed(udp_frame(udp.endpoint_l2(ep_), {kVip, kClient.ip}, 53, udp.cport, {'a', '1'}),
                XLB_STAT_PASS_DSR_REPLY);
}

TEST_F(DsrReplyTest, FromAPortOfTheVipWithoutARuleIsOrdinaryTraffic) {
  expect_passed(syn_ack_from_vip(81), XLB_STAT_PASS_NOT_VIP);
}

TEST_F(DsrReplyTest, FromTheVipOfANatRuleIsOrdinaryTraffic) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_HASH, endpoints(1, 80)));
  expect_passed(syn_ack_from_vip(80), XLB_STAT_PASS_NOT_VIP);
}

}  // namespace
}  // namespace xlbtest
