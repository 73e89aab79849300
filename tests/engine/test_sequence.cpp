// engine::Sequence, the one generation step behind run, chat and serve, driven the way
// Conversation drives it (one sequence per forward call) on a small synthetic model: a full
// context stops without feeding the last token, finish() leaves tokens() equal to the memory, the
// next prompt reuses it, max_tokens 0 samples nothing, the memory's rewind refuses what it
// cannot do, and a memory that cannot rewind at all (recurrent state without checkpoints) goes
// through the same loop by recomputing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/test_util.h"
#include "engine/engine.h"
#include "engine/sequence.h"
#include "util/error.h"

namespace trit {
namespace {

class SequenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 48;
    engine_ = std::make_unique<engine::Engine>(test::make_model("tiny", "q2_0", 7), o);
  }

  // Feeds everything unfed; returns the last row.
  std::span<const float> feed(engine::Sequence& s) {
    const std::vector<float>* logits = nullptr;
    for (;;) {
      auto input = s.next_input(16);
      const bool last = s.completes(static_cast<int64_t>(input.size()));
      model::SequenceStep step{&s.memory(), input, false};
      logits = &engine_->forward().run(std::span<const model::SequenceStep>(&step, 1));
      if (last) break;
    }
    return std::span<const float>(logits->data(), static_cast<size_t>(engine_->config().n_vocab));
  }

  // Generates to the end; returns the reason.
  engine::StopReason generate(engine::Sequence& s, const std::vector<int32_t>& prompt, engine::GenerateOptions o) {
    s.start(prompt, o, /*ban_eog=*/true);
    for (;;) {
      engine::Sequence::Step step = s.step(feed(s));
      if (step.stop) {
        s.finish(*step.stop);
        return *step.stop;
      }
    }
  }

  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(SequenceTest, FullContextThenPrefixReuse) {
  engine::Sequence s(engine_->new_sequence(), engine_->tokenizer());
  const std::vector<int32_t> prompt = engine_->tokenizer().encode("Hello there, how are you");
  engine::GenerateOptions o;
  o.sampling.temperature = 0.0f;
  EXPECT_EQ(generate(s, prompt, o), engine::StopReason::context_full);
  const auto& stats = s.stats();
  EXPECT_EQ(stats.generated_tokens, 48 - static_cast<int64_t>(prompt.size()));
  EXPECT_EQ(stats.cached_tokens, 0);
  // The last sampled token was never fed: the memory holds all but it, and tokens() matches.
  EXPECT_EQ(s.memory().length(), 47);
  EXPECT_EQ(static_cast<int64_t>(s.tokens().size()), s.memory().length());

  // A prompt extending what is cached reuses it (all of it, as the prompt is longer).
  std::vector<int32_t> follow(s.tokens().begin(), s.tokens().begin() + 30);
  follow.push_back(prompt[0]);
  o.max_tokens = 3;
  EXPECT_EQ(generate(s, follow, o), engine::StopReason::max_tokens);
  EXPECT_EQ(s.stats().cached_tokens, 30);
  EXPECT_EQ(s.stats().prompt_computed, 1);
  EXPECT_EQ(s.stats().generated_tokens, 3);

  // max_tokens 0: the prompt is fed, nothing is sampled.
  o.max_tokens = 0;
  s.start(prompt, o);
  engine::Sequence::Step step = s.step(feed(s));
  EXPECT_FALSE(step.sampled);
  EXPECT_EQ(step.stop, engine::StopReason::max_tokens);
  EXPECT_EQ(s.finish(*step.stop), "");
  EXPECT_EQ(s.stats().generated_tokens, 0);
}

TEST_F(SequenceTest, MemoryRewindRefusesWhatItCannotDo) {
  auto memory = engine_->new_sequence();
  const std::vector<int32_t> ten(10, 1);
  model::SequenceStep step{memory.get(), ten, false};
  engine_->forward().run(std::span<const model::SequenceStep>(&step, 1));
  EXPECT_EQ(memory->length(), 10);
  EXPECT_FALSE(memory->rewind(11)) << "positions that were never written";
  EXPECT_FALSE(memory->rewind(-1));
  EXPECT_EQ(memory->length(), 10) << "a refused rewind changes nothing";
  EXPECT_TRUE(memory->rewind(4));
  EXPECT_EQ(memory->length(), 4);
  memory->clear();
  EXPECT_EQ(memory->length(), 0);
}

// A memory that, like recurrent state without checkpoints, cannot go back: it offers (rewind_point)
// and accepts only where it already is and 0, and otherwise behaves as the KV cache it wraps (the
// forward pass writes through attention_cache()).
class NoRewindMemory final : public model::SequenceMemory {
 public:
  explicit NoRewindMemory(std::unique_ptr<model::SequenceMemory> inner) : inner_(std::move(inner)) {}
  int64_t capacity() const override { return inner_->capacity(); }
  int64_t length() const override { return inner_->length(); }
  bool rewind(int64_t length) override {
    if (length == 0) inner_->clear();
    if (length == inner_->length()) return true;
    ++refused_;
    return false;
  }
  int64_t rewind_point(int64_t length) const override { return length >= inner_->length() ? inner_->length() : 0; }
  void clear() override { inner_->clear(); }
  size_t bytes() const override { return inner_->bytes(); }
  model::KvSequence& attention_cache() override { return inner_->attention_cache(); }
  int refused() const { return refused_; }

