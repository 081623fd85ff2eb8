// ICMP errors about balanced flows: an error from the endpoint's side quotes the translated
// packet and is addressed to what the endpoint saw (the client in NAT, the SNAT address in
// FullNAT). The client must get an error about the packet it sent: outer source the VIP (when the
// endpoint itself complains; a router keeps its address), quoted packet client:cport ->
// VIP:vport, every checksum (outer IP, ICMP, quoted IP, quoted L4 when quoted) valid. Errors
// quoting no tracked flow are the kernel's.
#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint8_t kUnreach = 3, kPortUnreach = 3, kFragNeeded = 4, kTimeExceeded = 11;

class IcmpErrorTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(tcp_.rule, make_svc(13, XLB_SEL_RR, {web_}));
    udp_.rule = {kVip, 53, IPPROTO_UDP};
    install(udp_.rule, make_svc(14, XLB_SEL_RR, {dns_}));
  }
  // Forwards `in` from the client and returns the frame the endpoint received.
  Bytes forwarded(const Flow& f, const Bytes& in, const EpSpec& ep) {
    Verdict v = from_client(in);
    EXPECT_TRUE(Forwarded(v, f.to_endpoint(in, ep)));
    return v.frame;
  }
  // The first `len` bytes of a frame's IPv4 packet (0: all of it): what an error quotes.
  static Bytes quote_of(const Bytes& frame, size_t len = 0) {
    Bytes q = ip_packet(frame);
    if (len) q.resize(len);
    return q;
  }
  // An error from `from` (on the backend side) to the address the endpoint saw for `f`.
  static Bytes error_from(const Flow& f, const Host& from, uint8_t type, uint8_t code, uint16_t mtu,
                          const Bytes& quote) {
    Ip4 ip{from.ip, f.peer_ip()};
    ip.id = 0x0e0e;
    ip.dont_fragment = false;
    return icmp_error_frame({from.mac, kLbBeMac, std::nullopt}, ip, type, code, mtu, quote);
  }
  // What the client must receive: the same error from `src` to the client, TTL - 1, quoting
  // `quote` (its own packet, as the endpoint got it but for the translation).
  static Bytes error_to_client(const Flow& f, const char* src, uint8_t type, uint8_t code,
                               uint16_t mtu, const Bytes& quote) {
    Ip4 ip{src, f.client.ip};
    ip.id = 0x0e0e;
    ip.dont_fragment = false;
    ip.ttl = 63;
    return icmp_error_frame({kLbCliMac, f.client.mac, std::nullopt}, ip, type, code, mtu, quote);
  }
  // The client's packet as the endpoint's side saw it in all but the translation: TTL - 1.
  static Bytes as_sent_one_hop_on(const Bytes& in) { return Rewrite(in).dec_ttl().build(); }

  const EpSpec web_{kEndpoints[0], 8080};
  const EpSpec dns_{kEndpoints[1], 5353};
  Flow tcp_;
  Flow udp_;
};

TEST_F(IcmpErrorTest, UdpPortUnreachableFromTheEndpointReachesTheClientFromTheVip) {
  Bytes query = udp_.client_udp({'q', 'u', 'e', 'r', 'y'});
  Bytes at_endpoint = forwarded(udp_, query, dns_);
  // RFC 792: the IP header and the first 8 bytes, here the whole UDP header with its checksum.
  Bytes error = error_from(udp_, dns_.host, kUnreach, kPortUnreach, 0, quote_of(at_endpoint, 28));
  auto before = stats();
  Verdict v = from_backend(error);
  EXPECT_TRUE(Forwarded(v, error_to_client(udp_, kVip, kUnreach, kPortUnreach, 0,
                                           quote_of(as_sent_one_hop_on(query), 28))));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}}));
  EXPECT_TRUE(FlowTracked(dp(), udp_, dns_, 14, 0, XLB_CT_UDP_NEW)) << "flow unchanged";
}

TEST_F(IcmpErrorTest, TcpFragmentationNeededQuotingTheWholeSegmentIsTranslatedThroughout) {
  forwarded(tcp_, tcp_.client_tcp(tcpf::SYN), web_);
  Bytes data = tcp_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(300, 0x77));
  Bytes at_endpoint = forwarded(tcp_, data, web_);
  // Linux quotes as much as fits: the quoted TCP checksum must be translated too.
  Bytes error = error_from(tcp_, web_.host, kUnreach, kFragNeeded, 1280, quote_of(at_endpoint));
  ASSERT_TRUE(ChecksumsValid(error));
  Verdict v = from_backend(error);
  EXPECT_TRUE(Forwarded(v, error_to_client(tcp_, kVip, kUnreach, kFragNeeded, 1280,
                                           quote_of(as_sent_one_hop_on(data)))));
}

TEST_F(IcmpErrorTest, TcpErrorQuotingOnlyEightBytesOfTcp) {
  Bytes syn = tcp_.client_tcp(tcpf::SYN);
  Bytes at_endpoint = forwarded(tcp_, syn, web_);
  Bytes error = error_from(tcp_, web_.host, kUnreach, kFragNeeded, 1280, quote_of(at_endpoint, 28));
  EXPECT_TRUE(
      Forwarded(from_backend(error), error_to_client(tcp_, kVip, kUnreach, kFragNeeded, 1280,
                                                     quote_of(as_sent_one_hop_on(syn), 28))));
}

