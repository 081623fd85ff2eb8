// The rise/fall state machine and latency window: pure, no sockets.
#include "health/health_state.h"

#include <gtest/gtest.h>

namespace xlb::health {
namespace {

using namespace std::chrono_literals;

const auto kT0 = std::chrono::system_clock::time_point(1000s);
const ProbeResult kUp = ProbeResult::success(2ms);
const ProbeResult kRefused = ProbeResult::failure("connection refused");

class StateMachineTest : public ::testing::Test {
 protected:
  std::optional<Transition> feed(const ProbeResult& r) {
    now_ += 1s;
    return record_result(h_, r, t_, now_);
  }
  HealthState h_;
  Thresholds t_{.rise = 2, .fall = 3};
  std::chrono::system_clock::time_point now_ = kT0;
};

TEST_F(StateMachineTest, UnknownNeedsRiseSuccessesToBecomeOk) {
  EXPECT_FALSE(feed(kUp));
  EXPECT_EQ(h_.state, TargetState::unknown);
  auto t = feed(kUp);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, TargetState::unknown);
  EXPECT_EQ(t->to, TargetState::ok);
  EXPECT_EQ(t->reason, "2 consecutive successful probes");
  EXPECT_EQ(h_.last_transition, now_);
}

TEST_F(StateMachineTest, UnknownNeedsFallFailuresToBecomeDown) {
  EXPECT_FALSE(feed(kRefused));
  EXPECT_FALSE(feed(kRefused));
  auto t = feed(kRefused);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, TargetState::unknown);
  EXPECT_EQ(t->to, TargetState::down);
  EXPECT_EQ(t->reason, "connection refused");
}

TEST_F(StateMachineTest, OkGoesDownOnlyAfterFallConsecutiveFailures) {
  feed(kUp);
  feed(kUp);
  ASSERT_EQ(h_.state, TargetState::ok);
  EXPECT_FALSE(feed(kRefused));
  EXPECT_FALSE(feed(kRefused));
  EXPECT_FALSE(feed(kUp));  // breaks the run: counting starts again
  EXPECT_FALSE(feed(kRefused));
  EXPECT_FALSE(feed(kRefused));
  EXPECT_EQ(h_.state, TargetState::ok);
  EXPECT_EQ(h_.failures, 2);
  auto t = feed(ProbeResult::failure("timeout after 1s"));
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, TargetState::down);
  EXPECT_EQ(t->reason, "timeout after 1s");
}

TEST_F(StateMachineTest, DownComesBackAfterRiseSuccessesAndKeepsTheLastError) {
  for (int i = 0; i < 3; ++i) feed(kRefused);
  ASSERT_EQ(h_.state, TargetState::down);
  auto went_down = h_.last_transition;
  EXPECT_FALSE(feed(kUp));
  EXPECT_EQ(h_.last_transition, went_down);  // only transitions move it
  auto t = feed(kUp);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, TargetState::down);
  EXPECT_EQ(t->to, TargetState::ok);
  EXPECT_EQ(h_.last_error, "connection refused");
}

TEST_F(StateMachineTest, ReportsEachTransitionOnce) {
  int transitions = 0;
  for (int i = 0; i < 10; ++i) transitions += feed(kUp).has_value();
  for (int i = 0; i < 10; ++i) transitions += feed(kRefused).has_value();
  for (int i = 0; i < 10; ++i) transitions += feed(kUp).has_value();
  EXPECT_EQ(transitions, 3);
  EXPECT_EQ(h_.probes, 30u);
}

TEST_F(StateMachineTest, RiseAndFallOfOneActOnTheFirstResult) {
  t_ = {.rise = 1, .fall = 1};
  EXPECT_TRUE(feed(kRefused));
  EXPECT_TRUE(feed(kUp));
  EXPECT_TRUE(feed(kRefused));
}

TEST(ForceState, ChangesStateOnceAndStampsTheTime) {
  HealthState h;
  auto t = force_state(h, TargetState::ok, "no probe configured", kT0);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->from, TargetState::unknown);
  EXPECT_EQ(h.last_transition, kT0);
  EXPECT_FALSE(force_state(h, TargetState::ok, "again", kT0 + 1s));
  EXPECT_EQ(h.last_transition, kT0);
}

TEST(LatencyWindow, EmptyHasNoStats) { EXPECT_FALSE(LatencyWindow{}.stats()); }

TEST(LatencyWindow, MinAvgMaxInMilliseconds) {
  LatencyWindow w;
  w.add(1000us);
  w.add(3000us);
  w.add(2000us);
  auto s = w.stats();
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->min_ms, 1.0);
  EXPECT_DOUBLE_EQ(s->avg_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->max_ms, 3.0);
}

TEST(LatencyWindow, ForgetsSamplesOlderThanTheWindow) {
  LatencyWindow w;
  w.add(100ms);  // pushed out by the next kSize samples
  for (size_t i = 0; i < LatencyWindow::kSize; ++i) w.add(1ms);
  auto s = w.stats();
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->max_ms, 1.0);
  EXPECT_DOUBLE_EQ(s->avg_ms, 1.0);
}

TEST(LatencyWindow, OnlySuccessesWithARoundTripAreSampled) {
  HealthState h;
  record_result(h, ProbeResult::success(), {}, kT0);  // e.g. udp silence
  record_result(h, kRefused, {}, kT0);
  EXPECT_FALSE(h.latency.stats());
  record_result(h, ProbeResult::success(5ms), {}, kT0);
  ASSERT_TRUE(h.latency.stats());
  EXPECT_DOUBLE_EQ(h.latency.stats()->avg_ms, 5.0);
}

TEST(TargetStateNames, AreTheWordsOperatorsSee) {
  EXPECT_EQ(to_string(TargetState::unknown), "unknown");
  EXPECT_EQ(to_string(TargetState::ok), "ok");
  EXPECT_EQ(to_string(TargetState::down), "down");
}

}  // namespace
}  // namespace xlb::health
