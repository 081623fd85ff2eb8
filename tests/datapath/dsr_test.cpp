// Direct server return. L2: only the MACs change (IP and L4 bytes, TTL included, untouched),
// one CT entry, established on the client's first ACK. IPIP (forced by the rule, or an endpoint
// behind a gateway): an outer IPv4 header in front of the byte-identical packet; a packet too
// big once tunnelled is answered with ICMP "fragmentation needed". And xlb-decap, the backend
// side, which restores the inner packet exactly.
#include <arpa/inet.h>

#include "decap.h"
#include "fixture.h"

namespace xlbtest {
namespace {

constexpr size_t kIpipLen = 20;

// The DSR flow's only CT entry: orig, toward `ep`, tunnelled or not, in `state`.
::testing::AssertionResult DsrTracked(const xlb::Datapath& dp, const Flow& flow, const EpSpec& ep,
                                      uint32_t svc_id, uint8_t state, bool ipip) {
  auto orig = dp.lookup_flow(flow.orig_key());
  if (!orig.ok()) return ::testing::AssertionFailure() << orig.error().message;
  if (!*orig) return ::testing::AssertionFailure() << "no orig CT entry (client -> VIP)";
  const xlb_ct_entry& o = **orig;
  auto failure = ::testing::AssertionFailure();
  bool ok = true;
  auto check = [&](bool cond, const char* what) {
    if (!cond) {
      failure << "\n  " << what;
      ok = false;
    }
  };
  check(o.mode == XLB_MODE_DSR, "orig.mode != DSR");
  check(o.dir == XLB_DIR_ORIG, "orig.dir != ORIG");
  check(o.nat_daddr.w[0] == ip_be(ep.host.ip), "orig.nat_daddr != endpoint");
  check((o.flags & (XLB_CT_F_DNAT | XLB_CT_F_SNAT)) == 0, "orig.flags: DSR translates nothing");
  check(bool(o.flags & XLB_CT_F_IPIP) == ipip, ipip ? "orig.flags lacks IPIP" : "orig.flags IPIP");
  check(o.svc_id == svc_id, "orig.svc_id");
  if (o.state != state) {
    failure << "\n  orig.state " << int{o.state} << ", expected " << int{state};
    ok = false;
  }
  return ok ? ::testing::AssertionSuccess() : failure;
}

// Expected IPIP output: an outer header (version 4, IHL 5, TOS and DF copied from the inner
// packet, id 0, TTL 64, protocol 4) in front of the input's IPv4 packet, byte for byte.
Bytes tunnelled(const Bytes& in, const L2& l2, const char* outer_src, const char* outer_dst) {
  Ip4 outer{outer_src, outer_dst};
  outer.ttl = 64;
  outer.id = 0;
  outer.tos = in[kUntaggedL3 + 1];
  outer.dont_fragment = in[kUntaggedL3 + 6] & 0x40;
  return ipip_frame(l2, outer, ip_packet(in));
}

// Expected answer to a packet too big once tunnelled: ICMP 3/4 from the VIP back to the client
// (MACs swapped), next-hop MTU = egress MTU - 20, quoting the IPv4 header + 8 bytes.
Bytes frag_needed(const Bytes& in, const Flow& f, uint16_t egress_mtu) {
  Bytes quote = ip_packet(in);
  quote.resize(20 + 8);
  Ip4 ip{f.rule.vip, f.client.ip};
  ip.ttl = 64;
  ip.id = 0;
  ip.dont_fragment = false;
  return icmp_error_frame({kLbCliMac, f.client.mac, std::nullopt}, ip, 3, 4,
                          static_cast<uint16_t>(egress_mtu - kIpipLen), quote);
}

class DsrTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_})));
  }
  // A client data segment whose IPv4 packet is `ip_len` bytes long (DF set).
  Bytes data_of_ip_len(const Flow& f, size_t ip_len) const {
    return f.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(ip_len - 40, 0x61));
  }
  static constexpr uint32_t kSvcId = 21;
  const EpSpec ep_{kEndpoints[0], 80};  // DSR: no port translation
  Flow flow_;
};

TEST_F(DsrTest, L2SynLeavesIpAndL4BytesUntouchedAndChangesOnlyMacs) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  Verdict v = from_client(syn);
  EXPECT_TRUE(Forwarded(v, with_macs(syn, kLbBeMac, ep_.host.mac)));
  EXPECT_EQ(ip_packet(v.frame), ip_packet(syn)) << "IP and L4 bytes, TTL included";
  EXPECT_TRUE(DsrTracked(dp(), flow_, ep_, kSvcId, XLB_CT_SYN_SENT, false));
  EXPECT_EQ(flows().size(), 1u) << "DSR tracks the client -> server direction only";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
  EXPECT_EQ(ep_counter(kSvcId, 0).new_flows, 1u);
}

