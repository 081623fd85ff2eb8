// Session persistence: a client address keeps its endpoint across connections while its
// affinity (xlb_persist_v1) is younger than the rule's persist_timeout_s; after that, or at once
// when the endpoint is no longer up, it is re-selected and the affinity replaced.
#include <bpf/bpf.h>
#include <time.h>

#include <array>
#include <chrono>
#include <thread>

#include "fixture.h"

namespace xlbtest {
namespace {

class PersistTest : public DatapathTest {
 protected:
  void install_persist(uint32_t timeout_s) {
    xlb_svc svc = make_svc(kSvcId, XLB_SEL_PERSIST, eps_);
    svc.persist_timeout_s = timeout_s;
    install({}, svc);
  }
  static Flow flow(const Host& client, uint16_t cport) {
    Flow f;
    f.client = client;
    f.cport = cport;
    return f;
  }
  void expect_affinity(const Host& client, int ep) {
    auto e = persist(kSvcId, client.ip);
    ASSERT_TRUE(e) << "no affinity for " << client.ip;
    EXPECT_EQ(e->ep_idx, static_cast<uint32_t>(ep));
    EXPECT_EQ(e->ep_addr.w[0], ip_be(eps_.at(ep).host.ip));
  }
  static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

  static constexpr uint32_t kSvcId = 61;
  std::vector<EpSpec> eps_ = endpoints(3);
};

TEST_F(PersistTest, HundredConnectionsOfOneClientStayOnOneEndpoint) {
  install_persist(300);
  int first = open_flow(flow(kClient, 30000), eps_);
  ASSERT_GE(first, 0);
  for (uint16_t i = 1; i < 100; ++i)
    EXPECT_EQ(open_flow(flow(kClient, static_cast<uint16_t>(30000 + i)), eps_), first) << i;
  expect_affinity(kClient, first);
  EXPECT_EQ(ep_counter(kSvcId, static_cast<uint32_t>(first)).new_flows, 100u);
}

TEST_F(PersistTest, ManyClientsSpreadOverTheEndpoints) {
  install_persist(300);
  std::array<int, 3> per_ep{};
  for (size_t c = 0; c < 90; ++c) {
    const Host client = client_host(c);
    int ep = open_flow(flow(client, 30000), eps_);
    ASSERT_GE(ep, 0);
    ++per_ep[ep];
    EXPECT_EQ(open_flow(flow(client, 30001), eps_), ep) << client.ip << ", second connection";
    expect_affinity(client, ep);
  }
  // First choices come from the rule's round-robin table: an exact third each.
  EXPECT_EQ(per_ep, (std::array<int, 3>{30, 30, 30}));
}

TEST_F(PersistTest, IdleAffinityExpiresAndIsReplaced) {
  install_persist(1);
  ASSERT_EQ(open_flow(flow(kClient, 30000), eps_), 0);
  ASSERT_EQ(open_flow(flow(kClient, 30001), eps_), 0) << "within the timeout";
  auto old = persist(kSvcId, kClient.ip);
  ASSERT_TRUE(old);
  sleep_ms(1200);  // no packet from the client for longer than persist_timeout_s
  EXPECT_EQ(open_flow(flow(kClient, 30002), eps_), 1) << "re-selected: rr's next endpoint";
  expect_affinity(kClient, 1);
  auto fresh = persist(kSvcId, kClient.ip);
  ASSERT_TRUE(fresh);
  EXPECT_GE(fresh->last_seen_ns, old->last_seen_ns + 1'000'000'000ull);
  EXPECT_EQ(open_flow(flow(kClient, 30003), eps_), 1) << "the new affinity holds";
}

// The datapath reads CLOCK_MONOTONIC coarsely (bpf/lib/clock.h); an affinity refreshed from a
// flow the control plane wrote (a synced flow's last_seen, from its finer reading) can be a
// few milliseconds ahead of it. That is a fresh affinity, not one idle for 2^64 ns.
TEST_F(PersistTest, AnAffinityStampedAheadOfTheDatapathClockHolds) {
  install_persist(300);
  ASSERT_EQ(open_flow(flow(kClient, 30000), eps_), 0);
  auto e = persist(kSvcId, kClient.ip);
  ASSERT_TRUE(e);
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  e->last_seen_ns = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + ts.tv_nsec + 50'000'000;
  xlb_persist_key key{};
  key.svc_id = kSvcId;
  key.client = xip(kClient.ip);
  ASSERT_EQ(bpf_map_update_elem(map_fd(XLB_MAP_PERSIST), &key, &*e, BPF_ANY), 0);
  EXPECT_EQ(open_flow(flow(kClient, 30001), eps_), 0) << "kept, not re-selected by rr";
  expect_affinity(kClient, 0);
}

TEST_F(PersistTest, TrafficOnAnOpenFlowKeepsTheAffinityAlive) {
  install_persist(1);
  Flow open = flow(kClient, 30000);
  ASSERT_EQ(open_flow(open, eps_), 0);
  for (int i = 0; i < 3; ++i) {  // 1.5 s in all, never 1 s idle
    sleep_ms(500);
    auto before = persist(kSvcId, kClient.ip);
    Bytes data = open.client_tcp(tcpf::ACK | tcpf::PSH, {'k'});
    EXPECT_TRUE(Forwarded(from_client(data), open.to_endpoint(data, eps_[0])));
    auto after = persist(kSvcId, kClient.ip);
    ASSERT_TRUE(before && after);
    EXPECT_GT(after->last_seen_ns, before->last_seen_ns) << "refreshed by the flow's packet";
  }
  EXPECT_EQ(open_flow(flow(kClient, 30001), eps_), 0);
}

TEST_F(PersistTest, AffinityToAnEndpointThatGoesDownIsDroppedAtOnce) {
  install_persist(300);
  ASSERT_EQ(open_flow(flow(kClient, 30000), eps_), 0);
  eps_[0].state = XLB_EP_DOWN;
  install_persist(300);
  int moved = open_flow(flow(kClient, 30001), eps_);
  EXPECT_NE(moved, 0);
  ASSERT_GE(moved, 0);
  expect_affinity(kClient, moved);
  eps_[0].state = XLB_EP_UP;  // back: the client stays where it went
  install_persist(300);
  EXPECT_EQ(open_flow(flow(kClient, 30002), eps_), moved);
}

}  // namespace
}  // namespace xlbtest
