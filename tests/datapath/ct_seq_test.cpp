// Conntrack records each direction's next TCP sequence number (for resetting an expired flow)
// and whether that direction sent an RST (for diagnose's "refuses connections").
#include "fixture.h"

namespace xlbtest {
namespace {

class CtSeqTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, eps_));
  }
  void client(const Seg& seg) {
    ASSERT_EQ(from_client(flow_.client_seg(seg)).action, TC_ACT_REDIRECT);
  }
  void endpoint(const Seg& seg) {
    ASSERT_EQ(from_backend(flow_.endpoint_seg(eps_[0], seg)).action, TC_ACT_REDIRECT);
  }
  xlb_ct_entry orig() {
    auto e = ct(flow_.orig_key());
    EXPECT_TRUE(e.has_value());
    return e.value_or(xlb_ct_entry{});
  }
  xlb_ct_entry reply() {
    auto e = ct(flow_.reply_key(eps_[0]));
    EXPECT_TRUE(e.has_value());
    return e.value_or(xlb_ct_entry{});
  }
  static constexpr uint32_t kSvcId = 4;
  std::vector<EpSpec> eps_ = endpoints(1);
  Flow flow_;
};

TEST_F(CtSeqTest, HandshakeAndDataAdvanceEachDirection) {
  client({tcpf::SYN, 1000, 0});
  EXPECT_EQ(orig().seen, XLB_CT_SEEN_SEQ);
  EXPECT_EQ(orig().seq_next, 1001u) << "a SYN takes one sequence number";
  EXPECT_EQ(reply().seen, 0u) << "the endpoint has sent nothing yet";

  endpoint({tcpf::SYN | tcpf::ACK, 5000, 1001});
  EXPECT_EQ(reply().seq_next, 5001u);
  EXPECT_EQ(reply().seen, XLB_CT_SEEN_SEQ);

  client({tcpf::ACK | tcpf::PSH, 1001, 5001, Bytes(100, 'a')});
  EXPECT_EQ(orig().seq_next, 1101u) << "100 bytes of payload";
  endpoint({tcpf::ACK | tcpf::PSH, 5001, 1101, Bytes(300, 'b')});
  EXPECT_EQ(reply().seq_next, 5301u);
}

TEST_F(CtSeqTest, RetransmissionNeverMovesBackwards) {
  client({tcpf::SYN, 1000, 0});
  endpoint({tcpf::SYN | tcpf::ACK, 5000, 1001});
  client({tcpf::ACK | tcpf::PSH, 1001, 5001, Bytes(50, 'a')});
  client({tcpf::ACK | tcpf::PSH, 1051, 5001, Bytes(50, 'a')});
  client({tcpf::ACK | tcpf::PSH, 1001, 5001, Bytes(50, 'a')});  // the first one again
  EXPECT_EQ(orig().seq_next, 1101u);
}

TEST_F(CtSeqTest, SequenceWrapsAroundZero) {
  client({tcpf::SYN, 0xfffffff0u, 0});
  endpoint({tcpf::SYN | tcpf::ACK, 5000, 0xfffffff1u});
  client({tcpf::ACK | tcpf::PSH, 0xfffffff1u, 5001, Bytes(32, 'a')});
  EXPECT_EQ(orig().seq_next, 0x11u) << "serial-number arithmetic across the wrap";
}

TEST_F(CtSeqTest, FinTakesOneSequenceNumber) {
  client({tcpf::SYN, 1000, 0});
  endpoint({tcpf::SYN | tcpf::ACK, 5000, 1001});
  client({tcpf::FIN | tcpf::ACK, 1001, 5001});
  EXPECT_EQ(orig().seq_next, 1002u);
}

TEST_F(CtSeqTest, EndpointRstIsRememberedOnTheReplyEntry) {
  client({tcpf::SYN, 1000, 0});
  endpoint({tcpf::RST | tcpf::ACK, 0, 1001});
  EXPECT_EQ(orig().state, XLB_CT_CLOSED);
  EXPECT_TRUE(reply().seen & XLB_CT_SEEN_RST);
  EXPECT_FALSE(reply().seen & XLB_CT_SEEN_SEQ) << "the endpoint never sent a sequence number";
  EXPECT_FALSE(orig().seen & XLB_CT_SEEN_RST) << "the client sent no RST";
}

TEST_F(CtSeqTest, ClientRstIsRememberedOnTheOrigEntry) {
  client({tcpf::SYN, 1000, 0});
  endpoint({tcpf::SYN | tcpf::ACK, 5000, 1001});
  client({tcpf::RST, 1001, 0});
  EXPECT_TRUE(orig().seen & XLB_CT_SEEN_RST);
  EXPECT_FALSE(reply().seen & XLB_CT_SEEN_RST);
}

}  // namespace
}  // namespace xlbtest
