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

}  // namespace
}  // namespace xlbtest
