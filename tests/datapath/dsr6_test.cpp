// Direct server return over IPv6. L2: only the MACs change. L3: an outer IPv6 header (next
// header 41, hop limit 64, traffic class copied, flow label 0) in front of the byte-identical
// packet; a packet too big once tunnelled is answered with ICMPv6 Packet Too Big quoting the
// first 1232 bytes (RFC 4443). And xlb-decap, which strips the outer IPv6 header exactly.
#include "decap.h"
#include "fixture.h"

namespace xlbtest {
namespace {

constexpr size_t kIp6ip6Len = 40;
constexpr size_t kQuote = 1280 - 40 - 8;

Bytes macs_only6(const Bytes& in, const Mac& src, const Mac& dst) {
  Bytes out = in;
  std::copy(dst.begin(), dst.end(), out.begin());
  std::copy(src.begin(), src.end(), out.begin() + 6);
  return out;
}

// The expected tunnelled frame, built with libtins: outer src -> dst around the input's packet.
Bytes tunnelled6(const Bytes& in, const L2& l2, const char* outer_src, const char* outer_dst) {
  Ip4 outer{outer_src, outer_dst};
  outer.ttl = 64;
  outer.tos = static_cast<uint8_t>((in[kUntaggedL3] << 4) | (in[kUntaggedL3 + 1] >> 4));
  return ip6ip6_frame(l2, outer, ip_packet(in));
}

// The expected Packet Too Big: from the VIP back to the client (MACs swapped), MTU = egress MTU
// - 40, quoting the first 1232 bytes of the client's packet.
Bytes packet_too_big(const Bytes& in, const Flow& f, uint32_t egress_mtu) {
  Bytes quote = ip_packet(in);
  quote.resize(kQuote);
  Ip4 ip{f.rule.vip, f.client.ip};
  ip.ttl = 64;
  return icmp6_error_frame({kLbCliMac, f.client.mac, std::nullopt}, ip, 2, 0,
                           egress_mtu - kIp6ip6Len, quote);
}

class Dsr6Test : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    flow_.client = kClient6;
    flow_.rule.vip = kVip6;
    install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_})));
  }
  void expect_dsr_entry(const EpSpec& ep, uint8_t state, bool tunnel) {
    auto orig = ct(flow_.orig_key());
    ASSERT_TRUE(orig);
    xlb_ip want = xip(ep.host.ip);
    EXPECT_TRUE(std::equal(want.w, want.w + 4, orig->nat_daddr.w));
    EXPECT_EQ(orig->mode, XLB_MODE_DSR);
    EXPECT_EQ(bool(orig->flags & XLB_CT_F_IPIP), tunnel);
    EXPECT_EQ(orig->state, state);
    EXPECT_EQ(flows().size(), 1u) << "DSR tracks the client -> server direction only";
  }
  static constexpr uint32_t kSvcId = 26;
  const EpSpec ep_{kEndpoints6[0], 80};
  const EpSpec routed_{kRoutedEndpoints6[0], 80};
  Flow flow_;
};

TEST_F(Dsr6Test, L2ChangesOnlyTheMacs) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  EXPECT_TRUE(Forwarded(v, macs_only6(syn, kLbBeMac, ep_.host.mac)));
  EXPECT_EQ(ip_packet(v.frame), ip_packet(syn)) << "IPv6 and L4 bytes, hop limit included";
  expect_dsr_entry(ep_, XLB_CT_SYN_SENT, false);
  Bytes ack = flow_.client_tcp(tcpf::ACK, {'o', 'k'});
  EXPECT_TRUE(Forwarded(from_client(ack), macs_only6(ack, kLbBeMac, ep_.host.mac)));
  expect_dsr_entry(ep_, XLB_CT_EST, false);
  EXPECT_EQ(dsr_counter(kSvcId, 0).l2, 2u);
}