TEST_F(DsrTest, L2FlowIsEstablishedByTheClientsFirstAckAndStaysOnItsEndpoint) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  ASSERT_TRUE(Forwarded(from_client(syn), with_macs(syn, kLbBeMac, ep_.host.mac)));
  // The SYN+ACK goes endpoint -> client directly: the next packet the LB sees is the ACK.
  Bytes ack = flow_.client_tcp(tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_client(ack), with_macs(ack, kLbBeMac, ep_.host.mac)));
  EXPECT_TRUE(DsrTracked(dp(), flow_, ep_, kSvcId, XLB_CT_EST, false));

  // The rule now lists another endpoint first: the established flow keeps its own.
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {{kEndpoints[1], 80}, ep_})));
  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(500, 0x42));
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(data), with_macs(data, kLbBeMac, ep_.host.mac)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}}));
  Bytes fin = flow_.client_tcp(tcpf::FIN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_client(fin), with_macs(fin, kLbBeMac, ep_.host.mac)));
  EXPECT_TRUE(DsrTracked(dp(), flow_, ep_, kSvcId, XLB_CT_FIN_WAIT, false));
  EXPECT_EQ(flows().size(), 1u);
}

::testing::AssertionResult DsrPaths(const xlb_dsr_counter& c, uint64_t l2, uint64_t ipip) {
  if (c.l2 == l2 && c.ipip == ipip) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "dsr counter l2 " << c.l2 << ", ipip " << c.ipip
                                       << "; expected l2 " << l2 << ", ipip " << ipip;
}

// What the datapath did, per endpoint: packets sent over L2 and tunnelled, as they left.
TEST_F(DsrTest, PathCountersSayHowEachEndpointWasReached) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::ACK)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(DsrPaths(dsr_counter(kSvcId, 0), 2, 0)) << "on-link endpoint";

  Flow routed_flow;
  routed_flow.rule.port = 81;
  install(routed_flow.rule, dsr(make_svc(22, XLB_SEL_HASH, {{kRoutedEndpoints[0], 81}})));
  ASSERT_EQ(from_client(routed_flow.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(DsrPaths(dsr_counter(22, 0), 0, 1)) << "endpoint behind a gateway";

  Flow forced_flow;
  forced_flow.rule.port = 82;
  install(forced_flow.rule, dsr(make_svc(23, XLB_SEL_HASH, {{kEndpoints[0], 82}}), true));
  ASSERT_EQ(from_client(forced_flow.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  ASSERT_EQ(from_client(forced_flow.client_tcp(tcpf::ACK)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(DsrPaths(dsr_counter(23, 0), 0, 2)) << "on-link endpoint, IPIP forced";
  EXPECT_TRUE(DsrPaths(dsr_counter(kSvcId, 0), 2, 0)) << "each rule and endpoint its own";
}

TEST_F(DsrTest, L2UdpDatagramsChangeOnlyMacs) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec dns{kEndpoints[1], 53};
  install(udp.rule, dsr(make_svc(22, XLB_SEL_HASH, {dns})));
  for (const Bytes& q : {udp.client_udp({'q', '1'}), udp.client_udp({'q', '2', '!'})})
    EXPECT_TRUE(Forwarded(from_client(q), with_macs(q, kLbBeMac, dns.host.mac)));
  EXPECT_TRUE(DsrTracked(dp(), udp, dns, 22, XLB_CT_UDP_NEW, false));
}

TEST_F(DsrTest, IpipForcedByTheRuleWrapsTheUntouchedPacketInAnOuterHeader) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_}), /*ipip=*/true));
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  EXPECT_TRUE(XdpTook(XDP_REDIRECT)) << "tunnelled in XDP (head adjusted)";
  EXPECT_TRUE(
      Forwarded(v, tunnelled(syn, {kLbBeMac, ep_.host.mac, std::nullopt}, kLbBeIp, ep_.host.ip)));
  EXPECT_TRUE(DsrTracked(dp(), flow_, ep_, kSvcId, XLB_CT_SYN_SENT, true));
  // The same facts, spelled out.
  ASSERT_EQ(v.frame.size(), syn.size() + kIpipLen);
  EXPECT_EQ(v.frame[kUntaggedL3], 0x45) << "version 4, IHL 5";
  EXPECT_EQ(v.frame[kUntaggedL3 + 9], 4) << "protocol IPIP";
  EXPECT_EQ(v.frame[kUntaggedL3 + 8], 64) << "outer TTL";
  EXPECT_EQ(be16_at(v.frame, kUntaggedL3 + 2), be16_at(syn, kUntaggedL3 + 2) + kIpipLen)
      << "outer total length";
  EXPECT_EQ(be16_at(v.frame, kUntaggedL3 + 6), 0x4000) << "DF copied from the inner packet";
  EXPECT_TRUE(
      std::equal(syn.begin() + kUntaggedL3, syn.end(), v.frame.begin() + kUntaggedL3 + kIpipLen))
      << "inner packet byte-identical (TTL untouched)";

  Bytes ack = flow_.client_tcp(tcpf::ACK, {'h', 'i'});
  EXPECT_TRUE(Forwarded(from_client(ack), tunnelled(ack, {kLbBeMac, ep_.host.mac, std::nullopt},
                                                    kLbBeIp, ep_.host.ip)));
  EXPECT_TRUE(DsrTracked(dp(), flow_, ep_, kSvcId, XLB_CT_EST, true));
}

