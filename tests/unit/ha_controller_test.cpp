// The HA controller against a fake datapath, peer link and announcer: each accepted state is
// written into the datapath, reported to the peers and announced (MASTER) or cancelled (leaving
// MASTER); a refused one (409, unknown instance, datapath failure) changes nothing anywhere.
#include "cluster/ha_controller.h"

#include <gtest/gtest.h>

#include "cluster/fake/fake_peer_link.h"
#include "datapath/fake/fake_datapath.h"

namespace xlb::cluster {
namespace {

struct CountingAnnouncer final : Announcer {
  void announce() override { ++announced; }
  void cancel() override { ++cancelled; }
  int announced = 0;
  int cancelled = 0;
};

class HaControllerTest : public ::testing::Test {
 protected:
  HaState datapath_state() {
    auto s = dp_.ha_state(XLB_HA_DEFAULT_INSTANCE);
    EXPECT_TRUE(s.ok());
    return *ha_state_from_abi(*s);
  }
  PeerStatus peer(bool connected, ResyncState resync) {
    PeerStatus p;
    p.address = "10.0.9.2";
    p.connected = connected;
    p.resync = resync;
    p.states = {{"default", HaState::master}};
    return p;
  }

  FakeDatapath dp_;
  FakePeerLink link_;
  CountingAnnouncer announcer_;
  HaController ha_{dp_, link_, announcer_, {.cluster = true, .self = 1}};
};

TEST_F(HaControllerTest, AStateIsWrittenReportedAndMasterAnnounced) {
  ASSERT_TRUE(ha_.adopt().ok());
  ASSERT_EQ(link_.published().size(), 1u) << "adopt reports the states once";

  auto backup = ha_.set_state("default", HaState::backup);
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  EXPECT_EQ(backup->state, HaState::backup);
  EXPECT_EQ(datapath_state(), HaState::backup);
  EXPECT_EQ(announcer_.announced, 0);

  ASSERT_TRUE(ha_.set_state("default", HaState::master).ok());
  EXPECT_EQ(datapath_state(), HaState::master);
  EXPECT_EQ(announcer_.announced, 1);
  const auto published = link_.published();
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published.back(), (LocalStates{{"default", HaState::master}}));

  ASSERT_TRUE(ha_.set_state("default", HaState::master).ok());
  EXPECT_EQ(announcer_.announced, 2) << "a decider saying MASTER again re-announces";
  EXPECT_EQ(link_.published().size(), 3u) << "no change, nothing new to report";

  ASSERT_TRUE(ha_.set_state("default", HaState::fault).ok());
  EXPECT_EQ(announcer_.cancelled, 1) << "leaving MASTER drops the pending burst";
  EXPECT_EQ(datapath_state(), HaState::fault);
  EXPECT_EQ(ha_.status().instances.at(0).transitions, 3u);
}

TEST_F(HaControllerTest, AConflictOrADatapathFailureChangesNothing) {
  ASSERT_TRUE(ha_.set_state("default", HaState::backup).ok());
  link_.set_peers({peer(true, ResyncState::running)});
  auto refused = ha_.set_state("default", HaState::master);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::conflict);
  EXPECT_EQ(datapath_state(), HaState::backup);
  EXPECT_EQ(announcer_.announced, 0);
  EXPECT_FALSE(ha_.ready("default").ok());

  link_.set_peers({peer(true, ResyncState::complete)});
  EXPECT_TRUE(ha_.ready("default").ok());
  dp_.fail_next(FakeDatapath::Op::set_ha_state);
  auto failed = ha_.set_state("default", HaState::master);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::datapath);
  EXPECT_EQ(ha_.status().instances.at(0).state, HaState::backup);
  EXPECT_EQ(ha_.status().instances.at(0).transitions, 1u);
  EXPECT_EQ(announcer_.announced, 0);

  auto unknown = ha_.set_state("other", HaState::master);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
}

TEST_F(HaControllerTest, ARestartAdoptsTheDatapathsState) {
  ASSERT_TRUE(dp_.set_ha_state(XLB_HA_DEFAULT_INSTANCE, XLB_HA_BACKUP).ok());
  ASSERT_TRUE(ha_.adopt().ok());
  const HaStatus st = ha_.status();
  EXPECT_EQ(st.instances.at(0).state, HaState::backup);
  EXPECT_TRUE(st.instances.at(0).decided);
  EXPECT_EQ(link_.published().back(), (LocalStates{{"default", HaState::backup}}));
  EXPECT_EQ(announcer_.announced, 0) << "adoption announces nothing";
}

TEST_F(HaControllerTest, StatusCarriesThePeersAndTheOptions) {
  link_.set_peers({peer(true, ResyncState::complete)});
  ClusterRejects rejects;
  rejects.handshake = 2;
  link_.set_rejects(rejects);
  const HaStatus st = ha_.status();
  EXPECT_TRUE(st.cluster);
  EXPECT_EQ(st.self, 1u);
  ASSERT_EQ(st.peers.size(), 1u);
  EXPECT_EQ(st.peers[0].states.at("default"), HaState::master);
  EXPECT_EQ(st.rejects.handshake, 2u);
  ASSERT_NE(st.instance("default"), nullptr);
  EXPECT_EQ(st.instance("nope"), nullptr);
}

TEST_F(HaControllerTest, AStoppingNodeOfAPairStopsAnsweringForTheVips) {
  ASSERT_TRUE(ha_.set_state("default", HaState::master).ok());
  ha_.stop_answering();
  EXPECT_EQ(datapath_state(), HaState::fault);
  EXPECT_EQ(announcer_.cancelled, 1);
  EXPECT_EQ(link_.published().back(), (LocalStates{{"default", HaState::fault}}));

  FakeDatapath lone_dp;
  HaController lone{lone_dp, link_, announcer_, {.cluster = false}};
  ASSERT_TRUE(lone.set_state("default", HaState::master).ok());
  lone.stop_answering();
  EXPECT_EQ(*lone_dp.ha_state(XLB_HA_DEFAULT_INSTANCE), XLB_HA_MASTER)
      << "a lone node keeps answering while xlbd restarts";
}

TEST_F(HaControllerTest, AStoppingBackupStaysBackup) {
  ASSERT_TRUE(ha_.set_state("default", HaState::backup).ok());
  ha_.stop_answering();
  EXPECT_EQ(datapath_state(), HaState::backup);
}

}  // namespace
}  // namespace xlb::cluster
