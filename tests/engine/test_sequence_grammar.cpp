// A grammar on a generation (GenerateOptions::grammar): every generation from the same sequence
// starts the grammar afresh (prefix reuse keeps the memory, not the grammar's state); with
// grammar_after the text is free until the marker; a complete grammar whose end is banned stops.
#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "common/test_util.h"
#include "engine/conversation.h"
#include "engine/engine.h"
#include "engine/grammar/gbnf_parser.h"
#include "engine/grammar/grammar_constraint.h"
#include "engine/sequence.h"

namespace trit::engine {
namespace {

std::shared_ptr<const grammar::Grammar> gbnf(const std::string& text) {
  return std::make_shared<grammar::Grammar>(grammar::parse_gbnf(text));
}

class SequenceGrammarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;
    o.threads = 1;
    o.context = 256;
    engine_ = std::make_unique<Engine>(test::make_model("tiny", "q2_0", 7), o);
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(SequenceGrammarTest, EachGenerationStartsTheGrammarAfresh) {
  Conversation conv(*engine_);
  GenerateOptions o;
  o.grammar = gbnf(R"(root ::= ("yes" | "no") "." [a-z]{0,3})");
  o.sampling.temperature = 1.0f;
  const std::vector<int32_t> prompt = engine_->tokenizer().encode("Answer: ", false);
  std::set<std::string> seen;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    o.sampling.seed = seed;
    std::string text;
    // The same prompt each time: its prefix is reused from the memory.
    GenerateStats stats = conv.generate(prompt, o, [&](const std::string& t) { text += t; return true; });
    if (seed > 1) {
      EXPECT_GT(stats.cached_tokens, 0);
    }
    EXPECT_EQ(stats.reason, StopReason::end_of_generation) << text;
    grammar::GrammarMatcher m(o.grammar);
    EXPECT_TRUE(m.accept(text) && m.can_end()) << text;
    seen.insert(text);
  }
  EXPECT_GT(seen.size(), 1u);  // sampled, not forced into one answer
}

TEST_F(SequenceGrammarTest, CompleteGrammarWithBannedEndStops) {
  Sequence s(engine_->new_sequence(), engine_->tokenizer());
  GenerateOptions o;
  o.grammar = gbnf(R"(root ::= "ok")");
  const std::vector<int32_t> prompt = engine_->tokenizer().encode("x", false);
  s.start(prompt, o, /*ban_eog=*/true);
  std::string text;
  for (int i = 0; i < 10; ++i) {
    auto input = s.next_input(64);
    model::SequenceStep step{&s.memory(), input, false};
    const std::vector<float>& logits = engine_->forward().run(std::span<const model::SequenceStep>(&step, 1));
    Sequence::Step out = s.step(std::span<const float>(logits.data(), static_cast<size_t>(engine_->config().n_vocab)));
    text += out.text;
    if (out.stop) {
      EXPECT_EQ(*out.stop, StopReason::end_of_generation);
      EXPECT_FALSE(out.sampled);
      text += s.finish(*out.stop);
      break;
    }
  }
  EXPECT_EQ(text, "ok");
}

TEST_F(SequenceGrammarTest, GrammarAfterAMarkerLeavesTheTextBeforeItFree) {
  const tokenizer::Tokenizer& tok = engine_->tokenizer();
  grammar::GrammarConstraint c(gbnf(R"(root ::= [ \n]{0,3} "A")"), tok, "</think>");
  EXPECT_FALSE(c.active());
  for (int32_t id : tok.encode("<think>any thing</thi", false)) c.accept(id);
  EXPECT_FALSE(c.active());
  for (int32_t id : tok.encode("nk>\n", false)) c.accept(id);
  ASSERT_TRUE(c.active());
  std::vector<float> logits(tok.vocab_size(), 0.0f), masked;
  ASSERT_TRUE(c.apply(logits, masked));
  for (size_t id = 0; id < masked.size(); ++id) {
    const std::string& b = tok.token_bytes(static_cast<int32_t>(id));
    const bool allowed = masked[id] == 0.0f;
    const bool expected = !tok.is_control(static_cast<int32_t>(id)) && !tok.is_eog(static_cast<int32_t>(id)) &&
                          !b.empty() && (b == "A" || b == " " || b == "\n" || b == "  " || b == "\n\n" || b == " A" ||
                                         b == "\nA" || b == "  A" || b == "\n\nA" || b == "\n " || b == " \n");
    EXPECT_EQ(allowed, expected) << "token " << id << " '" << b << "'";
  }
}

}  // namespace
}  // namespace trit::engine
