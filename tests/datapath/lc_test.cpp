// Least connections: new flows go to the endpoint with the fewest active flows per unit of
// weight (ties to the lower index); the counts rise with each new flow and fall when a flow is
// reset or closes on both sides, exactly once.
#include <array>

#include "fixture.h"

namespace xlbtest {
namespace {

class LcTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install_lc();
  }
  void install_lc() { install({}, make_svc(kSvcId, XLB_SEL_LC, eps_)); }
  static Flow flow(uint16_t cport) {
    Flow f;
    f.cport = cport;
    return f;
  }
  std::array<uint32_t, 3> counts() {
    return {active(kSvcId, 0), active(kSvcId, 1), active(kSvcId, 2)};
  }
  void set_counts(const std::array<uint32_t, 3>& c) {
    for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(dp().set_active_flows(kSvcId, i, c[i]).ok());
  }
  // Sends a client packet of an open flow on endpoint `ep`, expecting it forwarded there.
  void client(const Flow& f, int ep, uint8_t flags) {
    Bytes in = f.client_tcp(flags);
    EXPECT_TRUE(Forwarded(from_client(in), f.to_endpoint(in, eps_[ep])));
  }
  void endpoint(const Flow& f, int ep, uint8_t flags) {
    Bytes in = f.endpoint_tcp(eps_[ep], flags);
    EXPECT_TRUE(Forwarded(from_backend(in), f.to_client(in)));
  }

  static constexpr uint32_t kSvcId = 51;
  std::vector<EpSpec> eps_ = endpoints(3);
};

TEST_F(LcTest, OneLongLivedFlowPerEndpointThenNewFlowsGoToTheLeastLoaded) {
  // Equal counts: ties go to the lower index, and each pick raises the count.
  for (int ep = 0; ep < 3; ++ep) {
    EXPECT_EQ(open_flow(flow(static_cast<uint16_t>(41000 + ep)), eps_), ep);
    EXPECT_EQ(active(kSvcId, static_cast<uint32_t>(ep)), 1u);
  }
  set_counts({10, 3, 7});  // the control plane's resync after aging, say
  for (uint32_t n = 1; n <= 4; ++n) {
    EXPECT_EQ(open_flow(flow(static_cast<uint16_t>(42000 + n)), eps_), 1);
    EXPECT_EQ(counts(), (std::array<uint32_t, 3>{10, 3 + n, 7}));
  }
  // 7 against 7: the lower index still wins; then endpoint 2 is the least loaded.
  EXPECT_EQ(open_flow(flow(42010), eps_), 1);
  EXPECT_EQ(open_flow(flow(42011), eps_), 2);
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{10, 8, 8}));
}

TEST_F(LcTest, ResetAndBothSidedCloseDecrementOnce) {
  Flow reset = flow(43000);
  ASSERT_EQ(open_flow(reset, eps_), 0);
  Flow closed = flow(43001);
  ASSERT_EQ(open_flow(closed, eps_), 1);
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{1, 1, 0}));

  client(reset, 0, tcpf::RST);
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{0, 1, 0}));
  client(reset, 0, tcpf::RST);  // a retransmitted RST does not count again
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{0, 1, 0})) << "no underflow";

  endpoint(closed, 1, tcpf::SYN | tcpf::ACK);
  client(closed, 1, tcpf::ACK);
  client(closed, 1, tcpf::FIN | tcpf::ACK);
  EXPECT_EQ(active(kSvcId, 1), 1u) << "half-closed still counts";
  endpoint(closed, 1, tcpf::FIN | tcpf::ACK);
  EXPECT_EQ(active(kSvcId, 1), 0u) << "time-wait no longer counts";
  client(closed, 1, tcpf::ACK);
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{0, 0, 0}));
}

TEST_F(LcTest, WeightsScaleTheLoadAnEndpointTakes) {
  eps_[1].weight = 2;
  eps_[2].state = XLB_EP_DOWN;  // never picked, though it has no flows at all
  install_lc();
  std::array<int, 3> picked{};
  for (uint16_t i = 0; i < 30; ++i) {
    int ep = open_flow(flow(static_cast<uint16_t>(44000 + i)), eps_);
    ASSERT_GE(ep, 0);
    ++picked[ep];
  }
  EXPECT_EQ(picked, (std::array<int, 3>{10, 20, 0}));
  EXPECT_EQ(counts(), (std::array<uint32_t, 3>{10, 20, 0}));
}

}  // namespace
}  // namespace xlbtest
