// The paged KV pool (model/kv_pool.h) and the KV cache on its pages (model/kv_cache.h): pages
// taken as a sequence grows and given back as it rewinds or ends, a full pool refused without
// harm, and sequences sharing a prefix's pages (copy-on-write) computing exactly what sequences
// with caches of their own compute.
#include <gtest/gtest.h>

#include <vector>

#include "common/test_util.h"
#include "engine/engine.h"
#include "model/logit_compare.h"

namespace trit {
namespace {

using kernels::kKvPagePositions;

std::unique_ptr<engine::Engine> tiny_engine(kernels::KvType kv, int64_t context) {
  engine::EngineOptions o;
  o.threads = 2;
  o.context = context;
  o.kv_types = {kv, kv};
  return std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
}

TEST(KvPool, PagesAreTakenAsASequenceGrowsAndGivenBackAsItShrinks) {
  const auto engine = tiny_engine(kernels::KvType::f16, 5 * kKvPagePositions);
  auto pool = std::make_shared<model::KvPagePool>(engine->config(), 5 * kKvPagePositions, kernels::KvTypes{});
  EXPECT_EQ(pool->pages_total(), 5);
  model::KvSequence a(pool, 4 * kKvPagePositions), b(pool, 4 * kKvPagePositions);
  ASSERT_TRUE(a.reserve(2 * kKvPagePositions + 2));
  a.set_length(2 * kKvPagePositions + 2);
  EXPECT_EQ(a.pages_held(), 3);
  EXPECT_EQ(pool->pages_free(), 2);
  EXPECT_FALSE(a.reserve(4 * kKvPagePositions + 1)) << "past the sequence's capacity";
  // b takes the last two pages; a cannot grow into a fourth, and keeps what it has.
  ASSERT_TRUE(b.reserve(2 * kKvPagePositions));
  EXPECT_EQ(pool->pages_free(), 0);
  EXPECT_FALSE(a.reserve(3 * kKvPagePositions + 1));
  EXPECT_EQ(a.pages_held(), 3);
  EXPECT_EQ(a.length(), 2 * kKvPagePositions + 2);
  EXPECT_EQ(a.pages_needed(3 * kKvPagePositions + 1), 1);
  // Rewinding gives back the pages past the new length; clearing gives back all.
  ASSERT_TRUE(a.rewind(kKvPagePositions));
  EXPECT_EQ(a.pages_held(), 1);
  EXPECT_EQ(pool->pages_free(), 2);
  a.clear();
  EXPECT_EQ(pool->pages_free(), 3);
  {
    model::KvSequence c(pool, kKvPagePositions);
    ASSERT_TRUE(c.reserve(1));
    EXPECT_EQ(pool->pages_free(), 2);
  }
  EXPECT_EQ(pool->pages_free(), 3) << "a sequence's pages return when it ends";
}

TEST(KvPool, ACopiedPrefixSharesPagesUntilOneSideWrites) {
  const auto engine = tiny_engine(kernels::KvType::f16, 4 * kKvPagePositions);
  auto pool = std::make_shared<model::KvPagePool>(engine->config(), 4 * kKvPagePositions, kernels::KvTypes{});
  model::KvSequence a(pool, 4 * kKvPagePositions), b(pool, 4 * kKvPagePositions);
  ASSERT_TRUE(a.reserve(kKvPagePositions + 10));
  a.set_length(kKvPagePositions + 10);
  ASSERT_TRUE(b.copy_prefix(a, kKvPagePositions + 5));
  EXPECT_EQ(pool->pages_used(), 2) << "the prefix is stored once";
  EXPECT_EQ(b.pages_held_alone(), 0);
  EXPECT_EQ(b.pages_needed(kKvPagePositions + 6), 1) << "its second page must be copied before b writes";
  ASSERT_TRUE(b.reserve(kKvPagePositions + 6));
  EXPECT_EQ(pool->pages_used(), 3);
  EXPECT_EQ(b.pages_held_alone(), 1);
  EXPECT_EQ(a.pages_held_alone(), 1) << "the first page stays shared";
  EXPECT_EQ(a.pages_needed(kKvPagePositions + 11), 0) << "a holds its second page alone now";
  // A copy from a sequence with a pool of its own copies rows into this pool's pages.
  model::KvSequence own(engine->config(), 4 * kKvPagePositions, kernels::KvTypes{});
  ASSERT_TRUE(own.reserve(3));
  own.set_length(3);
  EXPECT_FALSE(a.copy_prefix(own, 4)) << "longer than it holds";
  ASSERT_TRUE(a.copy_prefix(own, 3));
  EXPECT_EQ(a.length(), 3);
  EXPECT_EQ(a.pages_held(), 1);
}

// Two sequences share a prompt's pages, then each continues differently: every logits row equals
// that of a sequence with a cache of its own fed the same tokens, bit for bit, whichever of the
// two writes into the shared page first, and for every KV type.
TEST(KvPool, SequencesSharingPagesComputeWhatSequencesAloneCompute) {
  for (kernels::KvType kv : {kernels::KvType::f16, kernels::KvType::q8_0, kernels::KvType::f32}) {
    const auto engine = tiny_engine(kv, 8 * kKvPagePositions);
    const int64_t vocab = engine->config().n_vocab;
    const std::vector<int32_t> prompt = test::random_tokens(static_cast<int>(kKvPagePositions) + 30, static_cast<int>(vocab), 5);
    const std::vector<int32_t> more_a = test::random_tokens(50, static_cast<int>(vocab), 6);
    const std::vector<int32_t> more_b = test::random_tokens(45, static_cast<int>(vocab), 7);
    const int64_t shared = kKvPagePositions + 20;  // b takes this much of a's prompt

    auto logits_alone = [&](const std::vector<int32_t>& head, const std::vector<int32_t>& tail) {
      auto memory = engine->new_sequence();
      model::SequenceStep first{memory.get(), head, false};
      (void)engine->forward().run(std::span(&first, 1));
      model::SequenceStep second{memory.get(), tail, true};
      return engine->forward().run(std::span(&second, 1));
    };
    const std::vector<int32_t> b_head(prompt.begin(), prompt.begin() + shared);
    const std::vector<float> a_expected = logits_alone(prompt, more_a);
    const std::vector<float> b_expected = logits_alone(b_head, more_b);

    auto pool = std::make_shared<model::KvPagePool>(engine->config(), 8 * kKvPagePositions, engine->options().kv_types);
    for (bool a_first : {true, false}) {
      auto a = engine->new_sequence(pool, 4 * kKvPagePositions);
      auto b = engine->new_sequence(pool, 4 * kKvPagePositions);
      model::SequenceStep feed{a.get(), prompt, false};
      (void)engine->forward().run(std::span(&feed, 1));
      ASSERT_TRUE(b->copy_prefix(*a, shared));
      EXPECT_EQ(pool->pages_used(), 2);
      std::vector<float> a_logits, b_logits;
      model::SequenceStep step_a{a.get(), more_a, true}, step_b{b.get(), more_b, true};
      if (a_first) {
        a_logits = engine->forward().run(std::span(&step_a, 1));
        b_logits = engine->forward().run(std::span(&step_b, 1));
      } else {
        b_logits = engine->forward().run(std::span(&step_b, 1));
        a_logits = engine->forward().run(std::span(&step_a, 1));
      }
      const std::string where = std::string(kernels::kv_type_name(kv)) + (a_first ? ", a first" : ", b first");
      EXPECT_EQ(a_logits, a_expected) << where;
      EXPECT_EQ(b_logits, b_expected) << where;
      // The first page still shared; the second copied by whichever wrote first; a third each.
      EXPECT_EQ(pool->pages_used(), 5) << where;
    }
    EXPECT_EQ(pool->pages_used(), 0);
  }
}

}  // namespace
}  // namespace trit
