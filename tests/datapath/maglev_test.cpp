// Maglev selection: the datapath looks the 5-tuple hash up in the table the control plane
// pushed (xlb::select::build_maglev via BpfDatapath::set_maglev_table). The hash is internal,
// so the tests check what it implies: a table decides, a tuple keeps its endpoint, shares follow
// the table, and removing an endpoint moves its flows and (almost) no others.
#include "select/maglev.h"

#include <array>
#include <cmath>
#include <string>

#include "fixture.h"

namespace xlbtest {
namespace {

constexpr uint32_t kSize = 16381;  // XLB_MAGLEV_DEFAULT_SIZE, prime

class MaglevTest : public DatapathTest {
 protected:
  // Installs the rule over eps_ and pushes the Maglev table built from its eligible endpoints.
  std::vector<uint32_t> install_maglev() {
    xlb_svc svc = make_svc(kSvcId, XLB_SEL_MAGLEV, eps_);
    svc.maglev_size = kSize;
    install(flow_.rule, svc);
    std::vector<xlb::select::MaglevBackend> backends;
    for (uint32_t i = 0; i < eps_.size(); ++i)
      if (eps_[i].state == XLB_EP_UP)
        backends.push_back(
            {i, std::string(eps_[i].host.ip) + ":" + std::to_string(eps_[i].port), eps_[i].weight});
    auto table = xlb::select::build_maglev(backends, kSize);
    EXPECT_EQ(table.size(), kSize);
    push(table);
    return table;
  }
  void push(const std::vector<uint32_t>& table) {
    auto r = dp().set_maglev_table(kSvcId, 0, table);  // make_svc's maglev_gen is 0
    ASSERT_TRUE(r.ok()) << "set_maglev_table: " << r.error().message;
  }
  // The n-th test tuple: 150 client addresses x ports.
  static Flow tuple(size_t n) {
    Flow f;
    f.client = client_host(n % 150);
    f.cport = static_cast<uint16_t>(10000 + n / 150);
    return f;
  }
  static std::array<double, 3> shares(const std::vector<uint32_t>& table) {
    std::array<double, 3> s{};
    for (uint32_t ep : table) s.at(ep) += 1.0 / static_cast<double>(table.size());
    return s;
  }
  // Opens the first `n` tuples (SYN only; the client may lack a neighbour, the endpoint has
  // one) and returns the endpoint each went to.
  std::vector<int> open_tuples(size_t n) {
    std::vector<int> picked;
    for (size_t i = 0; i < n; ++i) picked.push_back(open_flow(tuple(i), eps_));
    return picked;
  }
  void forget_tuples(const std::vector<int>& picked) {
    for (size_t i = 0; i < picked.size(); ++i)
      if (picked[i] >= 0) forget_flow(tuple(i), eps_[picked[i]]);
  }

