// The RAM prompt cache (engine/prompt_cache.h) on a small model's KV memories: the longest shared
// prefix wins, an extension replaces what it extends, a prefix of a kept sequence adds nothing,
// the least recently used entries go when the budget is full, and recurrent memory gives only the
// prefixes where it knows its state.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "common/test_util.h"
#include "engine/engine.h"
#include "engine/prompt_cache.h"
#include "model/kv_cache.h"

namespace trit {
namespace {

using Tokens = std::vector<int32_t>;

class PromptCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 256;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
  }
  // A memory that holds `tokens` (positions marked filled; the rows' values do not matter here).
  std::unique_ptr<model::SequenceMemory> holding(const Tokens& tokens) const {
    auto memory = engine_->new_memory(256);
    EXPECT_TRUE(memory->attention_cache().reserve(static_cast<int64_t>(tokens.size())));
    memory->attention_cache().set_length(static_cast<int64_t>(tokens.size()));
    return memory;
  }
  engine::PromptCache cache(size_t budget) const {
    return engine::PromptCache(budget, [this](int64_t capacity) { return engine_->new_memory(capacity); });
  }
  static Tokens run(int32_t first, size_t n) {
    Tokens t(n);
    std::iota(t.begin(), t.end(), first);
    return t;
  }
  size_t bytes_of(size_t positions) const { return engine_->new_memory(static_cast<int64_t>(positions))->bytes(); }
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(PromptCacheTest, LongestPrefixExtensionsAndDuplicates) {
  engine::PromptCache c = cache(size_t(64) << 20);
  const Tokens a = run(10, 40), b = run(500, 30);
  EXPECT_TRUE(c.keep(a, *holding(a)));
  EXPECT_TRUE(c.keep(b, *holding(b)));
  EXPECT_EQ(c.entries(), 2u);
  EXPECT_EQ(c.bytes(), bytes_of(40) + bytes_of(30));
  // A prompt that starts with 25 tokens of `a`, then differs.
  Tokens prompt(a.begin(), a.begin() + 25);
  prompt.push_back(9999);
  engine::PromptCache::Match m = c.longest_prefix(prompt);
  EXPECT_EQ(m.length, 25u);
  ASSERT_NE(m.memory, nullptr);
  EXPECT_EQ(m.memory->length(), 40);
  EXPECT_EQ(Tokens(m.tokens.begin(), m.tokens.end()), a);
  EXPECT_EQ(c.longest_prefix(run(7000, 5)).length, 0u) << "nothing shared";
  // A prefix of a kept sequence adds nothing; an extension replaces the entry it extends.
  const Tokens a_part(a.begin(), a.begin() + 20);
  EXPECT_FALSE(c.keep(a_part, *holding(a_part)));
  Tokens a_more = a;
  a_more.insert(a_more.end(), {1, 2, 3});
  EXPECT_TRUE(c.keep(a_more, *holding(a_more)));
  EXPECT_EQ(c.entries(), 2u);
  EXPECT_EQ(c.bytes(), bytes_of(43) + bytes_of(30));
  EXPECT_EQ(c.longest_prefix(a_more).length, a_more.size());
  // Tokens the memory does not hold are refused.
  EXPECT_FALSE(c.keep(run(800, 50), *holding(run(800, 10))));
}

TEST_F(PromptCacheTest, LeastRecentlyUsedGoFirst) {
  // Room for three entries of 32 positions.
  engine::PromptCache c = cache(3 * bytes_of(32));
  const Tokens a = run(100, 32), b = run(200, 32), d = run(300, 32), e = run(400, 32);
  for (const Tokens* t : {&a, &b, &d}) EXPECT_TRUE(c.keep(*t, *holding(*t)));
  EXPECT_EQ(c.entries(), 3u);
  EXPECT_EQ(c.longest_prefix(a).length, 32u);  // `a` used again: `b` is now the oldest
  EXPECT_TRUE(c.keep(e, *holding(e)));
  EXPECT_EQ(c.entries(), 3u);
  EXPECT_LE(c.bytes(), c.budget());
  EXPECT_EQ(c.longest_prefix(b).length, 0u) << "the least recently used went";
  EXPECT_EQ(c.longest_prefix(a).length, 32u);
  EXPECT_EQ(c.longest_prefix(d).length, 32u);
  // One sequence larger than the whole budget is not kept, and evicts nothing.
  const Tokens huge = run(1000, 200);
  EXPECT_FALSE(c.keep(huge, *holding(huge)));
  EXPECT_EQ(c.entries(), 3u);
}

TEST(PromptCache, RecurrentMemoryGivesOnlyThePrefixesWhereItKnowsItsState) {
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 64;
  engine::Engine hybrid(test::make_model("qwen35-tiny", "pq2_0", 7), o);
  engine::PromptCache c(size_t(64) << 20, [&](int64_t capacity) { return hybrid.new_memory(capacity); });
  const Tokens kept = {1, 2, 3, 4, 5, 6, 7, 8};
  auto memory = hybrid.new_memory(64);
  ASSERT_TRUE(memory->attention_cache().reserve(8));
  memory->attention_cache().set_length(4);
  memory->checkpoint();  // the state after 4 positions
  memory->attention_cache().set_length(8);
  EXPECT_TRUE(c.keep(kept, *memory));
  EXPECT_EQ(c.entries(), 1u);
  EXPECT_EQ(c.longest_prefix(Tokens{1, 2, 3, 4, 5, 6, 7, 8, 9}).length, 8u) << "the whole entry";
  EXPECT_EQ(c.longest_prefix(Tokens{1, 2, 3, 4, 5, 6, 99}).length, 4u) << "back to its checkpoint";
  EXPECT_EQ(c.longest_prefix(Tokens{1, 2, 3, 99}).length, 0u) << "no state before 4";
}

}  // namespace
}  // namespace trit
