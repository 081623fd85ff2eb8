// What a node announces over BGP, against a fake speaker: serving VIPs as /32 routes, the MED by
// HA state, withdrawals, retries after failed calls, everything again after the engine restarts.
#include <gtest/gtest.h>

#include "bgp/announcer.h"
#include "bgp/fake/fake_bgp_speaker.h"

namespace xlb::bgp {
namespace {

TEST(BgpAnnouncer, ServingVipsAreAnnouncedAsHostRoutesWithTheActiveMed) {
  EXPECT_EQ(desired_routes({{"10.0.0.100", "10.0.0.7"}, false}),
            (Routes{{"10.0.0.100/32", kMedActive}, {"10.0.0.7/32", kMedActive}}));
  EXPECT_EQ(desired_routes({{"10.0.0.100"}, true}), (Routes{{"10.0.0.100/32", kMedBackup}}));
  EXPECT_GT(kMedBackup, kMedActive) << "routers must prefer the active nodes";
  EXPECT_TRUE(desired_routes({{}, false}).empty());
}

TEST(BgpAnnouncer, Ipv6VipsAreAnnouncedAsSlash128) {
  EXPECT_EQ(desired_routes({{"10.0.0.100", "2001:db8::100"}, false}),
            (Routes{{"10.0.0.100/32", kMedActive}, {"2001:db8::100/128", kMedActive}}));
  FakeBgpSpeaker speaker;
  BgpAnnouncer a(speaker);
  a.sync(desired_routes({{"2001:db8::100"}, true}));
  EXPECT_EQ(speaker.routes, (std::map<std::string, uint32_t>{{"2001:db8::100/128", kMedBackup}}));
  a.sync(desired_routes({{}, false}));
  EXPECT_TRUE(speaker.routes.empty()) << "withdrawn when the VIP stops serving";
}

TEST(BgpAnnouncer, TheSpeakerHoldsExactlyTheDesiredRoutes) {
  FakeBgpSpeaker speaker;
  BgpAnnouncer a(speaker);
  a.sync({{"10.0.0.100/32", 10}, {"10.0.0.101/32", 10}});
  EXPECT_EQ(speaker.routes,
            (std::map<std::string, uint32_t>{{"10.0.0.100/32", 10}, {"10.0.0.101/32", 10}}));
  // No change: no call.
  const int calls = speaker.calls;
  a.sync({{"10.0.0.100/32", 10}, {"10.0.0.101/32", 10}});
  EXPECT_EQ(speaker.calls, calls);
  // One VIP stops serving, the node becomes BACKUP.
  a.sync({{"10.0.0.100/32", 100}});
  EXPECT_EQ(speaker.routes, (std::map<std::string, uint32_t>{{"10.0.0.100/32", 100}}));
  EXPECT_EQ(a.announced(), speaker.routes);
  a.withdraw_all();
  EXPECT_TRUE(speaker.routes.empty());
  EXPECT_TRUE(a.announced().empty());
}

TEST(BgpAnnouncer, FailedCallsAreRetriedAtTheNextSync) {
  FakeBgpSpeaker speaker;
  BgpAnnouncer a(speaker);
  speaker.fail_calls = 1;
  a.sync({{"10.0.0.100/32", 10}});
  EXPECT_TRUE(speaker.routes.empty());
  EXPECT_TRUE(a.announced().empty()) << "a failed announce is not recorded as done";
  a.sync({{"10.0.0.100/32", 10}});
  EXPECT_EQ(speaker.routes.size(), 1u);

  speaker.fail_calls = 1;
  a.sync({});
  EXPECT_EQ(speaker.routes.size(), 1u);
  EXPECT_EQ(a.announced().size(), 1u) << "a failed withdrawal is retried";
  a.sync({});
  EXPECT_TRUE(speaker.routes.empty());
}

TEST(BgpAnnouncer, AnEngineThatRestartedGetsEveryRouteAgain) {
  FakeBgpSpeaker speaker;
  BgpAnnouncer a(speaker);
  a.sync({{"10.0.0.100/32", 10}, {"10.0.0.101/32", 10}});
  speaker.restart();
  ASSERT_TRUE(speaker.routes.empty());
  a.sync({{"10.0.0.100/32", 10}, {"10.0.0.101/32", 10}});
  EXPECT_EQ(speaker.routes.size(), 2u);
}

}  // namespace
}  // namespace xlb::bgp
