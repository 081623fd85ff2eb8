// IPv6 through the one packet path: NAT66 (TCP, UDP, ports translated, both directions),
// extension headers walked, fragments and malformed packets left alone, FullNAT66 (the LB's v6
// address or the rule's), every selection algorithm with v6 keys, and Proxy Protocol v2 with
// IPv6 addresses. Every rewritten frame is compared whole; Forwarded() verifies its checksums
// with the tests' own RFC 1071 code over the IPv6 pseudo-header.
#include <set>
#include <string>

#include "fixture.h"
#include "select/maglev.h"

namespace xlbtest {
namespace {

class Nat6Test : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  }
  static Flow v6_flow(uint16_t port = 80, uint8_t proto = IPPROTO_TCP) {
    Flow f;
    f.client = kClient6;
    f.cport = 20000;  // in the SNAT range: FullNAT keeps it
    f.rule = {kVip6, port, proto};
    return f;
  }
  static std::vector<EpSpec> v6_endpoints(size_t n) {
    std::vector<EpSpec> eps;
    for (size_t i = 0; i < n; ++i) eps.push_back({kEndpoints6.at(i), 8080});
    return eps;
  }
  static constexpr uint32_t kSvcId = 6;
  const EpSpec ep_{kEndpoints6[0], 8080};
  Flow flow_ = v6_flow();
};

TEST_F(Nat6Test, TcpSynIsDnatedToTheEndpointWithPortTranslation) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  Verdict v = from_client(syn);
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(flow_.orig_key().family, XLB_AF_INET6);
  EXPECT_EQ(flows().size(), 2u) << "one orig and one reply entry";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
}

TEST_F(Nat6Test, RepliesAreTranslatedBackToTheVipAndTheFlowEstablishes) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  Bytes synack = flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), flow_.to_client(synack)));
  Bytes ack = flow_.client_tcp(tcpf::ACK, Bytes(777, 0x6a));
  EXPECT_TRUE(Forwarded(from_client(ack), flow_.to_endpoint(ack, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));
}

TEST_F(Nat6Test, UdpRequestAndReply) {
  Flow udp = v6_flow(53, IPPROTO_UDP);
  const EpSpec dns{kEndpoints6[1], 5353};
  install(udp.rule, make_svc(7, XLB_SEL_RR, {dns}));
  Bytes query = udp.client_udp({'q', 'u', 'e', 'r', 'y'});  // odd length
  EXPECT_TRUE(Forwarded(from_client(query), udp.to_endpoint(query, dns)));
  Bytes answer = udp.endpoint_udp(dns, Bytes(41, 0xa5));
  EXPECT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 7, 0, XLB_CT_UDP_EST));
}

TEST_F(Nat6Test, ExtensionHeadersAreWalkedToThePortsAndKept) {
  Ip4 ip = flow_.client_ip();
  ip.ext = {0, 60, 43};  // hop-by-hop, destination options, routing
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  auto l = ip_layout(syn);
  ASSERT_TRUE(l);
  ASSERT_EQ(l->l4 - l->l3, 40u + 24u);
  EXPECT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
}

TEST_F(Nat6Test, MoreExtensionHeadersThanTheBoundAreLeftToTheKernel) {
  Ip4 ip = flow_.client_ip();
  ip.ext = {0, 60, 60, 60, 60};  // one more than the datapath walks
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_RULE, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(Nat6Test, AFragmentIsPassedToTheKernelAsIpv4FragmentsAre) {
  Ip4 ip = flow_.client_ip();
  ip.ext = {0, 44};
  Bytes frag = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(frag), frag));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_FRAGMENT, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(Nat6Test, UdpWithoutChecksumToAVipIsDroppedNotRewritten) {
  Flow udp = v6_flow(53, IPPROTO_UDP);
  install(udp.rule, make_svc(7, XLB_SEL_RR, {ep_}));
  Bytes query = udp.client_udp({1, 2, 3, 4});
  auto l = ip_layout(query);
  ASSERT_TRUE(l);
  query[l->l4 + 6] = query[l->l4 + 7] = 0;  // RFC 8200 8.1: invalid over IPv6
  auto before = stats();
  EXPECT_TRUE(Dropped(from_client(query)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_MALFORMED, 1}}));
  EXPECT_TRUE(flows().empty());
}

