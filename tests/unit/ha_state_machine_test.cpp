// The HA state machine: which requests it takes (and counts), which it refuses (unknown
// instance; MASTER while a connected peer still resyncs to this node: 409), readiness, and what
// a restart adopts.
#include "cluster/ha_state_machine.h"

#include <gtest/gtest.h>

namespace xlb::cluster {
namespace {

using namespace std::chrono_literals;

const WallClock::time_point kStart = WallClock::time_point{} + 1000h;

class HaStateMachineTest : public ::testing::Test {
 protected:
  HaStateMachine machine_{{"default"}, kStart};

  // Checks and commits, as the controller does; the error when refused.
  Result<std::optional<HaTransition>> request(HaState to, const std::vector<PeerSync>& peers = {},
                                              WallClock::time_point at = kStart + 1s) {
    auto ok = machine_.check("default", to, peers);
    if (!ok) return ok.error();
    return machine_.commit("default", to, at);
  }
  HaInstanceStatus only() { return machine_.instances({}).at(0); }
};

const PeerSync kResyncingPeer{"10.0.9.2", true, ResyncState::running};
const PeerSync kSyncedPeer{"10.0.9.2", true, ResyncState::complete};
const PeerSync kUnreachablePeer{"10.0.9.2", false, ResyncState::running};

TEST_F(HaStateMachineTest, StartsNotDefinedUndecidedWithNoTransition) {
  const HaInstanceStatus st = only();
  EXPECT_EQ(st.name, "default");
  EXPECT_EQ(st.state, HaState::not_defined);
  EXPECT_FALSE(st.decided);
  EXPECT_EQ(st.transitions, 0u);
  EXPECT_EQ(st.since, kStart);
  EXPECT_TRUE(st.ready);
}

TEST_F(HaStateMachineTest, EachChangeIsOneTransitionWithItsTime) {
  auto t = request(HaState::backup, {}, kStart + 5s);
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_TRUE(t->has_value());
  EXPECT_EQ((*t)->from, HaState::not_defined);
  EXPECT_EQ((*t)->to, HaState::backup);
  EXPECT_EQ((*t)->at, kStart + 5s);
  ASSERT_TRUE(request(HaState::master, {}, kStart + 9s).ok());
  const HaInstanceStatus st = only();
  EXPECT_EQ(st.state, HaState::master);
  EXPECT_EQ(st.transitions, 2u);
  EXPECT_EQ(st.since, kStart + 9s);
  EXPECT_TRUE(st.decided);
}

TEST_F(HaStateMachineTest, TheSameStateAgainIsNoTransitionButCountsAsDecided) {
  auto t = request(HaState::not_defined);
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->has_value());
  EXPECT_TRUE(only().decided) << "a decider spoke, even if it said NOT_DEFINED";
  EXPECT_EQ(only().transitions, 0u);
  ASSERT_TRUE(request(HaState::fault).ok());
  auto again = request(HaState::fault, {}, kStart + 20s);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(only().transitions, 1u);
  EXPECT_EQ(only().since, kStart + 1s) << "since: the last change, not the last request";
}

TEST_F(HaStateMachineTest, AnUnknownInstanceIsNotFoundAndNamesTheOnesThereAre) {
  auto ok = machine_.check("shard-2", HaState::master, {});
  ASSERT_FALSE(ok.ok());
  EXPECT_EQ(ok.error().code, ErrorCode::not_found);
  EXPECT_EQ(ok.error().field, "instance");
  EXPECT_NE(ok.error().message.find("\"shard-2\""), std::string::npos) << ok.error().message;
  EXPECT_NE(ok.error().message.find("default"), std::string::npos) << ok.error().message;
  EXPECT_FALSE(machine_.ready("shard-2", {}).ok());
  EXPECT_FALSE(machine_.adopt("shard-2", HaState::master).ok());
}

TEST_F(HaStateMachineTest, MasterWaitsForAConnectedPeersResync) {
  ASSERT_TRUE(request(HaState::backup).ok());
  auto refused = request(HaState::master, {kResyncingPeer});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  EXPECT_EQ(http_status(refused.error().code), 409);
  EXPECT_NE(refused.error().message.find("10.0.9.2"), std::string::npos);
  EXPECT_NE(refused.error().message.find("resync"), std::string::npos);
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(only().state, HaState::backup) << "a refused request changes nothing";
  EXPECT_EQ(only().transitions, 1u);

  auto ready = machine_.ready("default", {kResyncingPeer});
  ASSERT_FALSE(ready.ok());
  EXPECT_EQ(ready.error().code, ErrorCode::unavailable);
  const HaInstanceStatus listed = machine_.instances({kResyncingPeer}).at(0);
  EXPECT_FALSE(listed.ready);
  EXPECT_EQ(listed.not_ready_reason, ready.error().message);

  EXPECT_TRUE(request(HaState::fault, {kResyncingPeer}).ok()) << "only MASTER waits";
  EXPECT_TRUE(request(HaState::master, {kSyncedPeer}).ok()) << "resync complete: MASTER";
}

TEST_F(HaStateMachineTest, AnUnreachablePeerNeverBlocksMaster) {
  // A partial table beats none: the peer that would resync is gone.
  EXPECT_TRUE(machine_.ready("default", {kUnreachablePeer}).ok());
  auto t = request(HaState::master, {kUnreachablePeer});
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(only().state, HaState::master);
}

TEST_F(HaStateMachineTest, AMasterStaysReadyWhileAPeerResyncs) {
  ASSERT_TRUE(request(HaState::master).ok());
  EXPECT_TRUE(machine_.ready("default", {kResyncingPeer}).ok())
      << "not-ready would make keepalived fail the MASTER over for no reason";
  EXPECT_TRUE(request(HaState::master, {kResyncingPeer}).ok()) << "MASTER again is no takeover";
}

TEST_F(HaStateMachineTest, AdoptingARestartsStateCountsNoTransition) {
  ASSERT_TRUE(machine_.adopt("default", HaState::backup).ok());
  EXPECT_EQ(only().state, HaState::backup);
  EXPECT_TRUE(only().decided) << "a decider set it before the restart";
  EXPECT_EQ(only().transitions, 0u);
  ASSERT_TRUE(machine_.adopt("default", HaState::not_defined).ok());
  EXPECT_FALSE(only().decided);
}

TEST_F(HaStateMachineTest, InstancesHaveDatapathIndexesInOrder) {
  HaStateMachine two({"default", "shard-1"}, kStart);
  EXPECT_EQ(two.index_of("default"), 0u);
  EXPECT_EQ(two.index_of("shard-1"), 1u);
  EXPECT_FALSE(two.index_of("shard-2").has_value());
}

TEST(HaStateNames, RoundTripInAnyCaseAndRefuseOthers) {
  for (HaState s : all_ha_states()) {
    EXPECT_EQ(ha_state_from_name(ha_state_name(s)), s);
    std::string lower(ha_state_name(s));
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(ha_state_from_name(lower), s);
  }
  EXPECT_EQ(ha_state_name(HaState::not_defined), "NOT_DEFINED");
  EXPECT_FALSE(ha_state_from_name("MASTERS").has_value());
  EXPECT_FALSE(ha_state_from_name("").has_value());
  EXPECT_FALSE(ha_state_from_abi(XLB_HA_STATE_COUNT).has_value());
  EXPECT_TRUE(answers_for_vips(HaState::master));
  EXPECT_TRUE(answers_for_vips(HaState::not_defined));
  EXPECT_FALSE(answers_for_vips(HaState::backup));
  EXPECT_FALSE(answers_for_vips(HaState::fault));
}

}  // namespace
}  // namespace xlb::cluster