TEST_F(DsrTest, IpipCopiesTosAndALackingDfFromTheInnerPacket) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_}), /*ipip=*/true));
  Ip4 ip = flow_.client_ip();
  ip.dont_fragment = false;
  ip.tos = 0x28;
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  Verdict v = from_client(syn);
  EXPECT_TRUE(
      Forwarded(v, tunnelled(syn, {kLbBeMac, ep_.host.mac, std::nullopt}, kLbBeIp, ep_.host.ip)));
  EXPECT_EQ(be16_at(v.frame, kUntaggedL3 + 6), 0) << "no DF outside when none inside";
}

TEST_F(DsrTest, EndpointBehindAGatewayIsTunnelledThroughIt) {
  const EpSpec routed{kRoutedEndpoints[0], 80};
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {routed})));
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  // Outer source: the LB's address on the route's device (xlbr0); next hop: the gateway.
  EXPECT_TRUE(Forwarded(from_client(syn), tunnelled(syn, {kLbGwMac, kGateway.mac, std::nullopt},
                                                    kLbGwIp, routed.host.ip)));
  EXPECT_TRUE(DsrTracked(dp(), flow_, routed, kSvcId, XLB_CT_SYN_SENT, true));
}

TEST_F(DsrTest, TunnelledPacketExactlyFillingTheEgressMtuIsForwarded) {
  const EpSpec routed{kRoutedEndpoints[0], 80};
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {routed})));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  Bytes full = data_of_ip_len(flow_, kGwMtu - kIpipLen);
  Verdict v = from_client(full);
  EXPECT_TRUE(Forwarded(
      v, tunnelled(full, {kLbGwMac, kGateway.mac, std::nullopt}, kLbGwIp, routed.host.ip)));
  EXPECT_EQ(be16_at(v.frame, kUntaggedL3 + 2), kGwMtu);
}

TEST_F(DsrTest, PacketTooBigOnceTunnelledIsAnsweredWithFragmentationNeeded) {
  const EpSpec routed{kRoutedEndpoints[0], 80};
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {routed})));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  auto counted = ep_counter(kSvcId, 0);
  for (size_t ip_len : {kGwMtu - kIpipLen + 1, size_t{kGwMtu}}) {
    Bytes big = data_of_ip_len(flow_, ip_len);
    auto before = stats();
    Verdict v = from_client(big);
    EXPECT_TRUE(XdpTook(XDP_PASS)) << "TC answers \"too big\"";
    // Forwarded: a redirect back out of the interface it came in on (TC_ACT_REDIRECT).
    EXPECT_TRUE(Forwarded(v, frag_needed(big, flow_, kGwMtu))) << ip_len << "-byte packet";
    EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_FRAG_NEEDED, 1}}))
        << "an answered packet is counted once, as answered, never as forwarded";
  }
  EXPECT_EQ(ep_counter(kSvcId, 0).packets, counted.packets) << "nothing reached the endpoint";
  EXPECT_TRUE(DsrPaths(dsr_counter(kSvcId, 0), 0, 1)) << "only the SYN was tunnelled";
  // The flow stays as it was, pinned to its endpoint: nothing of the answered packet passed.
  EXPECT_TRUE(DsrTracked(dp(), flow_, routed, kSvcId, XLB_CT_SYN_SENT, true));
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->packets, 1u) << "only the SYN";
}

