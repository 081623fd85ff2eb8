// FullNAT source ports per node (BpfDatapath::set_snat_port_range, xlb_node.snat_ports): an HA
// pair splits the range, so each node allocates only inside its own share; the client's port is
// kept only when it lies in that share; a bad range is refused and changes nothing.
#include <set>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint16_t kLo = 30000, kHi = 30009;  // ten ports

class SnatRangeTest : public DatapathTest {
 protected:
  void SetUp() override {
    DatapathTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    install(Flow{}.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep_})));
  }
  // f's SYN from client `i`; the SNAT port it got (0 when not forwarded).
  uint16_t open(size_t i, uint16_t cport) {
    Flow f;
    f.client = client_host(i);
    f.cport = cport;
    Bytes syn = f.client_tcp(tcpf::SYN);
    Verdict v = from_client(syn);
    auto source = source_of(v);
    if (!source) return 0;
    f.snat = source;
    EXPECT_TRUE(Forwarded(v, f.to_endpoint(syn, ep_)));
    return source->port;
  }

  static constexpr uint32_t kSvcId = 61;
  const EpSpec ep_{kEndpoints[0], 8080};
};

TEST_F(SnatRangeTest, PortsComeOnlyFromTheNodesRangeUntilItIsExhausted) {
  ASSERT_TRUE(dp().set_snat_port_range(kLo, kHi).ok());
  EXPECT_EQ(open(0, 30005), 30005) << "a client port inside the node's range is kept";
  std::set<uint16_t> ports = {30005};
  // 20000 is in the compile-time range but not this node's: never kept.
  for (size_t i = 1; i < 10; ++i) {
    const uint16_t port = open(i, 20000);
    EXPECT_GE(port, kLo) << "client " << i;
    EXPECT_LE(port, kHi) << "client " << i;
    EXPECT_TRUE(ports.insert(port).second) << "port " << port << " handed out twice";
  }
  EXPECT_EQ(ports.size(), 10u);
  auto before = stats();
  EXPECT_EQ(open(10, 20000), 0) << "all ten ports of the range are taken";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_SNAT_EXHAUSTED, 1}}));
}

TEST_F(SnatRangeTest, ABadRangeIsRefusedAndTheRangeInForceStays) {
  ASSERT_TRUE(dp().set_snat_port_range(kLo, kHi).ok());
  for (auto [lo, hi] : {std::pair<uint16_t, uint16_t>{kHi, kLo}, {1000, 2000}, {30000, 40000}}) {
    auto r = dp().set_snat_port_range(lo, hi);
    ASSERT_FALSE(r.ok()) << lo << "-" << hi;
    EXPECT_EQ(r.error().code, xlb::ErrorCode::invalid_argument);
    EXPECT_EQ(r.error().field, "snat_port_range");
  }
  const uint16_t port = open(0, 20000);
  EXPECT_GE(port, kLo);
  EXPECT_LE(port, kHi);
}

TEST_F(SnatRangeTest, TheWholeCompileTimeRangeIsTheDefaultAndCanBeRestored) {
  EXPECT_EQ(open(0, 20000), 20000) << "default: the client's port, in range, is kept";
  ASSERT_TRUE(dp().set_snat_port_range(kLo, kHi).ok());
  const uint16_t port = open(1, 20000);
  EXPECT_GE(port, kLo);
  EXPECT_LE(port, kHi);
  ASSERT_TRUE(dp().set_snat_port_range(XLB_SNAT_PORT_MIN, XLB_SNAT_PORT_MAX).ok());
  EXPECT_EQ(open(2, 20001), 20001) << "(20000 toward this endpoint is client 0's)";
}

TEST_F(SnatRangeTest, ASinglePortRangeServesOneFlowPerEndpointTuple) {
  ASSERT_TRUE(dp().set_snat_port_range(31000, 31000).ok());
  EXPECT_EQ(open(0, 20000), 31000);
  EXPECT_EQ(open(1, 20000), 0);
}

}  // namespace
}  // namespace xlbtest