TEST_F(Dsr6Test, TunnelForcedByTheRuleWrapsThePacketInAnOuterIpv6Header) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_}), /*ipip=*/true));
  Ip4 ip = flow_.client_ip();
  ip.tos = 0x28;
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  Verdict v = from_client(syn);
  EXPECT_TRUE(
      Forwarded(v, tunnelled6(syn, {kLbBeMac, ep_.host.mac, std::nullopt}, kLbBeIp6, ep_.host.ip)));
  ASSERT_EQ(v.frame.size(), syn.size() + kIp6ip6Len);
  EXPECT_EQ(v.frame[kUntaggedL3 + 6], 41) << "next header: IPv6";
  EXPECT_EQ(v.frame[kUntaggedL3 + 7], 64) << "outer hop limit";
  EXPECT_EQ(be16_at(v.frame, kUntaggedL3), 0x6280) << "version 6, traffic class 0x28 copied";
  EXPECT_TRUE(
      std::equal(syn.begin() + kUntaggedL3, syn.end(), v.frame.begin() + kUntaggedL3 + kIp6ip6Len))
      << "inner packet byte-identical";
  expect_dsr_entry(ep_, XLB_CT_SYN_SENT, true);
  EXPECT_EQ(dsr_counter(kSvcId, 0).ipip, 1u);
}

TEST_F(Dsr6Test, EndpointBehindAGatewayIsTunnelledThroughIt) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {routed_})));
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  EXPECT_TRUE(Forwarded(from_client(syn), tunnelled6(syn, {kLbGwMac, kGateway6.mac, std::nullopt},
                                                     kLbGwIp6, routed_.host.ip)));
  expect_dsr_entry(routed_, XLB_CT_SYN_SENT, true);
}

TEST_F(Dsr6Test, PacketTooBigOnceTunnelledIsAnsweredWithPacketTooBig) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {routed_})));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  // An IPv6 packet of exactly MTU - 40 bytes fits once tunnelled; one byte more does not.
  Bytes fits = flow_.client_tcp(tcpf::ACK, Bytes(kGwMtu - kIp6ip6Len - 60, 0x61));
  ASSERT_EQ(ip_packet(fits).size(), kGwMtu - kIp6ip6Len);
  Verdict ok = from_client(fits);
  EXPECT_TRUE(Forwarded(
      ok, tunnelled6(fits, {kLbGwMac, kGateway6.mac, std::nullopt}, kLbGwIp6, routed_.host.ip)));
  Bytes big = flow_.client_tcp(tcpf::ACK, Bytes(kGwMtu - kIp6ip6Len - 60 + 1, 0x62));
  auto before = stats();
  Verdict v = from_client(big);
  EXPECT_TRUE(Forwarded(v, packet_too_big(big, flow_, kGwMtu)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_FRAG_NEEDED, 1}}));
  EXPECT_EQ(v.frame.size(), kEthHeaderLen + 1280u) << "the minimum IPv6 MTU, exactly";
}

// xlb-decap on the backend: IPv6-in-IPv6 addressed to a local address loses its outer header.
class Decap6Test : public Dsr6Test {
 protected:
  void SetUp() override {
    Dsr6Test::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_GE(decap_.fd(), 0) << decap_.error();
    decap_.add_local_address(kEndpoints6[0].ip);
  }
  Verdict decap(const Bytes& in) { return test_run(decap_.fd(), in, env().be_ifindex); }
  DecapProgram decap_;
};

TEST_F(Decap6Test, DecapRestoresTheClientsPacketExactly) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_}), /*ipip=*/true));
  for (const Bytes& in :
       {flow_.client_tcp(tcpf::SYN), flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(1001, 7))}) {
    Verdict lb = from_client(in);
    ASSERT_EQ(lb.action, TC_ACT_REDIRECT);
    Verdict v = decap(lb.frame);
    EXPECT_EQ(v.err, 0);
    EXPECT_TRUE(Passed(v, macs_only6(in, kLbBeMac, ep_.host.mac)));
  }
}

TEST_F(Decap6Test, TunnelsForOtherHostsAndPlainPacketsAreUntouched) {
  Bytes inner = ip_packet(flow_.client_tcp(tcpf::SYN));
  const L2 l2{kLbBeMac, kEndpoints6[1].mac, std::nullopt};
  Bytes not_v6_inside = inner;
  not_v6_inside[0] = 0x45;
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"plain TCP", flow_.client_tcp(tcpf::SYN)},
      {"for another host", ip6ip6_frame(l2, Ip4{kLbBeIp6, kEndpoints6[1].ip}, inner)},
      {"no IPv6 packet inside", ip6ip6_frame(l2, Ip4{kLbBeIp6, kEndpoints6[0].ip}, not_v6_inside)},
  };
  for (const auto& [what, in] : cases) {
    Verdict v = decap(in);
    EXPECT_EQ(v.err, 0) << what;
    EXPECT_TRUE(PassedUntouched(v, in)) << what;
  }
}

}  // namespace
}  // namespace xlbtest