TEST_F(DsrTest, FirstDatagramTooBigOnceTunnelledIsAnsweredAndStartsNoFlow) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec routed{kRoutedEndpoints[1], 53};
  install(udp.rule, dsr(make_svc(22, XLB_SEL_HASH, {routed})));
  Bytes big = udp.client_udp(Bytes(kGwMtu - 28, 0x44));  // IPv4 packet of exactly the MTU
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(big), frag_needed(big, udp, kGwMtu)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_ICMP_FRAG_NEEDED, 1}}));
  EXPECT_TRUE(flows().empty()) << "the client retries smaller; that datagram starts the flow";
  EXPECT_EQ(svc_counter(22).new_flows, 0u);
  Bytes fits = udp.client_udp(Bytes(kGwMtu - 28 - 20, 0x44));
  EXPECT_TRUE(Forwarded(from_client(fits), tunnelled(fits, {kLbGwMac, kGateway.mac, std::nullopt},
                                                     kLbGwIp, routed.host.ip)));
  EXPECT_TRUE(DsrTracked(dp(), udp, routed, 22, XLB_CT_UDP_NEW, true));
}

// xlb-decap on the backend: an IPIP frame addressed to the host in, the inner packet out behind
// the same Ethernet header, handed to the kernel (TC_ACT_OK); anything else untouched. The test
// namespace plays the backends: the endpoints' addresses are registered as local.
class DecapTest : public DsrTest {
 protected:
  void SetUp() override {
    DsrTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    ASSERT_GE(decap_.fd(), 0) << decap_.error();
    decap_.add_local_address(kRoutedEndpoints[0].ip);
    decap_.add_local_address(kRoutedEndpoints[1].ip);
    decap_.add_local_address(kEndpoints[0].ip);
  }
  Verdict decap(const Bytes& in) { return test_run(decap_.fd(), in, env().be_ifindex); }
  // The expected output of decapsulating `in`: its Ethernet header, then what follows the
  // outer IPv4 header.
  static Bytes inner_frame(const Bytes& ipip) {
    Bytes out = ipip;
    out.erase(out.begin() + kUntaggedL3, out.begin() + kUntaggedL3 + kIpipLen);
    return out;
  }
  // The 4 option bytes of an IHL-6 frame become an empty timestamp option (type 0x44): its
  // first byte reads as "version 4", so only the IHL check keeps it from being stripped.
  static Bytes with_timestamp_option(Bytes f) {
    const Bytes option = {0x44, 0x04, 0x05, 0x00};
    std::copy(option.begin(), option.end(), f.begin() + kUntaggedL3 + 20);
    set_ip_checksum(f, kUntaggedL3, 24);
    return f;
  }
  DecapProgram decap_;
};

TEST_F(DecapTest, DecapRestoresTheClientsPacketExactly) {
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep_}), /*ipip=*/true));
  expect_decap_restores(dp().program_fd(), decap_, flow_, ep_);
}

TEST_F(DecapTest, HandCraftedIpipFrameLosesExactlyItsOuterHeader) {
  Bytes inner = flow_.client_udp({'d', 'n', 's'});
  Ip4 outer{kLbGwIp, kRoutedEndpoints[0].ip};
  outer.id = 0x1234;
  Bytes in = ipip_frame({kGateway.mac, kEndpoints[0].mac, std::nullopt}, outer, ip_packet(inner));
  ASSERT_TRUE(ChecksumsValid(in));
  Verdict v = decap(in);
  EXPECT_EQ(v.err, 0);
  EXPECT_TRUE(Passed(v, inner_frame(in)));
  EXPECT_EQ(ip_packet(v.frame), ip_packet(inner));
}

TEST_F(DecapTest, AnythingButAPlainIpipFrameIsUntouched) {
  Bytes tcp = flow_.client_tcp(tcpf::SYN);
  Bytes inner = ip_packet(tcp);
  Ip4 outer{kLbBeIp, kEndpoints[0].ip};
  Ip4 fragment = outer;
  fragment.more_fragments = true;
  Ip4 with_options = outer;
  with_options.noop_options = 3;  // IHL 6: not the header xlb writes
  Bytes not_ipv4_inside = inner;
  not_ipv4_inside[0] = 0x65;  // version 6
  const L2 l2{kLbBeMac, kEndpoints[0].mac, std::nullopt};
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"plain TCP", tcp},
      {"UDP", flow_.client_udp({1, 2, 3})},
      {"ARP", arp_frame(l2, 1, kLbBeMac, kLbBeIp, {}, kEndpoints[0].ip)},
      {"IPIP fragment", ipip_frame(l2, fragment, inner)},
      {"IPIP with outer options", with_timestamp_option(ipip_frame(l2, with_options, inner))},
      {"IPIP carrying no IPv4 packet", ipip_frame(l2, outer, not_ipv4_inside)},
      {"IPIP for another host", ipip_frame(l2, Ip4{kLbBeIp, kEndpoints[1].ip}, inner)},
  };
  expect_decap_leaves_untouched(decap_, cases);
}

}  // namespace
}  // namespace xlbtest
