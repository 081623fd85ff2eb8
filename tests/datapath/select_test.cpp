// Endpoint selection for new flows: round robin, weighted (priority) and 5-tuple hash.
#include <array>

#include "fixture.h"

namespace xlbtest {
namespace {

class SelectTest : public DatapathTest {
 protected:
  static Flow flow(const Host& client, uint16_t cport) {
    Flow f;
    f.client = client;
    f.cport = cport;
    return f;
  }
  // Opens a new flow from `client`:`cport` and returns the endpoint index it was DNATed to
  // (checking the whole rewritten frame), or -1.
  int open_flow(const Host& client, uint16_t cport) {
    return DatapathTest::open_flow(flow(client, cport), eps_);
  }
  void delete_flow(const Host& client, uint16_t cport, int ep) {
    forget_flow(flow(client, cport), eps_.at(ep));
  }
  std::vector<EpSpec> eps_ = endpoints(3);
};

TEST_F(SelectTest, RoundRobinCyclesThroughThreeEndpointsInOrder) {
  install({}, make_svc(1, XLB_SEL_RR, eps_));
  std::vector<int> picked;
  for (uint16_t i = 0; i < 9; ++i) picked.push_back(open_flow(kClient, 41000 + i));
  ASSERT_EQ(picked.size(), 9u);
  for (size_t i = 0; i < picked.size(); ++i)
    EXPECT_EQ(picked[i], static_cast<int>(i % 3)) << "flow " << i;
  for (uint32_t ep = 0; ep < 3; ++ep) EXPECT_EQ(ep_counter(1, ep).new_flows, 3u) << "ep " << ep;
  EXPECT_EQ(svc_counter(1).new_flows, 9u);
}

TEST_F(SelectTest, RoundRobinSkipsEndpointsThatAreNotUp) {
  eps_[1].state = XLB_EP_DOWN;
  install({}, make_svc(1, XLB_SEL_RR, eps_));
  for (uint16_t i = 0; i < 6; ++i) EXPECT_EQ(open_flow(kClient, 41000 + i), i % 2 ? 2 : 0);
}

TEST_F(SelectTest, PriorityWeights404020GiveExactSharesEveryCycle) {
  eps_[0].weight = 40;
  eps_[1].weight = 40;
  eps_[2].weight = 20;
  xlb_svc svc = make_svc(2, XLB_SEL_PRIORITY, eps_);
  ASSERT_EQ(svc.nr_slots, 100);
  install({}, svc);
  std::array<int, 3> total{};
  for (int cycle = 0; cycle < 10; ++cycle) {
    std::array<int, 3> in_cycle{};
    for (int i = 0; i < 100; ++i) {
      int n = cycle * 100 + i;
      int idx = open_flow(n % 2 ? kClient2 : kClient, static_cast<uint16_t>(20000 + n));
      ASSERT_GE(idx, 0);
      EXPECT_EQ(idx, svc.slots[n % svc.nr_slots]) << "flow " << n << " follows the slot table";
      ++in_cycle[idx];
      ++total[idx];
    }
    EXPECT_EQ(in_cycle, (std::array<int, 3>{40, 40, 20})) << "cycle " << cycle;
  }
  EXPECT_EQ(total, (std::array<int, 3>{400, 400, 200}));
  EXPECT_EQ(ep_counter(2, 2).new_flows, 200u);
}

TEST_F(SelectTest, HashPicksTheSameEndpointForTheSameTupleAfterCtDeletion) {
  install({}, make_svc(3, XLB_SEL_HASH, eps_));
  for (uint16_t port = 30000; port < 30030; ++port) {
    int first = open_flow(kClient, port);
    ASSERT_GE(first, 0);
    delete_flow(kClient, port, first);
    // Other flows in between must not influence a hash pick (rr would move on).
    open_flow(kClient2, port);
    EXPECT_EQ(open_flow(kClient, port), first) << "client port " << port;
  }
}

TEST_F(SelectTest, HashSpreadsDifferentTuplesOverAllEndpoints) {
  install({}, make_svc(3, XLB_SEL_HASH, eps_));
  std::array<int, 3> count{};
  for (uint16_t i = 0; i < 300; ++i) {
    int idx = open_flow(i % 2 ? kClient2 : kClient, static_cast<uint16_t>(33000 + i));
    ASSERT_GE(idx, 0);
    ++count[idx];
  }
  // 100 expected each; the standard deviation is about 8, so 60 is a five-sigma bound.
  for (int ep = 0; ep < 3; ++ep) EXPECT_GE(count[ep], 60) << "endpoint " << ep;
}

}  // namespace
}  // namespace xlbtest
