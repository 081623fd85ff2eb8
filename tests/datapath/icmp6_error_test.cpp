// ICMPv6 errors about balanced IPv6 flows, Packet Too Big above all: an error from the
// endpoint's side quotes the translated packet and is addressed to what the endpoint saw (the
// client in NAT66, the SNAT address in FullNAT66). The client must get an error about the
// packet it sent: from the VIP (when the endpoint itself complains; a router keeps its
// address), quoting client:cport -> VIP:vport, the ICMPv6 checksum (pseudo-header and quote)
// and the quoted L4 checksum valid. Errors quoting no tracked flow are the kernel's.
#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint8_t kIcmp6PacketTooBig = 2, kIcmp6TimeExceeded = 3;

class Icmp6ErrorTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(16, XLB_SEL_RR, {web_}));
  }
  // Forwards `in` from the client and returns the frame the endpoint received.
  Bytes forwarded(const Flow& f, const Bytes& in) {
    Verdict v = from_client(in);
    EXPECT_TRUE(Forwarded(v, f.to_endpoint(in, web_)));
    return v.frame;
  }
  // An error from `from` (backend side) to the address the endpoint saw, quoting `quote`.
  static Bytes error_from(const Flow& f, const Host& from, uint8_t type, uint32_t mtu,
                          const Bytes& quote) {
    return icmp6_error_frame({from.mac, kLbBeMac, std::nullopt}, Ip4{from.ip, f.peer_ip()}, type, 0,
                             mtu, quote);
  }
  // What the client must receive: the error from `src`, hop limit - 1, quoting `quote`.
  static Bytes error_to_client(const Flow& f, const char* src, uint8_t type, uint32_t mtu,
                               const Bytes& quote) {
    Ip4 ip{src, f.client.ip};
    ip.ttl = 63;
    return icmp6_error_frame({kLbCliMac, f.client.mac, std::nullopt}, ip, type, 0, mtu, quote);
  }
  // The client's packet as the endpoint's side got it but for the translation: hop limit - 1.
  static Bytes as_sent_one_hop_on(const Bytes& in) { return Rewrite(in).dec_ttl().build(); }

  const EpSpec web_{kEndpoints6[0], 8080};
  Flow flow_ = v6_flow();
};

TEST_F(Icmp6ErrorTest, PacketTooBigFromTheEndpointReachesTheClientFromTheVip) {
  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(200, 0x33));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  Bytes at_endpoint = forwarded(flow_, data);
  Bytes in = error_from(flow_, web_.host, kIcmp6PacketTooBig, 1280, ip_packet(at_endpoint));
  ASSERT_TRUE(ChecksumsValid(in));
  auto before = stats();
  Verdict v = from_backend(in);
  EXPECT_TRUE(Forwarded(v, error_to_client(flow_, kVip6, kIcmp6PacketTooBig, 1280,
                                           ip_packet(as_sent_one_hop_on(data)))));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}}));
}

TEST_F(Icmp6ErrorTest, ARoutersErrorKeepsTheRoutersAddressAndACutQuoteIsTranslated) {
  const Host router{"fd00:2::fe", {0x02, 0, 0, 0, 0x02, 0xfe}};
  ASSERT_EQ(run_shell(std::string("ip -6 neigh replace ") + router.ip + " lladdr " +
                      mac_text(router.mac) + " dev " + kBeIf + " nud permanent"),
            "");
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  Bytes at_endpoint = forwarded(flow_, syn);
  // The quote ends inside the TCP header, before its checksum: only the ports are there.
  Bytes quote = ip_packet(at_endpoint);
  quote.resize(40 + 8);
  Bytes expected_quote = ip_packet(as_sent_one_hop_on(syn));
  expected_quote.resize(40 + 8);
  Verdict v = from_backend(error_from(flow_, router, kIcmp6TimeExceeded, 0, quote));
  EXPECT_TRUE(
      Forwarded(v, error_to_client(flow_, router.ip, kIcmp6TimeExceeded, 0, expected_quote)));
  // The namespace is shared with the process's next tests.
  EXPECT_EQ(run_shell(std::string("ip -6 neigh del ") + router.ip + " dev " + kBeIf), "");
}

TEST_F(Icmp6ErrorTest, FullNatErrorToTheSnatAddressIsTranslatedBackToTheClient) {
  Flow f = flow_;
  f.rule.port = 81;
  f.cport = 20000;
  install(f.rule, fullnat(make_svc(17, XLB_SEL_RR, {web_})));
  f.snat = Snat{kLbBeIp6, f.cport};
  Bytes data = f.client_tcp(tcpf::SYN);
  Bytes at_endpoint = forwarded(f, data);
  Bytes in = error_from(f, web_.host, kIcmp6PacketTooBig, 1300, ip_packet(at_endpoint));
  Verdict v = from_backend(in);
  EXPECT_TRUE(Forwarded(
      v, error_to_client(f, kVip6, kIcmp6PacketTooBig, 1300, ip_packet(as_sent_one_hop_on(data)))));
}

TEST_F(Icmp6ErrorTest, AnErrorQuotingNoTrackedFlowIsTheKernels) {
  Flow stranger = flow_;
  stranger.cport = 40404;
  Bytes quote = ip_packet(stranger.to_endpoint(stranger.client_tcp(tcpf::SYN), web_));
  Bytes in = error_from(flow_, web_.host, kIcmp6PacketTooBig, 1280, quote);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(in), in));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

}  // namespace
}  // namespace xlbtest
