#include "select/slots.h"

#include <gtest/gtest.h>

#include <map>

namespace xlb::select {
namespace {

std::map<uint8_t, int> shares(const std::vector<uint8_t>& slots) {
  std::map<uint8_t, int> count;
  for (uint8_t s : slots) ++count[s];
  return count;
}

TEST(Slots, RoundRobinListsEligibleEndpointsOnceInIndexOrder) {
  std::vector<Candidate> c = {{5, true}, {1, true}, {9, true}};
  EXPECT_EQ(build_slots(c, /*weighted=*/false, 256), (std::vector<uint8_t>{0, 1, 2}));
}

TEST(Slots, RoundRobinSkipsIneligible) {
  std::vector<Candidate> c = {{1, true}, {1, false}, {1, true}};
  EXPECT_EQ(build_slots(c, false, 256), (std::vector<uint8_t>{0, 2}));
}

TEST(Slots, Weights40_40_20GiveExactTwoTwoOneShare) {
  std::vector<Candidate> c = {{40, true}, {40, true}, {20, true}};
  auto slots = build_slots(c, true, 256);
  ASSERT_EQ(slots.size(), 100u);
  auto s = shares(slots);
  EXPECT_EQ(s[0], 40);
  EXPECT_EQ(s[1], 40);
  EXPECT_EQ(s[2], 20);
  // Smooth interleave: every 5 consecutive slots hold exactly 2:2:1.
  for (size_t start = 0; start + 5 <= slots.size(); start += 5) {
    auto w = shares(std::vector<uint8_t>(slots.begin() + start, slots.begin() + start + 5));
    EXPECT_EQ(w[0], 2) << "window at " << start;
    EXPECT_EQ(w[1], 2) << "window at " << start;
    EXPECT_EQ(w[2], 1) << "window at " << start;
  }
}

TEST(Slots, ScalesDownWhenWeightsExceedCapacityKeepingEveryEndpoint) {
  std::vector<Candidate> c = {{255, true}, {255, true}, {1, true}};
  auto slots = build_slots(c, true, 256);
  EXPECT_EQ(slots.size(), 256u);
  auto s = shares(slots);
  EXPECT_GE(s[2], 1);
  EXPECT_NEAR(s[0], s[1], 1);
  EXPECT_GT(s[0], 100);
}

TEST(Slots, ManyHeavyEndpointsFillCapacityWithAtLeastOneSlotEach) {
  std::vector<Candidate> c(32, Candidate{255, true});
  c[7].weight = 1;
  auto slots = build_slots(c, true, 256);
  EXPECT_EQ(slots.size(), 256u);
  auto s = shares(slots);
  EXPECT_EQ(s.size(), 32u);
  for (auto [ep, n] : s) EXPECT_GE(n, 1) << int(ep);
}

TEST(Slots, NoEligibleEndpointGivesEmptyTable) {
  std::vector<Candidate> c = {{1, false}, {10, false}};
  EXPECT_TRUE(build_slots(c, true, 256).empty());
  EXPECT_TRUE(build_slots(c, false, 256).empty());
  EXPECT_TRUE(build_slots({}, true, 256).empty());
}

TEST(Slots, WeightedIgnoresIneligibleWeights) {
  std::vector<Candidate> c = {{3, true}, {200, false}, {1, true}};
  auto s = shares(build_slots(c, true, 256));
  EXPECT_EQ(s[0], 3);
  EXPECT_EQ(s.count(1), 0u);
  EXPECT_EQ(s[2], 1);
}

}  // namespace
}  // namespace xlb::select
