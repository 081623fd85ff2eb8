// diagnose's veth peer facts (src/diagnose/veth_peers.cpp) on real links: the peer of a veth
// found in another, named network namespace, its GRO read from inside that namespace; other
// kinds of interface left out. No xlbd: the gathering alone (the e2e xdp.sh runs it in xlbd).
#include "diagnose/veth_peers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "harness.h"

namespace xlb::test {
namespace {

class VethPeers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = skip_reason()) GTEST_SKIP() << *why;
    netns_ = std::make_unique<NetnsGuard>();
    // The peer v1 moves to a named namespace, as `ip netns add` makes them.
    peer_ns_ =
        "xlbapi-peer-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
    must_run({"ip", "netns", "add", peer_ns_});
    must_run({"ip", "link", "set", "v1", "netns", peer_ns_});
  }
  void TearDown() override {
    if (!peer_ns_.empty()) run({"ip", "netns", "delete", peer_ns_});
    netns_.reset();
  }
  void peer_offloads(const char* gro, const char* tx) {
    must_run({"ip", "netns", "exec", peer_ns_, "ethtool", "-K", "v1", "gro", gro, "tx", tx});
  }

  std::unique_ptr<NetnsGuard> netns_;
  std::string peer_ns_;
};

TEST_F(VethPeers, ThePeerInANamedNamespaceAndItsGro) {
  peer_offloads("off", "on");
  auto facts = diagnose::gather_veth_peers({"v0", "lo"});
  ASSERT_EQ(facts.size(), 1u) << "lo is no veth";
  const auto& off = facts[0];
  EXPECT_EQ(off.ifname, "v0");
  ASSERT_TRUE(off.checked) << off.error;
  EXPECT_EQ(off.peer_if, "v1");
  EXPECT_EQ(off.peer_netns, peer_ns_);
  EXPECT_EQ(off.peer, "v1 (netns " + peer_ns_ + ")");
  EXPECT_FALSE(off.gro);
  EXPECT_TRUE(off.tx_csum);
  EXPECT_FALSE(off.xdp);

  peer_offloads("on", "off");
  facts = diagnose::gather_veth_peers({"v0"});
  ASSERT_EQ(facts.size(), 1u);
  ASSERT_TRUE(facts[0].checked) << facts[0].error;
  EXPECT_TRUE(facts[0].gro);
  EXPECT_FALSE(facts[0].tx_csum);
}

TEST_F(VethPeers, APeerInTheSameNamespaceIsReadDirectly) {
  must_run({"ip", "link", "add", "w0", "type", "veth", "peer", "name", "w1"});
  must_run({"ethtool", "-K", "w1", "gro", "on"});
  auto facts = diagnose::gather_veth_peers({"w0"});
  ASSERT_EQ(facts.size(), 1u);
  ASSERT_TRUE(facts[0].checked) << facts[0].error;
  EXPECT_EQ(facts[0].peer, "w1");
  EXPECT_TRUE(facts[0].peer_netns.empty());
  EXPECT_TRUE(facts[0].gro);
}

}  // namespace
}  // namespace xlb::test