  static constexpr uint32_t kSvcId = 41;
  std::vector<EpSpec> eps_ = endpoints(3);
  Flow flow_;
};

TEST_F(MaglevTest, ThePushedTableDecidesTheEndpoint) {
  install_maglev();
  for (uint32_t owner : {2u, 1u}) {  // a degenerate table naming one endpoint, then another
    push(std::vector<uint32_t>(kSize, owner));
    for (size_t i = 0; i < 30; ++i) EXPECT_EQ(open_flow(tuple(i), eps_), int(owner)) << i;
    forget_tuples(std::vector<int>(30, static_cast<int>(owner)));
  }
}

TEST_F(MaglevTest, TheSameTupleMapsToTheSameEndpointAcrossCtDeletion) {
  install_maglev();
  for (size_t i = 0; i < 40; ++i) {
    int first = open_flow(tuple(i), eps_);
    ASSERT_GE(first, 0);
    forget_flow(tuple(i), eps_[first]);
    open_flow(tuple(i + 1000), eps_);  // unrelated flows in between change nothing
    EXPECT_EQ(open_flow(tuple(i), eps_), first) << "tuple " << i;
  }
}

TEST_F(MaglevTest, WeightedSharesFollowTheTable) {
  eps_[0].weight = 2;  // 50% / 25% / 25%
  auto expected = shares(install_maglev());
  EXPECT_NEAR(expected[0], 0.5, 0.01);
  constexpr size_t kFlows = 3000;
  std::array<double, 3> seen{};
  for (int ep : open_tuples(kFlows)) {
    ASSERT_GE(ep, 0);
    seen[ep] += 1.0 / kFlows;
  }
  // Standard deviation of a share near 0.5 over 3000 flows: 0.009; 0.03 is over three of them.
  for (int ep = 0; ep < 3; ++ep) EXPECT_NEAR(seen[ep], expected[ep], 0.03) << "endpoint " << ep;
}

TEST_F(MaglevTest, RemovingAnEndpointMovesItsFlowsAndAlmostNoOthers) {
  auto before_table = install_maglev();
  constexpr size_t kFlows = 3000;
  auto before = open_tuples(kFlows);
  forget_tuples(before);

  eps_[1].state = XLB_EP_DOWN;  // the reconciler's view: endpoint 1 gone, table rebuilt
  auto after_table = install_maglev();
  size_t survivor_slots = 0, survivor_slots_moved = 0;
  for (uint32_t i = 0; i < kSize; ++i)
    if (before_table[i] != 1) {
      ++survivor_slots;
      survivor_slots_moved += after_table[i] != before_table[i];
    }
  double table_churn = double(survivor_slots_moved) / double(survivor_slots);

  auto after = open_tuples(kFlows);
  size_t on_removed = 0, survivors = 0, survivors_moved = 0;
  for (size_t i = 0; i < kFlows; ++i) {
    ASSERT_GE(before[i], 0);
    EXPECT_NE(after[i], 1) << "tuple " << i << " sent to the removed endpoint";
    if (before[i] == 1) {
      ++on_removed;
    } else {
      ++survivors;
      survivors_moved += after[i] != before[i];
    }
  }
  EXPECT_GT(on_removed, kFlows / 5) << "about a third were on endpoint 1";
  double moved = double(survivors_moved) / double(survivors);
  // Maglev keeps nearly every survivor's slot; flows follow their slots.
  EXPECT_LE(table_churn, 0.02) << "the table itself moved survivor slots";
  EXPECT_LE(moved, table_churn + 0.01)
      << survivors_moved << " of " << survivors << " flows on surviving endpoints moved";
}

// No fallback to the rule's hash slots, whose order follows each node's edit history: without
// its table, or with a table naming no usable endpoint (a failed push), a new flow is dropped
// rather than sent where another node would not send it.
TEST_F(MaglevTest, WithoutItsTableTheRuleTakesNoNewFlow) {
  xlb_svc svc = make_svc(kSvcId, XLB_SEL_MAGLEV, eps_);
  svc.maglev_size = kSize;
  install(flow_.rule, svc);
  EXPECT_TRUE(Dropped(from_client(tuple(7).client_tcp(tcpf::SYN))));
  // The rule's other table is not its own.
  push(std::vector<uint32_t>(kSize, 1));
  svc.maglev_gen = 1;
  install(flow_.rule, svc);
  EXPECT_TRUE(Dropped(from_client(tuple(7).client_tcp(tcpf::SYN))));
  svc.maglev_gen = 0;
  install(flow_.rule, svc);
  EXPECT_EQ(open_flow(tuple(7), eps_), 1);
}

TEST_F(MaglevTest, TableNamingNoUsableEndpointTakesNoNewFlow) {
  eps_[2].state = XLB_EP_DOWN;
  install_maglev();
  for (uint32_t unusable : {7u, 2u}) {  // index 7: the rule has 3 endpoints; 2 is down
    push(std::vector<uint32_t>(kSize, unusable));
    for (size_t i = 0; i < 10; ++i)
      EXPECT_TRUE(Dropped(from_client(tuple(i).client_tcp(tcpf::SYN)))) << "tuple " << i;
  }
}

}  // namespace
}  // namespace xlbtest
