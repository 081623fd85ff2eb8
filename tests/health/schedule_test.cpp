// The jittered schedule: exact values with an injected random source, and the spread with the
// real one.
#include "health/schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

namespace xlb::health {
namespace {

double seconds(JitterSchedule::Duration d) { return std::chrono::duration<double>(d).count(); }

UniformSource fixed(double value) {
  return [value] { return value; };
}

TEST(JitterSchedule, FirstProbeIsAtTheRandomFractionOfThePeriod) {
  EXPECT_DOUBLE_EQ(seconds(JitterSchedule(fixed(0.0)).first_delay(2.0)), 0.0);
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.25)).first_delay(2.0)), 0.5, 1e-9);
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.999)).first_delay(2.0)), 1.998, 1e-9);
}

TEST(JitterSchedule, LaterProbesArePeriodPlusOrMinusTenPercent) {
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.0)).next_delay(5.0)), 4.5, 1e-9);
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.5)).next_delay(5.0)), 5.0, 1e-9);
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.999)).next_delay(5.0)), 5.499, 1e-9);
}

TEST(JitterSchedule, FractionalPeriodsKeepSubMillisecondPrecision) {
  EXPECT_NEAR(seconds(JitterSchedule(fixed(0.5)).next_delay(0.1)), 0.1, 1e-9);
}

// 10,000 targets added at once must not probe together: their first probes spread evenly over
// the period (each tenth of it gets 10% ± 1.5%).
TEST(JitterSchedule, FirstProbesOfManyTargetsSpreadEvenlyOverThePeriod) {
  JitterSchedule schedule;
  constexpr int kTargets = 10'000;
  std::array<int, 10> buckets{};
  for (int i = 0; i < kTargets; ++i) {
    double s = seconds(schedule.first_delay(1.0));
    ASSERT_GE(s, 0.0);
    ASSERT_LT(s, 1.0);
    ++buckets[static_cast<size_t>(s * 10)];
  }
  for (int count : buckets) {
    EXPECT_NEAR(count, kTargets / 10, 150);
  }
}

// Phases must keep drifting apart: after a start in lock step, the spread of periods alone
// covers ±10%, with the mean still one period.
TEST(JitterSchedule, PeriodsStayWithinTenPercentAndAverageOnePeriod) {
  JitterSchedule schedule;
  std::vector<double> delays;
  for (int i = 0; i < 10'000; ++i) delays.push_back(seconds(schedule.next_delay(1.0)));
  auto [lo, hi] = std::minmax_element(delays.begin(), delays.end());
  EXPECT_GE(*lo, 0.9);
  EXPECT_LT(*hi, 1.1);
  EXPECT_LT(*lo, 0.91);  // the whole band is used, not just a sliver of it
  EXPECT_GT(*hi, 1.09);
  double mean = 0;
  for (double d : delays) mean += d / static_cast<double>(delays.size());
  EXPECT_NEAR(mean, 1.0, 0.005);
}

}  // namespace
}  // namespace xlb::health