TEST_F(Nat6Test, HopLimitOneIsLeftToTheKernel) {
  Ip4 ip = flow_.client_ip();
  ip.ttl = 1;
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_TTL, 1}}));
}

TEST_F(Nat6Test, VlanTaggedSynIsForwardedUntagged) {
  L2 tagged = flow_.client_l2();
  tagged.vlan = 100;
  Bytes syn = tcp_frame(tagged, flow_.client_ip(), flow_.cport, 80, tcpf::SYN, 1000, 0);
  EXPECT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(flow_.client_tcp(tcpf::SYN), ep_)));
}

TEST_F(Nat6Test, AnIpv4RuleDoesNotCatchIpv6Traffic) {
  // The rule key carries the family: a v6 packet to a v6 address with no rule is not balanced
  // by the v4 rule on the same port.
  install(Rule{kVip, 80, IPPROTO_TCP}, make_svc(9, XLB_SEL_RR, endpoints(1)));
  Flow other = flow_;
  other.rule.vip = kVip6b;
  Bytes syn = other.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
}

TEST_F(Nat6Test, FullNatSnatsToTheLbsV6AddressTowardTheEndpoint) {
  Flow f = v6_flow(81);
  install(f.rule, fullnat(make_svc(8, XLB_SEL_RR, {ep_})));
  Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  f.snat = Snat{kLbBeIp6, f.cport};  // xlbb0's v6 address: the kernel's choice
  EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), f, ep_, 8, 0, XLB_CT_SYN_SENT));
  Bytes synack = f.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), f.to_client(synack)));
  Bytes ack = f.client_tcp(tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_client(ack), f.to_endpoint(ack, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), f, ep_, 8, 0, XLB_CT_EST));
}

TEST_F(Nat6Test, FullNatUsesTheRulesV6SnatAddressAndAllocatesAPortOnCollision) {
  Flow f = v6_flow(82);
  install(f.rule, fullnat(make_svc(8, XLB_SEL_RR, {ep_}), {"fd00:2::5"}));
  // Another live flow holds (fd00:2::5, 20000) toward the endpoint: the client port is taken.
  Flow holder = f;
  holder.snat = Snat{"fd00:2::5", f.cport};
  put_ct(holder.reply_key(ep_), fullnat_reply_entry(8, kVip6, 82, kClient6b.ip, 20000));
  Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  auto source = source_of(v);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->ip, "fd00:2::5");
  EXPECT_NE(source->port, f.cport);
  EXPECT_GE(source->port, XLB_SNAT_PORT_MIN);
  EXPECT_LE(source->port, XLB_SNAT_PORT_MAX);
  f.snat = source;
  EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), f, ep_, 8, 0, XLB_CT_SYN_SENT));
  Bytes synack = f.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), f.to_client(synack)));
}

// Every selection algorithm picks among v6 endpoints with v6 keys: the picks are whole DNATed
// frames (open_flow), spread where the algorithm spreads, and stable where it must be.
class Select6Test : public Nat6Test {
 protected:
  std::vector<int> open_from_ports(uint8_t select, size_t n) {
    xlb_svc svc = make_svc(kSvcId, select, eps_);
    if (select == XLB_SEL_MAGLEV) svc.maglev_size = XLB_MAGLEV_DEFAULT_SIZE;
    svc.persist_timeout_s = 300;
    install(flow_.rule, svc);
    if (select == XLB_SEL_MAGLEV) {
      std::vector<xlb::select::MaglevBackend> backends;
      for (uint32_t i = 0; i < eps_.size(); ++i)
        backends.push_back({i, std::string(eps_[i].host.ip) + ":8080", 1});
      auto r = dp().set_maglev_table(kSvcId, 0,
                                     xlb::select::build_maglev(backends, XLB_MAGLEV_DEFAULT_SIZE));
      EXPECT_TRUE(r.ok());
    }
    std::vector<int> picks;
    for (size_t i = 0; i < n; ++i) {
      Flow f = flow_;
      f.cport = static_cast<uint16_t>(30000 + i);
      picks.push_back(open_flow(f, eps_));
    }
    return picks;
  }
  const std::vector<EpSpec> eps_ = v6_endpoints(3);
};

