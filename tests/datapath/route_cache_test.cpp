// The per-flow route cache (bpf/lib/route_cache.h): an established flow's packets may reuse the
// FIB's answer only for its lifetime; after that they follow the kernel's current neighbour
// entry or route. Each test changes the namespace's topology and restores it in TearDown.
#include <chrono>
#include <thread>

#include "fixture.h"

namespace xlbtest {
namespace {

// XLB_ROUTE_CACHE_TTL_NS (route_cache.h) with a margin: afterwards no cached answer may be used.
constexpr auto kPastCacheLifetime = std::chrono::milliseconds(250 + 150);

class RouteCacheTest : public DatapathTest {
 protected:
  void TearDown() override {
    for (const auto& cmd : restore_) EXPECT_EQ(run_shell(cmd), "") << "restoring the topology";
    DatapathTest::TearDown();
  }
  // Runs `change` now and `restore` at the end of the test.
  void change_topology(const std::string& change, const std::string& restore) {
    restore_.push_back(restore);
    ASSERT_EQ(run_shell(change), "");
  }
  // A NAT flow to `ep`, established, whose last packet (`ack_`) was forwarded out of the LB
  // interface with MAC `lb_mac`, so the cache holds its route.
  void establish(const EpSpec& ep, const Mac& lb_mac) {
    install(flow_.rule, make_svc(kSvcId, XLB_SEL_RR, {ep}));
    ASSERT_EQ(from_client(flow_.client_tcp(tcpf::SYN)).action, TC_ACT_REDIRECT);
    ASSERT_EQ(from_backend(flow_.endpoint_tcp(ep, tcpf::SYN | tcpf::ACK)).action, TC_ACT_REDIRECT);
    ASSERT_TRUE(
        Forwarded(from_client(ack_), Rewrite(flow_.to_endpoint(ack_, ep)).eth_src(lb_mac).build()));
  }
  static constexpr uint32_t kSvcId = 3;
  Flow flow_;
  const Bytes ack_ = flow_.client_tcp(tcpf::ACK);
  std::vector<std::string> restore_;
};

TEST_F(RouteCacheTest, EstablishedFlowFollowsTheEndpointsNewMacOnceTheCachedAnswerExpires) {
  const Host& ep_host = kEndpoints[0];
  establish({ep_host, 8080}, kLbBeMac);
  const Mac moved = {0x02, 0, 0, 0, 0x02, 0x99};
  const std::string neigh =
      "ip neigh replace " + std::string(ep_host.ip) + " dev " + kBeIf + " nud permanent lladdr ";
  change_topology(neigh + mac_text(moved), neigh + mac_text(ep_host.mac));
  std::this_thread::sleep_for(kPastCacheLifetime);
  EXPECT_TRUE(Forwarded(from_client(ack_), flow_.to_endpoint(ack_, {{ep_host.ip, moved}, 8080})));
}

TEST_F(RouteCacheTest, EstablishedFlowIsHandedToTheKernelOnceItsRouteIsGoneAndTheAnswerExpires) {
  establish({kRoutedEndpoints[0], 8080}, kLbGwMac);
  const std::string route = std::string(" 10.0.4.0/24 via ") + kGateway.ip + " dev " + kGwIf;
  change_topology("ip route del" + route, "ip route replace" + route);
  std::this_thread::sleep_for(kPastCacheLifetime);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(ack_), ack_));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_ROUTE, 1}}));
}

// A FullNAT reply is addressed to the LB's own SNAT address: handed to the kernel when the route
// back to the client is gone, it would be answered with a reset that ends the endpoint's side of
// the flow. It is held back (counted) instead, its entries kept, and the flow goes on once the
// route is back. (An HA node losing its client-side link before its backend-side one did this.)
TEST_F(RouteCacheTest, FullNatReplyWithoutRouteToTheClientIsHeldBackAndTheFlowLivesOn) {
  const EpSpec ep{kEndpoints[0], 8080};
  Flow f;
  f.client = {"10.0.4.50", kGateway.mac};  // behind the gateway: its route can be taken away
  f.cport = 20004;
  install(f.rule, fullnat(make_svc(kSvcId, XLB_SEL_RR, {ep})));
  const Bytes syn = f.client_tcp(tcpf::SYN);
  Verdict v = from_client(syn);
  f.snat = source_of(v);
  ASSERT_TRUE(f.snat) << "SYN not forwarded";
  ASSERT_TRUE(Forwarded(v, f.to_endpoint(syn, ep)));

  const std::string route = std::string(" 10.0.4.0/24 via ") + kGateway.ip + " dev " + kGwIf;
  change_topology("ip route del" + route, "ip route replace" + route);
  const Bytes synack = f.endpoint_tcp(ep, tcpf::SYN | tcpf::ACK);
  auto before = stats();
  EXPECT_TRUE(Dropped(from_backend(synack))) << "not held back";
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_DROP_NO_ROUTE, 1}}));
  EXPECT_TRUE(FlowTracked(dp(), f, ep, kSvcId, 0, XLB_CT_SYN_SENT)) << "entries kept, unchanged";

  ASSERT_EQ(run_shell("ip route replace" + route), "");
  EXPECT_TRUE(
      Forwarded(from_backend(synack), Rewrite(f.to_client(synack)).eth_src(kLbGwMac).build()));
}

}  // namespace
}  // namespace xlbtest
