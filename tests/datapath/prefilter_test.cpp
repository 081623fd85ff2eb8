// The pre-filter (bpf/lib/addr_filter.h): TCP/UDP that concerns no VIP and no tracked flow goes
// to the kernel untouched after one lookup, its addresses never learnt; the replies of tracked
// flows (NAT, FullNAT, synced from a peer) still find their flow once the flow's creation has
// taught the filter the endpoint's address; a DSR backend's reply from the VIP is still
// recognised; and foreign traffic from a known endpoint takes the full path and still passes.
#include "fixture.h"

namespace xlbtest {
namespace {

class PrefilterTest : public DatapathTest {
 protected:
  bool known(const char* ip) { return dp().addr_filter_has(xip(ip)); }

  static constexpr uint32_t kSvcId = 31;
  static constexpr const char* kElsewhere = "10.0.9.9";  // in no rule, no flow
  const EpSpec ep_{kEndpoints[0], 8080};
  Flow flow_;
};

TEST_F(PrefilterTest, ForeignTcpAndUdpPassUntouchedAndTeachTheFilterNothing) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  ASSERT_FALSE(known(kClient.ip));
  ASSERT_FALSE(known(kElsewhere));
  const Bytes tcp =
      tcp_frame(flow_.client_l2(), {kClient.ip, kElsewhere}, 4000, 80, tcpf::SYN, 1000, 0);
  const Bytes udp = udp_frame(flow_.client_l2(), {kClient.ip, kElsewhere}, 4000, 53, {1, 2, 3});
  const auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(tcp), tcp));
  EXPECT_TRUE(PassedUntouched(from_client(udp), udp));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 2}}));
  EXPECT_TRUE(flows().empty());
  EXPECT_FALSE(known(kClient.ip)) << "foreign traffic must not mark its addresses";
  EXPECT_FALSE(known(kElsewhere));
}

TEST_F(PrefilterTest, AVipIsKnownFromItsRuleOnSoItsFirstPacketIsBalanced) {
  ASSERT_FALSE(known(kVip));
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  EXPECT_TRUE(known(kVip));
  const Bytes syn = flow_.client_tcp(tcpf::SYN);
  EXPECT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(syn, ep_)));
}

TEST_F(PrefilterTest, NatRepliesFindTheirFlowTcpAndUdp) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  ASSERT_FALSE(known(ep_.host.ip)) << "the endpoint is learnt from a flow, not from the rule";
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  EXPECT_TRUE(known(ep_.host.ip));
  const Bytes synack = flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), flow_.to_client(synack)));

  Flow udp;
  udp.rule = {kVip, 53, IPPROTO_UDP};
  const EpSpec dns{kEndpoints[1], 5353};
  install(udp.rule, make_svc(kSvcId + 1, XLB_SEL_RR, {dns}));
  ASSERT_FALSE(known(dns.host.ip));
  const Bytes query = udp.client_udp({'q'});
  ASSERT_TRUE(Forwarded(from_client(query), udp.to_endpoint(query, dns)));
  const Bytes answer = udp.endpoint_udp(dns, {'a', 'n'});
  EXPECT_TRUE(Forwarded(from_backend(answer), udp.to_client(answer)));
}

TEST_F(PrefilterTest, FullNatRepliesToTheLbAddressFindTheirFlow) {
  install(flow_.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_})));
  flow_.cport = 20000;  // in the SNAT range: the LB keeps it
  flow_.snat = Snat{kLbBeIp, flow_.cport};
  ASSERT_FALSE(known(ep_.host.ip));
  const Bytes syn = flow_.client_tcp(tcpf::SYN);
  ASSERT_TRUE(Forwarded(from_client(syn), flow_.to_endpoint(syn, ep_)));
  const Bytes synack = flow_.endpoint_tcp(ep_, tcpf::SYN | tcpf::ACK);
  EXPECT_TRUE(Forwarded(from_backend(synack), flow_.to_client(synack)));
  const Bytes data = flow_.endpoint_tcp(ep_, tcpf::ACK | tcpf::PSH, Bytes(100, 0x3c));
  EXPECT_TRUE(Forwarded(from_backend(data), flow_.to_client(data)));
}

TEST_F(PrefilterTest, ASyncedFlowsEndpointIsLearntSoItsRepliesFindTheFlow) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  ASSERT_FALSE(known(ep_.host.ip));
  ASSERT_TRUE(
      dp().install_synced_flow(flow_.orig_key(), peer_orig(flow_, ep_, kSvcId, XLB_MODE_NAT)).ok());
  EXPECT_TRUE(known(ep_.host.ip)) << "written by xlbd, not by the datapath: xlbd marks it";
  const Bytes ack = flow_.endpoint_tcp(ep_, tcpf::ACK | tcpf::PSH, Bytes(10, 0x11));
  EXPECT_TRUE(Forwarded(from_backend(ack), flow_.to_client(ack)));
}

TEST_F(PrefilterTest, ADsrBackendsReplyFromTheVipIsStillRecognised) {
  const EpSpec ep{kEndpoints[0], 80};
  install(flow_.rule, dsr(make_svc(kSvcId, XLB_SEL_HASH, {ep})));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  const Bytes reply = tcp_frame(flow_.endpoint_l2(ep), {kVip, kClient.ip}, 80, flow_.cport,
                                tcpf::SYN | tcpf::ACK, 5000, 1001);
  const auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(reply), reply));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_DSR_REPLY, 1}}));
}

TEST_F(PrefilterTest, ForeignTrafficFromAKnownEndpointTakesTheFullPathAndPassesUntouched) {
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep_}));
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
  ASSERT_TRUE(known(ep_.host.ip));
  const size_t flows_before = flows().size();
  const Bytes other =
      tcp_frame(flow_.endpoint_l2(ep_), {ep_.host.ip, kElsewhere}, 8080, 5555, tcpf::ACK, 1, 1);
  const auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_backend(other), other));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NOT_VIP, 1}}));
  EXPECT_EQ(flows().size(), flows_before) << "no flow for it";
}

}  // namespace
}  // namespace xlbtest
