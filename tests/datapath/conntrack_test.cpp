// Conntrack: the TCP state machine held in the orig entry, port reuse after time-wait/closed
// (also on another rule that NATs to the same endpoint tuple), and flows keeping their endpoint
// when the rule changes.
#include <cstring>

#include "fixture.h"

namespace xlbtest {
namespace {

class ConntrackTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, eps_));
  }
  // Sends a client packet, expects it DNATed to eps_[ep], then the flow in `state`.
  void client(uint8_t flags, int ep, uint8_t state) {
    Bytes in = flow_.client_tcp(flags);
    EXPECT_TRUE(Forwarded(from_client(in), flow_.to_endpoint(in, eps_[ep])));
    EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[ep], kSvcId, static_cast<uint16_t>(ep), state));
  }
  // Sends an endpoint packet, expects it un-NATed to the client, then the flow in `state`.
  void endpoint(uint8_t flags, int ep, uint8_t state) {
    Bytes in = flow_.endpoint_tcp(eps_[ep], flags);
    EXPECT_TRUE(Forwarded(from_backend(in), flow_.to_client(in)));
    EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[ep], kSvcId, static_cast<uint16_t>(ep), state));
  }
  void handshake() {
    client(tcpf::SYN, 0, XLB_CT_SYN_SENT);
    endpoint(tcpf::SYN | tcpf::ACK, 0, XLB_CT_SYN_RECV);
    client(tcpf::ACK, 0, XLB_CT_EST);
  }
  static constexpr uint32_t kSvcId = 9;
  std::vector<EpSpec> eps_ = endpoints(3);
  Flow flow_;
};

TEST_F(ConntrackTest, HandshakeThenClientClosesFirst) {
  handshake();
  client(tcpf::FIN | tcpf::ACK, 0, XLB_CT_FIN_WAIT);
  endpoint(tcpf::ACK, 0, XLB_CT_FIN_WAIT);
  endpoint(tcpf::FIN | tcpf::ACK, 0, XLB_CT_TIME_WAIT);
  client(tcpf::ACK, 0, XLB_CT_TIME_WAIT);
}

TEST_F(ConntrackTest, HandshakeThenEndpointClosesFirst) {
  handshake();
  endpoint(tcpf::FIN | tcpf::ACK, 0, XLB_CT_CLOSE_WAIT);
  client(tcpf::ACK, 0, XLB_CT_CLOSE_WAIT);
  client(tcpf::FIN | tcpf::ACK, 0, XLB_CT_TIME_WAIT);
}

TEST_F(ConntrackTest, RstFromClientCloses) {
  handshake();
  client(tcpf::RST, 0, XLB_CT_CLOSED);
}

TEST_F(ConntrackTest, RstFromEndpointCloses) {
  handshake();
  endpoint(tcpf::RST | tcpf::ACK, 0, XLB_CT_CLOSED);
}

TEST_F(ConntrackTest, RetransmittedSynKeepsItsEndpoint) {
  client(tcpf::SYN, 0, XLB_CT_SYN_SENT);
  client(tcpf::SYN, 0, XLB_CT_SYN_SENT);  // rr would pick endpoint 1 for a new flow
}

TEST_F(ConntrackTest, SynOnTimeWaitFlowStartsAFreshFlow) {
  handshake();
  client(tcpf::FIN | tcpf::ACK, 0, XLB_CT_FIN_WAIT);
  endpoint(tcpf::FIN | tcpf::ACK, 0, XLB_CT_TIME_WAIT);
  client(tcpf::SYN, 1, XLB_CT_SYN_SENT);  // next rr pick, FIN flags of the old flow gone
  auto orig = ct(flow_.orig_key());
  ASSERT_TRUE(orig);
  EXPECT_EQ(orig->flags & (XLB_CT_F_CLIENT_FIN | XLB_CT_F_EP_FIN), 0);
  EXPECT_FALSE(ct(flow_.reply_key(eps_[0]))) << "the old flow's reply entry is replaced";
  EXPECT_EQ(flows().size(), 2u);
  endpoint(tcpf::SYN | tcpf::ACK, 1, XLB_CT_SYN_RECV);
}

TEST_F(ConntrackTest, SynOnClosedFlowStartsAFreshFlow) {
  handshake();
  client(tcpf::RST, 0, XLB_CT_CLOSED);
  client(tcpf::SYN, 1, XLB_CT_SYN_SENT);
  EXPECT_FALSE(ct(flow_.reply_key(eps_[0]))) << "the old flow's reply entry is replaced";
  EXPECT_EQ(flows().size(), 2u);
}

