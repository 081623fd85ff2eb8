#include "select/maglev.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

namespace xlb::select {
namespace {

constexpr uint32_t kBig = 65537;
constexpr uint32_t kSmall = 16381;

// n endpoints with indexes 0..n-1 and ids "10.0.<i/256>.<i%256>:8080", weight 1.
std::vector<MaglevBackend> backends(uint32_t n) {
  std::vector<MaglevBackend> out;
  for (uint32_t i = 0; i < n; ++i) {
    out.push_back(
        {i, "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ":8080", 1});
  }
  return out;
}

std::vector<MaglevBackend> without(std::vector<MaglevBackend> b, uint32_t index) {
  std::erase_if(b, [&](const MaglevBackend& x) { return x.index == index; });
  return b;
}

std::map<uint32_t, size_t> owners(const std::vector<uint32_t>& table) {
  std::map<uint32_t, size_t> count;
  for (uint32_t idx : table) ++count[idx];
  return count;
}

// Fraction of entries whose owner differs between a and b.
double moved(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  if (a.size() != b.size() || a.empty()) return 1.0;
  size_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return static_cast<double>(n) / a.size();
}

// Fraction of all entries that belonged to an endpoint other than `gone` before and now
// belong to someone else: flows to healthy endpoints that a removal needlessly breaks.
double survivors_moved(const std::vector<uint32_t>& before, const std::vector<uint32_t>& after,
                       uint32_t gone) {
  size_t n = 0;
  for (size_t i = 0; i < before.size(); ++i) n += before[i] != gone && before[i] != after[i];
  return static_cast<double>(n) / before.size();
}

TEST(Maglev, TableHasSizeEntriesOfGivenIndexesOnly) {
  auto b = backends(5);
  for (auto& x : b) x.index += 10;  // indexes need not be dense or start at 0
  auto table = build_maglev(b, kSmall);
  ASSERT_EQ(table.size(), kSmall);
  auto count = owners(table);
  EXPECT_EQ(count.size(), 5u);
  for (const auto& [idx, n] : count) {
    EXPECT_GE(idx, 10u);
    EXPECT_LE(idx, 14u);
    EXPECT_GT(n, 0u);
  }
}

TEST(Maglev, EqualWeightsShareTheTableEvenly) {
  auto table = build_maglev(backends(10), kBig);
  for (const auto& [idx, n] : owners(table)) {
    EXPECT_NEAR(static_cast<double>(n) / kBig, 0.1, 0.01) << "endpoint " << idx;
  }
}

TEST(Maglev, IndependentBuildsAreIdentical) {
  auto b = backends(10);
  EXPECT_EQ(build_maglev(b, kSmall, 7), build_maglev(backends(10), kSmall, 7));
}

TEST(Maglev, InputOrderDoesNotChangeTheTable) {
  // Two nodes may list (and index) the same endpoints in a different order: each id must
  // still own the same entries, or flows land elsewhere depending on which node they hit.
  auto b = backends(10);
  b[3].weight = 3;
  auto expected = build_maglev(b, kSmall);
  std::mt19937 rng(42);
  for (int round = 0; round < 5; ++round) {
    auto shuffled = b;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_EQ(moved(build_maglev(shuffled, kSmall), expected), 0.0) << "shuffle " << round;
  }
  auto reversed = b;
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(moved(build_maglev(reversed, kSmall), expected), 0.0);
}

TEST(Maglev, SeedChangesTheTable) {
  auto b = backends(10);
  auto a = build_maglev(b, kSmall, 1);
  auto c = build_maglev(b, kSmall, 2);
  ASSERT_EQ(a.size(), c.size());
  EXPECT_GT(moved(a, c), 0.5);  // unrelated permutations: most entries differ
}

class MaglevRemoval : public ::testing::TestWithParam<uint32_t> {};

TEST_P(MaglevRemoval, MovesAboutOneNthAndLeavesSurvivorsAlone) {
  const uint32_t n = GetParam();
  auto all = backends(n);
  auto before = build_maglev(all, kBig);
  for (uint32_t gone : {0u, n / 2, n - 1}) {
    auto after = build_maglev(without(all, gone), kBig);
    ASSERT_EQ(after.size(), kBig);
    EXPECT_EQ(owners(after).count(gone), 0u);
    EXPECT_LE(moved(before, after), 1.0 / n + 0.01) << "N=" << n << " removed " << gone;
    EXPECT_LE(survivors_moved(before, after, gone), 0.01) << "N=" << n << " removed " << gone;
  }
}

INSTANTIATE_TEST_SUITE_P(Endpoints, MaglevRemoval, ::testing::Values(3u, 10u, 100u));

class MaglevAddition : public ::testing::TestWithParam<uint32_t> {};

TEST_P(MaglevAddition, MovesAboutOneNPlusOneth) {
  const uint32_t n = GetParam();
  auto before = build_maglev(backends(n), kBig);
  auto after = build_maglev(backends(n + 1), kBig);
  double expected = 1.0 / (n + 1);
  EXPECT_NEAR(static_cast<double>(owners(after)[n]) / kBig, expected, 0.01);
  EXPECT_NEAR(moved(before, after), expected, 0.01) << "N=" << n;
}

INSTANTIATE_TEST_SUITE_P(Endpoints, MaglevAddition, ::testing::Values(3u, 10u, 100u));

TEST(Maglev, Weights40_40_20GiveTheirShares) {
  auto b = backends(3);
  b[0].weight = 40;
  b[1].weight = 40;
  b[2].weight = 20;
  auto count = owners(build_maglev(b, kSmall));
  EXPECT_NEAR(static_cast<double>(count[0]) / kSmall, 0.40, 0.03);
  EXPECT_NEAR(static_cast<double>(count[1]) / kSmall, 0.40, 0.03);
  EXPECT_NEAR(static_cast<double>(count[2]) / kSmall, 0.20, 0.03);
}

TEST(Maglev, ZeroWeightOwnsNothingAndAllZeroGivesNoTable) {
  auto b = backends(3);
  b[1].weight = 0;
  auto count = owners(build_maglev(b, kSmall));
  EXPECT_EQ(count.count(1), 0u);
  EXPECT_EQ(count.size(), 2u);
  for (auto& x : b) x.weight = 0;
  EXPECT_TRUE(build_maglev(b, kSmall).empty());  // and returns: no endpoint can claim a turn
}

TEST(Maglev, DegenerateInputGivesAnEmptyTable) {
  EXPECT_TRUE(build_maglev({}, kSmall).empty());
  EXPECT_TRUE(build_maglev(backends(101), 101).empty());  // needs more entries than endpoints
  EXPECT_EQ(build_maglev(backends(1), 101), std::vector<uint32_t>(101, 0));
}

TEST(Maglev, IsPrime) {
  for (uint32_t p : {2u, 3u, 5u, 101u, 16381u, 65537u, 4294967291u}) EXPECT_TRUE(is_prime(p)) << p;
  for (uint32_t c : {0u, 1u, 4u, 9u, 25u, 16383u, 65535u, 4294967295u})
    EXPECT_FALSE(is_prime(c)) << c;
}

}  // namespace
}  // namespace xlb::select
