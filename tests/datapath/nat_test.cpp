// NAT mode: DNAT of new flows (with port translation), un-NAT of replies, UDP, header variants
// (IP options, VLAN, Ethernet padding) and forwarding outcomes (unresolved neighbour, no route,
// no endpoint).
#include "fixture.h"

namespace xlbtest {
namespace {

class NatTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  }
  static constexpr uint32_t kSvcId = 3;
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
};

TEST_F(NatTest, NewTcpFlowIsDnatedWithPortTranslation) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  Verdict v = from_client(syn);
  EXPECT_TRUE(XdpTook(XDP_REDIRECT)) << "the common path runs in XDP";
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
  EXPECT_EQ(flows().size(), 2u) << "one orig and one reply entry";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
}

TEST_F(NatTest, ReplyIsReverseTranslatedToVip) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  Bytes synack = flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  auto before = stats();
  Verdict v = from_backend(synack);
  EXPECT_TRUE(XdpTook(XDP_REDIRECT));
  EXPECT_TRUE(Forwarded(v, flow_.to_client(synack)));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_EST, 1}}));
}

TEST_F(NatTest, LaterClientPacketsReuseTheTranslation) {
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(333, 0x5a));
  Verdict v = from_client(data);
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(data, ep_)));
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->packets, 2u);
  EXPECT_EQ(orig->bytes, flow_.client_tcp(tcpf::SYN).size() + data.size());
}

TEST_F(NatTest, UdpRequestAndReply) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, make_svc(4, XLB_SEL_RR, {dns}));

  Bytes query = udp.client_udp({'q', 'u', 'e', 'r', 'y'});  // odd length
  EXPECT_TRUE(Forwarded(from_client(query), udp.to_endpoint(query, dns)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 4, 0, XLB_CT_UDP_NEW));

  Bytes answer = udp.endpoint_udp(dns, Bytes(41, 0xa5));
  EXPECT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 4, 0, XLB_CT_UDP_EST));

  Bytes again = udp.client_udp({'a', 'g', 'a', 'i', 'n'});
  EXPECT_TRUE(Forwarded(from_client(again), udp.to_endpoint(again, dns)));
  EXPECT_TRUE(FlowTracked(dp(), udp, dns, 4, 0, XLB_CT_UDP_EST));
}

TEST_F(NatTest, UdpWithoutChecksumKeepsNoChecksum) {
  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, make_svc(4, XLB_SEL_RR, {dns}));
  Bytes query = udp.client_udp({1, 2, 3, 4});
  auto l = ipv4_layout(query);
  ASSERT_TRUE(l);
  query[l->l4 + 6] = query[l->l4 + 7] = 0;  // RFC 768: checksum not computed
  Bytes expected = udp.to_endpoint(query, dns);
  ASSERT_EQ(expected[l->l4 + 6] | expected[l->l4 + 7], 0);
  EXPECT_TRUE(Forwarded(from_client(query), expected));
}

TEST_F(NatTest, EthernetPaddingIsKeptAndNotChecksummed) {
  Bytes syn = flow_.client_tcp(tcpf::SYN);
  syn.resize(60, 0);  // a 54-byte SYN padded to the Ethernet minimum, as on the wire
  EXPECT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(syn, ep_)));
}

