// The datapath answers for the VIP itself: ICMP echo and ARP, and nothing else.
#include "fixture.h"

namespace xlbtest {
namespace {

class ResponderTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install({}, make_svc(1, XLB_SEL_RR, endpoints(1)));
  }
  Bytes ping(const char* dst, uint8_t ttl) {
    Ip4 ip{kClient.ip, dst};
    ip.ttl = ttl;
    return icmp_echo_frame({kClient.mac, kLbCliMac, std::nullopt}, ip, 0x77, 3,
                           {'p', 'i', 'n', 'g', '!'});
  }
  Bytes arp(uint16_t op, const char* target) {
    return arp_frame({kClient.mac, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, std::nullopt}, op,
                     kClient.mac, kClient.ip, {0, 0, 0, 0, 0, 0}, target);
  }
};

TEST_F(ResponderTest, IcmpEchoToVipIsAnsweredInPlace) {
  Bytes req = ping(kVip, 17);
  Bytes reply = Rewrite(req).swap_macs().swap_addrs().icmp_type(0, 0).ttl(64).build();
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(req), reply));
  EXPECT_TRUE(XdpTook(XDP_TX));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_ECHO_REPLY, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(ResponderTest, IcmpEchoToOtherAddressIsUntouched) {
  Bytes req = ping(kEndpoints[0].ip, 17);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(req), req));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

TEST_F(ResponderTest, ArpRequestForVipIsAnswered) {
  Bytes req = arp(1, kVip);
  Bytes reply = arp_frame({kLbCliMac, kClient.mac, std::nullopt}, 2, kLbCliMac, kVip, kClient.mac,
                          kClient.ip);
  auto before = stats();
  Verdict v = from_client(req);
  EXPECT_TRUE(XdpTook(XDP_TX)) << "answered out of the ingress device";
  EXPECT_EQ(v.action, TC_ACT_REDIRECT);
  EXPECT_TRUE(FramesEqual(reply, v.frame));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ARP_REPLY, 1}}));
}

TEST_F(ResponderTest, ArpRequestForVipOnTheBackendSideUsesThatInterfaceMac) {
  Bytes req = arp(1, kVip);
  Bytes reply =
      arp_frame({kLbBeMac, kClient.mac, std::nullopt}, 2, kLbBeMac, kVip, kClient.mac, kClient.ip);
  Verdict v = from_backend(req);
  EXPECT_EQ(v.action, TC_ACT_REDIRECT);
  EXPECT_TRUE(FramesEqual(reply, v.frame));
}

TEST_F(ResponderTest, ArpForOtherAddressIsUntouched) {
  Bytes req = arp(1, "10.0.1.1");
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(req), req));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_IP, 1}}));
}

TEST_F(ResponderTest, ArpOnUnregisteredInterfaceIsUntouched) {
  Bytes req = arp(1, kVip);
  EXPECT_TRUE(PassedUntouched(run(req, env().cli_peer_ifindex), req));
}

TEST_F(ResponderTest, ArpReplyForVipIsUntouched) {
  Bytes rep = arp(2, kVip);
  EXPECT_TRUE(PassedUntouched(from_client(rep), rep));
}

// HA: a BACKUP or FAULT node leaves ARP and ping for the VIPs to the kernel (which owns no VIP,
// so nobody here answers); MASTER answers as a lone node (NOT_DEFINED) does.
class HaResponderTest : public ResponderTest {
 protected:
  void set_ha(xlb_ha_state state) {
    ASSERT_TRUE(dp().set_ha_state(XLB_HA_DEFAULT_INSTANCE, state).ok());
  }
};

TEST_F(HaResponderTest, BackupAndFaultDoNotAnswerArpOrPingForTheVip) {
  for (xlb_ha_state state : {XLB_HA_BACKUP, XLB_HA_FAULT}) {
    set_ha(state);
    Bytes arp_req = arp(1, kVip);
    auto before = stats();
    EXPECT_TRUE(PassedUntouched(from_client(arp_req), arp_req)) << "state " << state;
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_IP, 1}}));
    Bytes echo = ping(kVip, 17);
    before = stats();
    EXPECT_TRUE(PassedUntouched(from_client(echo), echo)) << "state " << state;
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_RULE, 1}}));
  }
}

TEST_F(HaResponderTest, MasterAndNotDefinedAnswer) {
  for (xlb_ha_state state : {XLB_HA_BACKUP, XLB_HA_MASTER, XLB_HA_FAULT, XLB_HA_NOT_DEFINED}) {
    set_ha(state);
    const bool answers = state == XLB_HA_MASTER || state == XLB_HA_NOT_DEFINED;
    Verdict arp_v = from_client(arp(1, kVip));
    EXPECT_EQ(arp_v.action, answers ? TC_ACT_REDIRECT : TC_ACT_OK) << "state " << state;
    Verdict echo_v = from_client(ping(kVip, 17));
    EXPECT_EQ(echo_v.action, answers ? TC_ACT_REDIRECT : TC_ACT_OK) << "state " << state;
  }
}

TEST_F(HaResponderTest, BackupKeepsForwardingToTheVip) {
  set_ha(XLB_HA_BACKUP);
  Flow flow;
  const EpSpec ep{kEndpoints[0], 8080};
  Bytes syn = flow.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(syn), flow.to_endpoint(syn, ep)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
}

}  // namespace
}  // namespace xlbtest