TEST_F(Select6Test, RoundRobinCyclesThroughTheEndpoints) {
  EXPECT_EQ(open_from_ports(XLB_SEL_RR, 6), (std::vector<int>{0, 1, 2, 0, 1, 2}));
}

TEST_F(Select6Test, HashAndMaglevSpreadTuplesAndPickTheSameForTheSameTuple) {
  for (uint8_t select : {uint8_t{XLB_SEL_HASH}, uint8_t{XLB_SEL_MAGLEV}}) {
    SCOPED_TRACE(select == XLB_SEL_HASH ? "hash" : "maglev");
    auto picks = open_from_ports(select, 24);
    EXPECT_EQ(std::set<int>(picks.begin(), picks.end()).size(), 3u) << "24 tuples, 3 endpoints";
    // The same tuple, forgotten and opened again, goes where it went.
    Flow f = flow_;
    f.cport = 30005;
    forget_flow(f, eps_.at(static_cast<size_t>(picks[5])));
    EXPECT_EQ(open_flow(f, eps_), picks[5]);
    for (auto& flow : flows()) ASSERT_TRUE(dp().delete_flow(flow.key).ok());
  }
}

TEST_F(Select6Test, PersistKeepsAV6ClientOnOneEndpoint) {
  auto picks = open_from_ports(XLB_SEL_PERSIST, 6);
  EXPECT_EQ(std::set<int>(picks.begin(), picks.end()).size(), 1u);
  auto seen = persist(kSvcId, kClient6.ip);
  ASSERT_TRUE(seen);
  xlb_ip want = xip(eps_.at(static_cast<size_t>(picks[0])).host.ip);
  EXPECT_TRUE(std::equal(want.w, want.w + 4, seen->ep_addr.w));
}

TEST_F(Select6Test, LeastConnectionsFillsTheEmptiestEndpoint) {
  EXPECT_EQ(open_from_ports(XLB_SEL_LC, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(active(kSvcId, 0) + active(kSvcId, 1) + active(kSvcId, 2), 3u);
}

// Proxy Protocol v2 over IPv6: a 52-byte header (family 0x21, 36-byte address block) goes into
// the handshake's final ACK; later client data is shifted by 52, endpoint acks back.
TEST_F(Nat6Test, ProxyProtocolHeaderCarriesTheV6Addresses) {
  constexpr uint32_t kHdr = 52;
  Flow f = v6_flow(84);
  xlb_svc svc = make_svc(12, XLB_SEL_RR, {ep_});
  svc.flags |= XLB_SVC_F_PPV2;
  install(f.rule, svc);
  Bytes header = proxy_v2_header6(f.client.ip, f.rule.vip, f.cport, f.rule.port);
  ASSERT_EQ(header.size(), kHdr);
  auto client_sends = [&](const Seg& in, const Seg& out) {
    EXPECT_TRUE(Forwarded(from_client(f.client_seg(in)), f.to_endpoint(f.client_seg(out), ep_)));
  };
  auto endpoint_sends = [&](const Seg& in, const Seg& out) {
    EXPECT_TRUE(
        Forwarded(from_backend(f.endpoint_seg(ep_, in)), f.to_client(f.endpoint_seg(ep_, out))));
  };
  client_sends({tcpf::SYN, 1000, 0}, {tcpf::SYN, 1000, 0});
  endpoint_sends({tcpf::SYN | tcpf::ACK, 5000, 1001}, {tcpf::SYN | tcpf::ACK, 5000, 1001});
  client_sends({tcpf::ACK, 1001, 5001}, {tcpf::ACK, 1001, 5001, header});
  auto orig = ct(f.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->ppv2_len, kHdr);
  endpoint_sends({tcpf::ACK, 5001, 1001 + kHdr}, {tcpf::ACK, 5001, 1001});
  Bytes data = {'h', 'i'};
  client_sends({tcpf::ACK | tcpf::PSH, 1001, 5001, data},
               {tcpf::ACK | tcpf::PSH, 1001 + kHdr, 5001, data});
  endpoint_sends({tcpf::ACK, 5001, 1003 + kHdr}, {tcpf::ACK, 5001, 1003});
}

}  // namespace
}  // namespace xlbtest
