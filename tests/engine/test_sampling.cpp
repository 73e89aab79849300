// The sampler: argmax against a plain loop (ties, NaN, -inf, odd lengths), and each stage of the
// chain (penalties, top-k, top-p, min-p, temperature, seed) on small hand-made rows.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "engine/sampling.h"

using namespace trit::engine;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The first id of the largest non-NaN value; 0 when there is none.
int32_t plain_argmax(const std::vector<float>& v) {
  int32_t best = -1;
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isnan(v[i]) && (best < 0 || v[i] > v[best])) best = static_cast<int32_t>(i);
  return best < 0 ? 0 : best;
}

SamplingParams greedy() {
  SamplingParams p;
  p.temperature = 0.0f;
  return p;
}

// Temperature 1 with every filter off: each test turns on the one it checks.
SamplingParams unfiltered() {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

// How often each id is drawn from `row` over many draws.
std::vector<int> histogram(const SamplingParams& p, const std::vector<float>& row, int draws = 4000) {
  Sampler sampler(p);
  std::vector<int> counts(row.size());
  for (int i = 0; i < draws; ++i) ++counts.at(sampler.sample(row, {}));
  return counts;
}

}  // namespace

TEST(Argmax, MatchesAPlainLoopAtOddLengths) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> small(-3, 3);  // many ties
  for (size_t n : {1, 2, 15, 16, 17, 31, 33, 1000, 151936}) {
    for (int trial = 0; trial < 4; ++trial) {
      std::vector<float> v(n);
      for (float& x : v) x = static_cast<float>(small(rng));
      EXPECT_EQ(argmax(v), plain_argmax(v)) << "n=" << n;
    }
  }
}

TEST(Argmax, TiesGoToTheLowestIdAndTheTailCounts) {
  std::vector<float> v(37, 1.0f);
  EXPECT_EQ(argmax(v), 0);
  v[36] = 2.0f;  // in the tail after the last full 16-lane group
  EXPECT_EQ(argmax(v), 36);
  v[20] = 2.0f;
  EXPECT_EQ(argmax(v), 20);
}

TEST(Argmax, NanNeverWinsAndInfinitiesAreOrdered) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(argmax(std::vector<float>{nan, 1.0f, 3.0f, nan}), 2);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -kInf, -5.0f}), 2);
  EXPECT_EQ(argmax(std::vector<float>{1.0f, kInf, 2.0f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{nan, nan}), 0);
  EXPECT_EQ(argmax(std::vector<float>{-kInf, -kInf}), 0);
}

TEST(Sampler, GreedyIsArgmax) {
  Sampler sampler(greedy());
  EXPECT_EQ(sampler.sample(std::vector<float>{0.5f, 2.0f, 2.0f, -1.0f}, {}), 1);
}

TEST(Sampler, RepeatPenaltyDemotesTokensSeenRecently) {
  SamplingParams p = greedy();
  p.repeat_penalty = 2.0f;  // 4.0 -> 2.0 for token 0, below token 1's 3.0
  Sampler sampler(p);
  const std::vector<float> row{4.0f, 3.0f, 1.0f};
  EXPECT_EQ(sampler.sample(row, std::vector<int32_t>{2}), 0);
  EXPECT_EQ(sampler.sample(row, std::vector<int32_t>{0}), 1);
  p.repeat_last_n = 1;  // only the last token counts
  Sampler windowed(p);
  EXPECT_EQ(windowed.sample(row, std::vector<int32_t>{0, 2}), 0);
}

TEST(Sampler, PresenceAndFrequencyPenaltiesSubtract) {
  SamplingParams p = greedy();
  p.frequency_penalty = 0.6f;  // token 0 seen twice: 4.0 - 1.2 = 2.8 < 3.0
  EXPECT_EQ(Sampler(p).sample(std::vector<float>{4.0f, 3.0f}, std::vector<int32_t>{0, 0}), 1);
  EXPECT_EQ(Sampler(p).sample(std::vector<float>{4.0f, 3.0f}, std::vector<int32_t>{0}), 0);  // 3.4
  SamplingParams q = greedy();
  q.presence_penalty = 1.5f;  // once is enough: 4.0 - 1.5 = 2.5
  EXPECT_EQ(Sampler(q).sample(std::vector<float>{4.0f, 3.0f}, std::vector<int32_t>{0}), 1);
}

TEST(Sampler, TopKKeepsOnlyTheKMostLikely) {
  SamplingParams p = unfiltered();
  p.top_k = 2;
  const auto counts = histogram(p, {1.0f, 3.0f, 0.0f, 2.9f});
  EXPECT_EQ(counts[0] + counts[2], 0);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[3], 0);
}

TEST(Sampler, TopPKeepsTheSmallestSetReachingP) {
  SamplingParams p = unfiltered();
  p.top_p = 0.5f;  // probabilities ~ 0.64, 0.24, 0.09, 0.03: the first alone reaches 0.5
  const std::vector<float> row{3.0f, 2.0f, 1.0f, 0.0f};
  auto counts = histogram(p, row);
  EXPECT_EQ(counts[0], 4000);
  p.top_p = 0.8;  // needs the first two
  counts = histogram(p, row);
  EXPECT_EQ(counts[2] + counts[3], 0);
  EXPECT_GT(counts[1], 0);
}

TEST(Sampler, MinPDropsTokensFarBelowTheBest) {
  SamplingParams p = unfiltered();
  p.min_p = 0.2f;  // keeps p >= 0.2 * p_max: exp(-1) = 0.37 stays, exp(-2) = 0.14 goes
  const auto counts = histogram(p, {0.0f, -1.0f, -2.0f});
  EXPECT_GT(counts[1], 0);
  EXPECT_EQ(counts[2], 0);
}

TEST(Sampler, LowTemperatureSharpensAndTheSeedRepeats) {
  SamplingParams p = unfiltered();
  p.temperature = 0.05f;  // a gap of 1 becomes 20: the best is drawn essentially always
  const std::vector<float> row{2.0f, 1.0f, 1.5f};
  EXPECT_GE(histogram(p, row)[0], 3990);

  p.temperature = 1.0f;
  p.seed = 123;
  Sampler a(p), b(p);
  std::vector<int32_t> draws_a, draws_b;
  for (int i = 0; i < 50; ++i) {
    draws_a.push_back(a.sample(row, {}));
    draws_b.push_back(b.sample(row, {}));
  }
  EXPECT_EQ(draws_a, draws_b);
  EXPECT_GT(std::set<int32_t>(draws_a.begin(), draws_a.end()).size(), 1u);
}
