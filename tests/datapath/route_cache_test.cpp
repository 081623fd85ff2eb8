// The per-flow route cache (bpf/lib/route_cache.h): an established flow's packets may reuse the
// FIB's answer only for its lifetime; after that they follow the kernel's current neighbour
// entry or route. Each test changes the namespace's topology and restores it in TearDown.
#include <arpa/inet.h>
#include <sched.h>

#include <chrono>
#include <string>
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

// A client reusing its port for a new flow to the same endpoint, whose route has gone since: the
// new flow does not start, and the finished flow's entries — both kept for recycling, its reply
// key being the new flow's too — go with it (ct_forget_unrecycled), none left to age out.
TEST_F(RouteCacheTest, AReusedTupleToTheSameEndpointWithoutRouteLeavesNothingBehind) {
  const EpSpec ep{kRoutedEndpoints[0], 8080};
  establish(ep, kLbGwMac);
  ASSERT_EQ(from_client(flow_.client_tcp(tcpf::RST)).action, TC_ACT_REDIRECT);
  ASSERT_TRUE(FlowTracked(dp(), flow_, ep, kSvcId, 0, XLB_CT_CLOSED));

  const std::string route = std::string(" 10.0.4.0/24 via ") + kGateway.ip + " dev " + kGwIf;
  change_topology("ip route del" + route, "ip route replace" + route);
  const Bytes syn = flow_.client_tcp(tcpf::SYN);
  auto before = stats();
  EXPECT_TRUE(PassedUntouched(from_client(syn), syn));
  EXPECT_TRUE(StatsMoved(before, stats(), {{XLB_STAT_PASS_NO_ROUTE, 1}}));
  EXPECT_TRUE(flows().empty());
  EXPECT_FALSE(ct(flow_.reply_key(ep))) << "the finished flow's reply entry was left";
}

// The index among a CPU's shared answers that route_cache.h files a next hop's answer under:
// the test's own statement of it, to pick two next hops that share one.
uint32_t answer_index_of(uint32_t oif, const char* ipv4) {
  uint32_t h = oif ^ inet_addr(ipv4);  // the address as the datapath loads its first word
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h & (1024 - 1);  // XLB_ROUTE_ANSWERS
}

// Flows share FIB answers by egress and next hop; two next hops filed under the same index take
// turns there. A flow whose answer was replaced by another next hop's must ask the FIB again,
// never take the other's: every packet leaves with its own endpoint's MAC. (Pinned to one CPU:
// each CPU has its own slots and answers.)
TEST_F(RouteCacheTest, FlowsWhoseNextHopsShareAnAnswerEachKeepTheirOwnRoute) {
  cpu_set_t old_cpus, one_cpu;
  ASSERT_EQ(sched_getaffinity(0, sizeof old_cpus, &old_cpus), 0);
  CPU_ZERO(&one_cpu);
  CPU_SET(0, &one_cpu);
  ASSERT_EQ(sched_setaffinity(0, sizeof one_cpu, &one_cpu), 0);
  std::string ips[2];
  uint32_t seen[1024] = {};
  for (int last = 100; last < 255 && ips[1].empty(); ++last) {
    const std::string ip = "10.0.2." + std::to_string(last);
    const uint32_t idx = answer_index_of(static_cast<uint32_t>(env().be_ifindex), ip.c_str());
    if (seen[idx]) {
      ips[0] = "10.0.2." + std::to_string(seen[idx]);
      ips[1] = ip;
    }
    seen[idx] = static_cast<uint32_t>(last);
  }
  ASSERT_FALSE(ips[1].empty()) << "no two next hops share an answer index";
  const EpSpec eps[2] = {{{ips[0].c_str(), {0x02, 0, 0, 0, 0x07, 0x01}}, 8080},
                         {{ips[1].c_str(), {0x02, 0, 0, 0, 0x07, 0x02}}, 8080}};
  Flow flows[2];
  for (int i = 0; i < 2; ++i) {
    const std::string neigh = "ip neigh replace " + ips[i] + " dev " + kBeIf +
                              " nud permanent lladdr " + mac_text(eps[i].host.mac);
    change_topology(neigh, "ip neigh del " + ips[i] + " dev " + kBeIf);
    flows[i].rule.proto = IPPROTO_UDP;
    flows[i].rule.port = static_cast<uint16_t>(7000 + i);
    flows[i].cport = static_cast<uint16_t>(30000 + i);
    install(flows[i].rule, make_svc(kSvcId + 1 + i, XLB_SEL_RR, {eps[i]}));
  }
  const Bytes payload = {1, 2, 3, 4};
  // A new flow's packet (the FIB), then established ones: the cache's turn.
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 2; ++i) {
      const Bytes in = flows[i].client_udp(payload);
      EXPECT_TRUE(Forwarded(from_client(in), flows[i].to_endpoint(in, eps[i])))
          << "flow " << i << ", packet " << round;
    }
  EXPECT_EQ(sched_setaffinity(0, sizeof old_cpus, &old_cpus), 0);
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