TEST_F(IcmpErrorTest, ErrorFromARouterOnTheWayKeepsTheRoutersAddress) {
  Bytes syn = tcp_.client_tcp(tcpf::SYN);
  Bytes at_endpoint = forwarded(tcp_, syn, web_);
  const Host router{"10.0.2.254", {0x02, 0, 0, 0, 0x02, 0xfe}};
  using TypeCode = std::pair<uint8_t, uint8_t>;
  for (auto [type, code] : {TypeCode{kUnreach, kFragNeeded}, TypeCode{kTimeExceeded, 0}}) {
    uint16_t mtu = type == kUnreach ? 1400 : 0;
    Bytes error = error_from(tcp_, router, type, code, mtu, quote_of(at_endpoint, 28));
    EXPECT_TRUE(Forwarded(
        from_backend(error),
        error_to_client(tcp_, router.ip, type, code, mtu, quote_of(as_sent_one_hop_on(syn), 28))))
        << "ICMP type " << int{type};
  }
}

TEST_F(IcmpErrorTest, FullNatErrorToTheSnatAddressGoesToTheClient) {
  Flow f;  // client port 40000: outside the SNAT range, so the quoted source port differs too
  f.rule.port = 81;
  install(f.rule, fullnat(make_svc(15, XLB_SEL_RR, {web_})));
  Bytes data = f.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(100, 0x10));  // picked up mid-stream
  Verdict v = from_client(data);
  f.snat = source_of(v);
  ASSERT_TRUE(f.snat);
  ASSERT_EQ(f.snat->ip, kLbBeIp);
  ASSERT_NE(f.snat->port, f.cport);
  ASSERT_TRUE(Forwarded(v, f.to_endpoint(data, web_)));
  Bytes error = error_from(f, web_.host, kUnreach, kFragNeeded, 1000, quote_of(v.frame));
  EXPECT_TRUE(Forwarded(from_backend(error), error_to_client(f, kVip, kUnreach, kFragNeeded, 1000,
                                                             quote_of(as_sent_one_hop_on(data)))));

  Flow udp;
  udp.rule = {kVip, 54, IPPROTO_UDP};
  udp.cport = 20000;  // kept
  install(udp.rule, fullnat(make_svc(16, XLB_SEL_RR, {dns_})));
  udp.snat = Snat{kLbBeIp, udp.cport};
  Bytes query = udp.client_udp({'?'});
  Bytes query_at_endpoint = forwarded(udp, query, dns_);
  Bytes unreach =
      error_from(udp, dns_.host, kUnreach, kPortUnreach, 0, quote_of(query_at_endpoint));
  EXPECT_TRUE(Forwarded(
      from_backend(unreach),
      error_to_client(udp, kVip, kUnreach, kPortUnreach, 0, quote_of(as_sent_one_hop_on(query)))));
}

TEST_F(IcmpErrorTest, ErrorsQuotingNoTrackedFlowAreUntouched) {
  forwarded(tcp_, tcp_.client_tcp(tcpf::SYN), web_);
  Flow stranger = tcp_;
  stranger.cport = 40999;  // no flow
  Bytes unknown =
      error_from(stranger, web_.host, kUnreach, kPortUnreach, 0,
                 quote_of(stranger.to_endpoint(stranger.client_tcp(tcpf::SYN), web_), 28));
  // The client's own direction quoted (client -> VIP): not what an endpoint-side error quotes.
  Bytes wrong_way = error_from(tcp_, web_.host, kUnreach, kPortUnreach, 0,
                               quote_of(tcp_.client_tcp(tcpf::SYN), 28));
  Bytes echo = icmp_echo_frame(tcp_.client_l2(), tcp_.client_ip(), 1, 1, {});
  Bytes quotes_icmp = error_from(tcp_, web_.host, kUnreach, kPortUnreach, 0, quote_of(echo));
  for (const Bytes& in : {unknown, wrong_way, quotes_icmp}) {
    auto before = stats();
    EXPECT_TRUE(PassedUntouched(from_backend(in), in));
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
  }
  EXPECT_EQ(flows().size(), 2u);
}

// Found by fuzz_test: the quoted TCP checksum lies past an 8-byte quote; with Ethernet padding
// after the packet the datapath "translated" padding bytes and broke the ICMP checksum.
TEST_F(IcmpErrorTest, PaddingAfterAShortQuoteIsNeitherReadNorRewritten) {
  Bytes syn = tcp_.client_tcp(tcpf::SYN);
  Bytes at_endpoint = forwarded(tcp_, syn, web_);
  const Bytes padding(18, 0xee);  // reaches past where the quoted TCP checksum would sit
  Bytes error = error_from(tcp_, web_.host, kUnreach, kFragNeeded, 1280, quote_of(at_endpoint, 28));
  error.insert(error.end(), padding.begin(), padding.end());
  Bytes expected = error_to_client(tcp_, kVip, kUnreach, kFragNeeded, 1280,
                                   quote_of(as_sent_one_hop_on(syn), 28));
  expected.insert(expected.end(), padding.begin(), padding.end());
  EXPECT_TRUE(Forwarded(from_backend(error), expected));
}

// Found by fuzz_test: a quote cut short by the IPv4 total length was read from the padding.
TEST_F(IcmpErrorTest, QuoteCutShortByTheIpLengthIsNotAFlow) {
  Bytes at_endpoint = forwarded(tcp_, tcp_.client_tcp(tcpf::SYN), web_);
  Bytes error = error_from(tcp_, web_.host, kUnreach, kPortUnreach, 0, quote_of(at_endpoint, 28));
  // The IPv4 packet ends 8 bytes into the quote (no ports); the rest stays in the frame.
  constexpr size_t kL3 = 14;
  const uint16_t cut = static_cast<uint16_t>(error.size() - kL3 - 20);
  error[kL3 + 2] = static_cast<uint8_t>(cut >> 8);
  error[kL3 + 3] = static_cast<uint8_t>(cut);
  set_ip_checksum(error, kL3, 20);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(error), error));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

}  // namespace
}  // namespace xlbtest
