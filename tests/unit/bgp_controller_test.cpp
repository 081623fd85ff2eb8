// BgpController against a fake speaker: settings validated, applied, saved (0600, per node) and
// restored; bad changes change nothing; the loop announces what the inputs say, withdraws within
// a period, and withdraws everything at stop unless told to keep the routes.
#include "bgp/bgp_controller.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bgp/fake/fake_bgp_speaker.h"

namespace xlb::bgp {
namespace {

using namespace std::chrono_literals;

class BgpControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("xlb-bgp-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  BgpControllerOptions options(bool keep = false) {
    return {.state_dir = dir_.string(),
            .inputs =
                [this] {
                  std::lock_guard lock(mu_);
                  return inputs_;
                },
            .period = 20ms,
            .keep_on_exit = keep};
  }
  void serve(std::set<std::string> vips, bool backup = false) {
    std::lock_guard lock(mu_);
    inputs_ = {std::move(vips), backup};
  }
  // Waits up to 2 s for the speaker to hold `want`.
  bool speaker_holds(FakeBgpSpeaker& s, const Routes& want) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu_);
        if (s.routes == want) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::filesystem::path dir_;
  std::mutex mu_;
  AnnouncerInputs inputs_;
};

BgpNeighbor neighbor(const std::string& ip, uint32_t as = 65000) {
  BgpNeighbor n;
  n.address = ip;
  n.remote_as = as;
  return n;
}

TEST_F(BgpControllerTest, SettingsAreAppliedSavedPrivatelyAndRestored) {
  FakeBgpSpeaker speaker;
  {
    BgpController c(speaker, options());
    ASSERT_TRUE(c.start().ok());
    ASSERT_TRUE(c.set_global({65001, "10.0.1.11"}).ok());
    auto n = neighbor("10.0.1.1");
    n.password = "s3cret";
    n.hold_time_s = 3;
    ASSERT_TRUE(c.add_neighbor(n).ok());
    ASSERT_TRUE(c.add_neighbor(neighbor("10.0.0.9", 65002)).ok());
    EXPECT_EQ(speaker.config.global, (BgpGlobal{65001, "10.0.1.11"}));
    ASSERT_EQ(speaker.config.neighbors.size(), 2u);
    EXPECT_EQ(speaker.config.neighbors[0].address, "10.0.0.9") << "sorted by address";
    EXPECT_EQ(speaker.config.neighbors[1].password, "s3cret");
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "bgp.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the file holds TCP-MD5 passwords";

  FakeBgpSpeaker again;
  BgpController c(again, options());
  ASSERT_TRUE(c.start().ok());
  EXPECT_EQ(again.config, speaker.config) << "a restart configures the same";
  EXPECT_EQ(c.global(), (BgpGlobal{65001, "10.0.1.11"}));
}

TEST_F(BgpControllerTest, RefusedChangesChangeNothing) {
  FakeBgpSpeaker speaker;
  BgpController c(speaker, options());
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.add_neighbor(neighbor("10.0.1.1")).ok());
  auto dup = c.add_neighbor(neighbor("10.0.1.1", 65009));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::conflict);
  EXPECT_EQ(c.delete_neighbor("10.0.1.2").error().code, ErrorCode::not_found);
  // An IPv6 neighbour is found by any spelling of its address (it is kept canonical).
  ASSERT_TRUE(c.add_neighbor(neighbor("2001:db8::1")).ok());
  EXPECT_TRUE(c.delete_neighbor("2001:DB8:0::1").ok());
  EXPECT_EQ(c.delete_neighbor("2001:db8::1").error().code, ErrorCode::not_found);
  EXPECT_EQ(c.delete_global().error().code, ErrorCode::not_found);

  const BgpConfig before = speaker.config;
  speaker.fail_calls = 1;  // the engine refuses the settings
  EXPECT_FALSE(c.set_global({65001, "10.0.1.11"}).ok());
  EXPECT_FALSE(c.global().has_value());
  EXPECT_EQ(speaker.config, before);

  std::filesystem::remove_all(dir_);  // the save fails: the speaker gets the old settings back
  EXPECT_FALSE(c.set_global({65001, "10.0.1.11"}).ok());
  EXPECT_FALSE(c.global().has_value());
  EXPECT_EQ(speaker.config, before);
}

TEST_F(BgpControllerTest, ABadSettingsFileIsAStartUpErrorNamingIt) {
  std::ofstream(dir_ / "bgp.json") << R"({"global":{"local_as":0,"router_id":"10.0.1.11"}})";
  FakeBgpSpeaker speaker;
  BgpController c(speaker, options());
  auto r = c.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("bgp.json"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("local_as"), std::string::npos) << r.error().message;
}

TEST_F(BgpControllerTest, TheLoopFollowsServingVipsAndTheHaState) {
  FakeBgpSpeaker speaker;
  BgpController c(speaker, options());
  serve({"10.0.0.100", "10.0.0.101"});
  ASSERT_TRUE(c.start().ok());
  EXPECT_TRUE(
      speaker_holds(speaker, {{"10.0.0.100/32", kMedActive}, {"10.0.0.101/32", kMedActive}}));
  serve({"10.0.0.100"}, /*backup=*/true);
  EXPECT_TRUE(speaker_holds(speaker, {{"10.0.0.100/32", kMedBackup}}));
  {
    std::lock_guard lock(mu_);
    speaker.restart();
  }
  EXPECT_TRUE(speaker_holds(speaker, {{"10.0.0.100/32", kMedBackup}}));
  c.stop();
  EXPECT_TRUE(speaker.routes.empty()) << "a clean stop withdraws";
}

TEST_F(BgpControllerTest, KeepOnExitLeavesTheRoutesAnnounced) {
  FakeBgpSpeaker speaker;
  BgpController c(speaker, options(/*keep=*/true));
  serve({"10.0.0.100"});
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(speaker_holds(speaker, {{"10.0.0.100/32", kMedActive}}));
  c.stop();
  EXPECT_EQ(speaker.routes.size(), 1u);
}

TEST_F(BgpControllerTest, NeighboursShowTheirSessions) {
  FakeBgpSpeaker speaker;
  BgpController c(speaker, options());
  ASSERT_TRUE(c.start().ok());
  ASSERT_TRUE(c.set_global({65001, "10.0.1.11"}).ok());
  ASSERT_TRUE(c.add_neighbor(neighbor("10.0.1.1")).ok());
  ASSERT_TRUE(c.add_neighbor(neighbor("10.0.1.2")).ok());
  speaker.peer_states = {{"10.0.1.1", 65000, "Established", 42, 3}};
  auto listed = c.neighbors();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].state, "Established");
  EXPECT_EQ((*listed)[0].uptime_s, 42u);
  EXPECT_EQ((*listed)[0].advertised, 3u);
  EXPECT_EQ((*listed)[1].state, "Idle") << "configured, not reported: no session";
}

TEST_F(BgpControllerTest, AnOperatorsEngineIsNotConfiguredButListed) {
  FakeBgpSpeaker speaker;
  speaker.configurable_ = false;
  speaker.peer_states = {{"10.0.1.1", 65000, "Active", std::nullopt, 0}};
  BgpController c(speaker, options());
  ASSERT_TRUE(c.start().ok());
  EXPECT_EQ(c.set_global({65001, "10.0.1.11"}).error().code, ErrorCode::conflict);
  auto listed = c.neighbors();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].config.address, "10.0.1.1");
  EXPECT_EQ((*listed)[0].state, "Active");
}

}  // namespace
}  // namespace xlb::bgp
