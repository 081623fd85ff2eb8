// The datapath answers for an IPv6 VIP as it does for an IPv4 one: Neighbor Solicitations with a
// Neighbor Advertisement (as ARP), ICMPv6 echo in place; only while HA lets it (MASTER or no
// state). The expected NA is written byte by byte from RFC 4861 here, its checksum computed by
// the tests' own code.
#include "fixture.h"

namespace xlbtest {
namespace {

class Responder6Test : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install({kVip6, 80, IPPROTO_TCP}, make_svc(1, XLB_SEL_RR, {{kEndpoints6[0], 8080}}));
  }
  void set_ha(xlb_ha_state state) {
    ASSERT_TRUE(dp().set_ha_state(XLB_HA_DEFAULT_INSTANCE, state).ok());
  }
  static Bytes solicit(const char* target, uint8_t hop_limit = 255) {
    Ip4 ip{kClient6.ip, "ff02::1:ff00:200"};  // the target's solicited-node group
    ip.ttl = hop_limit;
    return neighbor_solicit_frame({kClient6.mac, {0x33, 0x33, 0xff, 0, 0x02, 0}, std::nullopt}, ip,
                                  target, kClient6.mac);
  }
  // RFC 4861 4.4: from the VIP to the solicitor, hop limit 255, S and O set, the target
  // link-layer address option carrying `mac`.
  static Bytes advert(const Mac& mac) {
    Bytes f(kEthHeaderLen);
    std::copy(kClient6.mac.begin(), kClient6.mac.end(), f.begin());
    std::copy(mac.begin(), mac.end(), f.begin() + 6);
    f[12] = 0x86;
    f[13] = 0xdd;
    Bytes ip6 = {0x60, 0, 0, 0, 0, 32, 58, 255};
    f.insert(f.end(), ip6.begin(), ip6.end());
    for (const char* a : {kVip6, kClient6.ip}) {
      auto b = ip_bytes(a);
      f.insert(f.end(), b.begin(), b.end());
    }
    Bytes na = {136, 0, 0, 0, 0x60, 0, 0, 0};
    f.insert(f.end(), na.begin(), na.end());
    auto target = ip_bytes(kVip6);
    f.insert(f.end(), target.begin(), target.end());
    f.push_back(2);
    f.push_back(1);
    f.insert(f.end(), mac.begin(), mac.end());
    fix_checksums(f);
    return f;
  }
  static Bytes ping(const char* dst) {
    Ip4 ip{kClient6.ip, dst};
    ip.ttl = 17;
    return icmp6_echo_frame({kClient6.mac, kLbCliMac, std::nullopt}, ip, 128, 0x77, 3,
                            {'p', 'i', 'n', 'g', '6', '!'});
  }
};

TEST_F(Responder6Test, NeighborSolicitationForTheVipIsAnsweredWithAnAdvertisement) {
  Bytes ns = solicit(kVip6);
  ASSERT_TRUE(ChecksumsValid(ns));
  auto before = stats();
  Verdict v = from_client(ns);
  EXPECT_TRUE(Forwarded(v, advert(kLbCliMac)));
  EXPECT_TRUE(XdpTook(XDP_TX)) << "the frame rebuilt (tail adjusted) in XDP";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ARP_REPLY, 1}}));
}

TEST_F(Responder6Test, TheAdvertisementCarriesTheMacOfTheInterfaceItCameIn) {
  EXPECT_TRUE(Forwarded(from_backend(solicit(kVip6)), advert(kLbBeMac)));
}

TEST_F(Responder6Test, SolicitationsTheDatapathMustNotAnswerGoToTheKernel) {
  Bytes bad_checksum = solicit(kVip6);
  bad_checksum[kEthHeaderLen + 40 + 2] ^= 0x01;  // RFC 4861 7.1.1: silently discarded
  for (const Bytes& ns :
       {solicit(kVip6b), solicit(kEndpoints6[0].ip), solicit(kVip6, 64), bad_checksum}) {
    auto before = stats();
    EXPECT_TRUE(PassedUntouched(from_client(ns), ns));
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
  }
}

TEST_F(Responder6Test, OnlyAMasterOrALoneNodeAnswersForTheVip) {
  for (xlb_ha_state state : {XLB_HA_BACKUP, XLB_HA_FAULT}) {
    set_ha(state);
    Bytes ns = solicit(kVip6);
    EXPECT_TRUE(PassedUntouched(from_client(ns), ns)) << "NS in HA state " << state;
    Bytes req = ping(kVip6);
    auto before = stats();
    EXPECT_TRUE(PassedUntouched(from_client(req), req)) << "ping in HA state " << state;
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_RULE, 1}}));
  }
  set_ha(XLB_HA_MASTER);
  EXPECT_TRUE(Forwarded(from_client(solicit(kVip6)), advert(kLbCliMac)));
}

TEST_F(Responder6Test, EchoToTheVipIsAnsweredInPlace) {
  Bytes req = ping(kVip6);
  Bytes reply = Rewrite(req).swap_macs().swap_addrs().icmp_type(129, 0).ttl(64).build();
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(req), reply));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_ECHO_REPLY, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(Responder6Test, EchoToAnotherAddressIsUntouched) {
  Bytes req = ping(kEndpoints6[1].ip);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(req), req));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

}  // namespace
}  // namespace xlbtest