TEST_F(ConntrackTest, EstablishedFlowKeepsItsEndpointWhenTheRuleChanges) {
  handshake();
  std::vector<EpSpec> replaced = {{kEndpoints[2], 9090}, {kEndpoints[3], 9090}};
  install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, replaced));

  Bytes data = flow_.client_tcp(tcpf::ACK | tcpf::PSH, Bytes(100, 1));
  EXPECT_TRUE(Forwarded(from_client(data), flow_.to_endpoint(data, eps_[0])));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(200, 2));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));

  Flow other = flow_;
  other.cport = 40001;
  Bytes syn = other.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  int idx = endpoint_of(v, replaced);
  ASSERT_GE(idx, 0) << "a new flow goes to the rule's new endpoints";
  EXPECT_TRUE(Forwarded(v, other.to_endpoint(syn, replaced[idx])));
}

// The client reuses its port for another rule of the VIP (port 81) that picks the same endpoint:
// NAT gives both flows one reply key. The finished flow's reply entry (in the main map, which
// all but a SYN+ACK ask first) must not answer for the new one: its SYN+ACK comes back from
// VIP:81, not VIP:80 (e2e selection.sh saw such connections time out right after the maglev
// rule was replaced).
class ReplyKeyReuseTest : public ConntrackTest {
 protected:
  void finish_first_flow(uint8_t last_client_flags) {
    handshake();
    if (last_client_flags & tcpf::RST) {
      client(tcpf::RST, 0, XLB_CT_CLOSED);
      return;
    }
    client(tcpf::FIN | tcpf::ACK, 0, XLB_CT_FIN_WAIT);
    endpoint(tcpf::FIN | tcpf::ACK, 0, XLB_CT_TIME_WAIT);
  }
  // The same client port to VIP:81, whose only endpoint is the first flow's: a whole handshake,
  // each packet checked on the wire.
  void second_flow_opens() {
    Flow second = flow_;
    second.rule.port = 81;
    install(second.rule, make_svc(kOtherSvcId, XLB_SEL_RR, {eps_[0]}));
    const xlb_ct_key a = second.reply_key(eps_[0]), b = flow_.reply_key(eps_[0]);
    ASSERT_EQ(std::memcmp(&a, &b, sizeof a), 0) << "one reply key for both";
    Bytes syn = second.client_tcp(tcpf::SYN);
    EXPECT_TRUE(Forwarded(from_client(syn), second.to_endpoint(syn, eps_[0])));
    Bytes syn_ack = second.endpoint_tcp(eps_[0], tcpf::SYN | tcpf::ACK);
    EXPECT_TRUE(Forwarded(from_backend(syn_ack), second.to_client(syn_ack)))
        << "the SYN+ACK answers from VIP:81, the new flow's rule";
    Bytes ack = second.client_tcp(tcpf::ACK);
    EXPECT_TRUE(Forwarded(from_client(ack), second.to_endpoint(ack, eps_[0])));
    EXPECT_TRUE(FlowTracked(dp(), second, eps_[0], kOtherSvcId, 0, XLB_CT_EST));
    EXPECT_FALSE(ct(flow_.orig_key())) << "the finished flow that held the reply key is gone";
    EXPECT_EQ(flows().size(), 2u);
  }
  static constexpr uint32_t kOtherSvcId = 10;
};

TEST_F(ReplyKeyReuseTest, AfterAClosedFlowTheNewRuleAnswers) {
  finish_first_flow(tcpf::RST);
  second_flow_opens();
}

TEST_F(ReplyKeyReuseTest, AfterATimeWaitFlowTheNewRuleAnswers) {
  finish_first_flow(tcpf::FIN);
  second_flow_opens();
}

TEST_F(ReplyKeyReuseTest, ALiveFlowKeepsItsReplyEntry) {
  handshake();
  Flow second = flow_;
  second.rule.port = 81;
  install(second.rule, make_svc(kOtherSvcId, XLB_SEL_RR, {eps_[0]}));
  Bytes syn = second.client_tcp(tcpf::SYN);
  EXPECT_TRUE(Forwarded(from_client(syn), second.to_endpoint(syn, eps_[0])));
  // The established flow still talks both ways through its own entries.
  EXPECT_TRUE(FlowTracked(dp(), flow_, eps_[0], kSvcId, 0, XLB_CT_EST));
  Bytes answer = flow_.endpoint_tcp(eps_[0], tcpf::ACK | tcpf::PSH, Bytes(20, 2));
  EXPECT_TRUE(Forwarded(from_backend(answer), flow_.to_client(answer)));
}

}  // namespace
}  // namespace xlbtest