 private:
  std::unique_ptr<model::SequenceMemory> inner_;
  int refused_ = 0;
};

TEST_F(SequenceTest, MemoryThatCannotRewindIsRecomputedFromScratch) {
  auto no_rewind = std::make_unique<NoRewindMemory>(engine_->new_sequence());
  const NoRewindMemory& memory = *no_rewind;
  engine::Sequence recomputing(std::move(no_rewind), engine_->tokenizer());
  engine::Sequence rewinding(engine_->new_sequence(), engine_->tokenizer());
  const std::vector<int32_t> prompt = engine_->tokenizer().encode("Hello there, how are you");
  ASSERT_GE(prompt.size(), 4u);
  engine::GenerateOptions o;
  o.sampling.temperature = 0.0f;
  o.max_tokens = 6;
  for (engine::Sequence* s : {&recomputing, &rewinding}) EXPECT_EQ(generate(*s, prompt, o), engine::StopReason::max_tokens);
  EXPECT_EQ(recomputing.tokens(), rewinding.tokens());

  // A follow-up sharing only the first prompt tokens: the KV cache keeps them, the other memory
  // offers only 0, so it starts over and feeds the whole prompt; the tokens are the same, and the
  // loop never asked for a rewind the memory had not offered.
  std::vector<int32_t> follow(prompt.begin(), prompt.begin() + 2);
  follow.push_back(prompt.back());
  for (engine::Sequence* s : {&recomputing, &rewinding}) EXPECT_EQ(generate(*s, follow, o), engine::StopReason::max_tokens);
  EXPECT_EQ(memory.refused(), 0);
  EXPECT_EQ(recomputing.stats().cached_tokens, 0);
  EXPECT_EQ(recomputing.stats().prompt_computed, static_cast<int64_t>(follow.size()));
  EXPECT_EQ(rewinding.stats().cached_tokens, 2);
  EXPECT_EQ(recomputing.tokens(), rewinding.tokens());
}

// Recurrent memory (qwen35) resumes from checkpoints: the loop takes one before each prompt's last
// token, so the same prompt again reuses all but that token, a follow-up after the answer reuses
// the whole memory, and one that shares less than a checkpoint starts over; every answer equals a
// fresh sequence's.
class HybridSequenceTest : public SequenceTest {
 protected:
  void SetUp() override {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = 64;
    engine_ = std::make_unique<engine::Engine>(test::make_model("qwen35-tiny", "pq2_0", 7), o);
  }
  std::vector<int32_t> tokens(size_t n, int32_t first) const {
    std::vector<int32_t> t(n);
    for (size_t i = 0; i < n; ++i) t[i] = (first + 37 * static_cast<int32_t>(i)) % 400 + 10;  // within the tiny vocabulary
    return t;
  }
};

TEST_F(HybridSequenceTest, PrefixReuseResumesFromCheckpoints) {
  engine::Sequence s(engine_->new_sequence(), engine_->tokenizer());
  ASSERT_TRUE(s.memory().takes_checkpoints());
  engine::GenerateOptions o;
  o.sampling.temperature = 0.0f;
  o.max_tokens = 6;
  auto fresh = [&](const std::vector<int32_t>& prompt) {
    engine::Sequence alone(engine_->new_sequence(), engine_->tokenizer());
    generate(alone, prompt, o);
    return alone.tokens();
  };
  const std::vector<int32_t> prompt = tokens(20, 3);
  generate(s, prompt, o);
  EXPECT_EQ(s.stats().cached_tokens, 0);
  const std::vector<int32_t> answer = s.tokens();

  generate(s, prompt, o);
  EXPECT_EQ(s.stats().cached_tokens, 19) << "the checkpoint before the prompt's last token";
  EXPECT_EQ(s.stats().prompt_computed, 1);
  EXPECT_EQ(s.tokens(), answer);

  std::vector<int32_t> follow = s.tokens();
  const size_t held = follow.size();
  ASSERT_EQ(static_cast<int64_t>(held), s.memory().length());
  for (int32_t t : tokens(3, 500)) follow.push_back(t);
  generate(s, follow, o);
  EXPECT_EQ(s.stats().cached_tokens, static_cast<int64_t>(held)) << "the memory as the last turn left it";
  EXPECT_EQ(s.tokens(), fresh(follow));

  std::vector<int32_t> diverging(prompt.begin(), prompt.begin() + 10);
  for (int32_t t : tokens(4, 300)) diverging.push_back(t);
  generate(s, diverging, o);
  EXPECT_EQ(s.stats().cached_tokens, 0) << "no checkpoint within the shared 10 tokens";
  EXPECT_EQ(s.tokens(), fresh(diverging));
}

// logit_bias: -100 bans a token (greedy picks the next best), +100 makes it the only choice.
TEST_F(SequenceTest, LogitBiasBansAndForcesTokens) {
  engine::Sequence s(engine_->new_sequence(), engine_->tokenizer());
  const std::vector<int32_t> prompt = engine_->tokenizer().encode("Hello there");
  engine::GenerateOptions o;
  o.sampling.temperature = 0.0f;
  o.max_tokens = 4;
  generate(s, prompt, o);
  const std::vector<int32_t> plain(s.tokens().begin() + static_cast<long>(prompt.size()), s.tokens().end());
  ASSERT_FALSE(plain.empty());

  s.clear();
  o.sampling.logit_bias = {{plain[0], -100.0f}};
  s.start(prompt, o, true);
  engine::Sequence::Step banned = s.step(feed(s));
  EXPECT_NE(banned.token, plain[0]);
  EXPECT_TRUE(std::isinf(banned.row[plain[0]]));
  s.finish(engine::StopReason::cancelled);

  s.clear();
  const int32_t forced = engine_->tokenizer().encode("z").at(0);
  o.sampling.logit_bias = {{forced, 100.0f}};
  o.sampling.temperature = 1.0f;
  generate(s, prompt, o);
  for (size_t i = prompt.size(); i < s.tokens().size(); ++i) EXPECT_EQ(s.tokens()[i], forced);
}

// A thinking budget: after `budget` tokens inside <think>, the sequence writes "\n</think>\n\n"
// itself and goes on sampling the answer. Without a budget nothing is forced.
TEST_F(SequenceTest, ThinkingBudgetClosesTheThinkBlock) {
  const auto& tok = engine_->tokenizer();
  const auto open = tok.find_token("<think>"), close = tok.find_token("</think>");
  ASSERT_TRUE(open && close);
  std::vector<int32_t> prompt = tok.encode("Hello");
  prompt.push_back(*open);  // a template that opens the think block for the model
  const std::vector<int32_t> closing = tok.encode("\n</think>\n\n", true);
  engine::GenerateOptions o;
  o.sampling.temperature = 0.0f;
  o.sampling.logit_bias = {{*open, -100.0f}, {*close, -100.0f}};  // the model never closes it itself
  o.max_tokens = 3 + static_cast<int64_t>(closing.size()) + 2;
  o.thinking_budget = 3;
  engine::Sequence s(engine_->new_sequence(), tok);
  generate(s, prompt, o);
  std::vector<int32_t> out(s.tokens().begin() + static_cast<long>(prompt.size()), s.tokens().end());
  ASSERT_EQ(out.size(), static_cast<size_t>(o.max_tokens) - 1);  // the last sampled token is not kept
  EXPECT_EQ(std::vector<int32_t>(out.begin() + 3, out.begin() + 3 + static_cast<long>(closing.size())), closing);

  // Budget 0 closes at once; no budget forces nothing.
  s.clear();
  o.thinking_budget = 0;
  generate(s, prompt, o);
  out.assign(s.tokens().begin() + static_cast<long>(prompt.size()), s.tokens().end());
  EXPECT_EQ(std::vector<int32_t>(out.begin(), out.begin() + static_cast<long>(closing.size())), closing);
  s.clear();
  o.thinking_budget = -1;
  generate(s, prompt, o);
  out.assign(s.tokens().begin() + static_cast<long>(prompt.size()), s.tokens().end());
  EXPECT_EQ(std::count(out.begin(), out.end(), *close), 0);
}

TEST_F(SequenceTest, BadPromptsAreRefused) {
  const int64_t n_vocab = engine_->config().n_vocab;
  EXPECT_THROW(engine::check_prompt({}, 48, n_vocab), Error);
  EXPECT_THROW(engine::check_prompt(std::vector<int32_t>(48, 1), 48, n_vocab), Error);
  EXPECT_THROW(engine::check_prompt(std::vector<int32_t>{static_cast<int32_t>(n_vocab)}, 48, n_vocab), Error);
  EXPECT_NO_THROW(engine::check_prompt(std::vector<int32_t>(47, 1), 48, n_vocab));
}

}  // namespace
}  // namespace trit