TEST_F(NatTest, IpOptionsAreSkippedToFindThePorts) {
  Ip4 ip = flow_.client_ip();
  ip.noop_options = 7;  // 8 bytes of options: IHL 7
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  ASSERT_EQ(syn[14] & 0x0f, 7);
  EXPECT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(syn, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
}

TEST_F(NatTest, VlanTaggedSynIsForwardedUntagged) {
  L2 tagged = flow_.client_l2();
  tagged.vlan = 100;
  Bytes syn = tcp_frame(tagged, flow_.client_ip(), flow_.cport, 80, tcpf::SYN, 1000, 0);
  // The egress is a routed device: the datapath pops the tag (documented in bpf/lib/fwd.h).
  Bytes untagged = flow_.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  EXPECT_TRUE(XdpTook(XDP_PASS)) << "a tagged frame is TC's";
  EXPECT_TRUE(Forwarded(v, flow_.to_endpoint(untagged, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_SYN_SENT));
}

TEST_F(NatTest, TtlTwoIsForwardedWithTtlOne) {
  Ip4 ip = flow_.client_ip();
  ip.ttl = 2;
  Bytes syn = tcp_frame(flow_.client_l2(), ip, flow_.cport, 80, tcpf::SYN, 1000, 0);
  Bytes expected = flow_.to_endpoint(syn, ep_);
  ASSERT_EQ(expected[14 + 8], 1);
  EXPECT_TRUE(Forwarded(from_client(syn), expected));
}

TEST_F(NatTest, UnresolvedNeighbourIsRedirectedThroughTheKernelNeighbour) {
  Flow f;
  f.rule.port = 81;
  const EpSpec ep{kUnresolvedEndpoint, 8081};
  install(f.rule, make_svc(5, XLB_SEL_RR, {ep}));
  Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  EXPECT_TRUE(XdpTook(XDP_PASS)) << "only TC can resolve a neighbour";
  Bytes expected = Rewrite(syn).daddr(ep.host.ip).dport(ep.port).dec_ttl().build();
  // bpf_redirect_neigh fills in the MACs later: they are not meaningful here.
  ASSERT_GE(v.frame.size(), 12u);
  std::copy_n(v.frame.begin(), 12, expected.begin());
  EXPECT_TRUE(Forwarded(v, expected));
  EXPECT_TRUE(FlowTracked(dp(), f, ep, 5, 0, XLB_CT_SYN_SENT));
}

// Round robin's first pick has no neighbour yet: XDP hands the SYN to TC, which must choose the
// same endpoint (XDP gives its round-robin step back), and the next flow goes to the other one.
// Without the give-back every such flow moved round robin twice: always onto the resolved
// endpoint, whose neighbour TC then never had to resolve for the other.
TEST_F(NatTest, RoundRobinKeepsItsPickWhenXdpHandsTheFlowToTc) {
  Flow first;
  first.rule.port = 83;
  const EpSpec unresolved{kUnresolvedEndpoint, 8081};
  install(first.rule, make_svc(6, XLB_SEL_RR, {unresolved, ep_}));
  Bytes syn = first.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  EXPECT_TRUE(XdpTook(XDP_PASS)) << "only TC can resolve a neighbour";
  EXPECT_TRUE(FlowTracked(dp(), first, unresolved, 6, 0, XLB_CT_SYN_SENT))
      << "TC kept round robin's first pick";

  Flow second = first;
  second.cport = first.cport + 1;
  Bytes syn2 = second.client_tcp(tcpf::SYN);
  EXPECT_TRUE(Forwarded(from_client(syn2), second.to_endpoint(syn2, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), second, ep_, 6, 1, XLB_CT_SYN_SENT)) << "then the other one";
}

TEST_F(NatTest, UnknownRouteToEndpointIsPassedUntouchedWithoutFlow) {
  Flow f;
  f.rule.port = 82;
  install(f.rule, make_svc(6, XLB_SEL_RR, {{kUnroutableEndpoint, 8082}}));
  Bytes syn = f.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(flows().empty());
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_ROUTE, 1}}));
  EXPECT_EQ(svc_counter(6).new_flows, 0u);
}

TEST_F(NatTest, ReplyToAClientWithoutRouteIsPassedUntouched) {
  Flow far = flow_;
  far.client = {"192.0.2.77", {0x02, 0, 0, 0, 0x01, 0x77}};  // no route back in the namespace
  Bytes syn = far.client_tcp(tcpf::SYN);
  ASSERT_TRUE(Forwarded(from_client(syn), far.to_endpoint(syn, ep_)));
  Bytes synack = far.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(synack), synack));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_ROUTE, 1}}));
  EXPECT_TRUE(FlowTracked(dp(), far, ep_, kSvcId, 0, XLB_CT_SYN_SENT)) << "state not advanced";
}

TEST_F(NatTest, RuleWithoutEligibleEndpointDropsNewFlows) {
  Flow f;
  f.rule.port = 83;
  xlb_svc svc =
      make_svc(7, XLB_SEL_RR,
               {{kEndpoints[0], 8080, 1, XLB_EP_DOWN}, {kEndpoints[1], 8080, 1, XLB_EP_DRAINING}});
  ASSERT_EQ(svc.nr_slots, 0);
  install(f.rule, svc);
  Bytes syn = f.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(Dropped(from_client(syn)));
  EXPECT_TRUE(flows().empty());
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_NO_ENDPOINT, 1}}));
}

// The datapath's choice for a mid-stream packet with no conntrack entry (evicted entry or a
// restart without pinned maps): pick it up as an established flow rather than drop or reset it.
TEST_F(NatTest, NonSynWithoutFlowIsPickedUpAsEstablished) {
  Bytes ack = flow_.client_tcp(tcpf::ACK, {'x'});
  auto before = stats();
  EXPECT_TRUE(Forwarded(from_client(ack), flow_.to_endpoint(ack, ep_)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, ep_, kSvcId, 0, XLB_CT_EST));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_FWD_NEW, 1}}));
}

// A RST for a flow the datapath does not know resets nothing: the kernel gets it, unchanged.
TEST_F(NatTest, RstWithoutFlowIsPassedUntouchedAsNoRule) {
  Bytes rst = flow_.client_tcp(tcpf::RST);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(rst), rst));
  EXPECT_TRUE(flows().empty());
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_RULE, 1}}));
}

}  // namespace
}  // namespace xlbtest
