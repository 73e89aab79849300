// The engine's forward pass against the f64 reference (reference_forward.h) on tiny mkmodel
// models of every weight type; KV-cache consistency; batching independence; golden text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>

#include "common/test_util.h"
#include "engine/engine.h"
#include "engine/sampling.h"
#include "model/logit_compare.h"
#include "model/reference_forward.h"

namespace trit {
namespace {

// Tolerances, relative to the range of the reference logits of a row. The ternary kernels quantize
// activations to int8 per weight group (a relative error up to 1/254 per element); on these
// random models that error grows through the layers to 1.4-2.1% of the logit range (measured:
// q2_0 2.06%, q2_0_g64 1.44%, q1_0 1.85%). The float kernels (f16, bf16, f32 weights) differ from
// the f64 reference only by f32 rounding (< 1e-4 measured). Real mistakes (a wrong RoPE pair, a
// missing norm, a transposed matrix, a wrong GQA head) move logits by tens of percent of the range.
// With --activations int8x2 (a second int8 term for the rounding residual, ~1/64500 of a block's
// range per element) the ternary files come within the float tolerance too.
constexpr double kRelativeTolerance = 0.03;
constexpr double kFloatRelativeTolerance = 1e-3;

using test::random_tokens;
using test::relative_error;

engine::EngineOptions options(kernels::KvType kv = kernels::KvType::f32,
                              kernels::ActivationPrecision activations = kernels::ActivationPrecision::int8) {
  engine::EngineOptions o;
  o.threads = 2;
  o.context = 256;
  o.kv_types = {kv, kv};
  o.activations = activations;
  return o;
}

// (weight type, activation precision of the ternary kernels).
using WeightsAndActivations = std::tuple<std::string, kernels::ActivationPrecision>;
class ForwardVsReference : public ::testing::TestWithParam<WeightsAndActivations> {};

TEST_P(ForwardVsReference, WholePromptAndTokenByTokenMatchReference) {
  const auto& [type, activations] = GetParam();
  const std::string where = type + " " + kernels::activation_precision_name(activations);
  engine::Engine engine(test::make_model("tiny", type, 7), options(kernels::KvType::f32, activations));
  const int64_t vocab = engine.config().n_vocab;
  const std::vector<int32_t> prompt = random_tokens(23, static_cast<int>(vocab), 3);

  test::ReferenceModel reference(engine.model().file());
  const auto expected = reference.forward(prompt);

  // Whole prompt in one step, logits for every position.
  auto kv = engine.new_sequence();
  model::SequenceStep step{kv.get(), prompt, true};
  const std::vector<float> whole = engine.forward().run(std::span(&step, 1));
  double worst = 0;
  for (size_t t = 0; t < prompt.size(); ++t) worst = std::max(worst, relative_error(&whole[t * vocab], expected[t]));
  const bool float_weights = type == "f16" || type == "bf16" || type == "f32";
  const bool float_like = float_weights || activations == kernels::ActivationPrecision::int8x2;
  const double tolerance = float_like ? kFloatRelativeTolerance : kRelativeTolerance;
  EXPECT_LT(worst, tolerance) << where << ": whole-prompt logits differ from the reference";
  RecordProperty("whole_prompt_relative_error", std::to_string(worst));

  // The same sequence fed one token at a time through the KV cache (with int8x2 a decode step
  // is a 2-row batch: the value and residual terms).
  auto kv2 = engine.new_sequence();
  double worst_step = 0, worst_vs_whole = 0;
  for (size_t t = 0; t < prompt.size(); ++t) {
    model::SequenceStep one{kv2.get(), std::span(&prompt[t], 1), false};
    const std::vector<float>& logits = engine.forward().run(std::span(&one, 1));
    worst_step = std::max(worst_step, relative_error(logits.data(), expected[t]));
    std::vector<double> whole_row(whole.begin() + t * vocab, whole.begin() + (t + 1) * vocab);
    worst_vs_whole = std::max(worst_vs_whole, relative_error(logits.data(), whole_row));
  }
  EXPECT_LT(worst_step, tolerance) << where << ": token-by-token logits differ from the reference";
  // Prompt and decode may take different kernel paths (GEMM vs GEMV) but compute the same math.
  EXPECT_LT(worst_vs_whole, 1e-3) << where << ": decode through the KV cache disagrees with the whole prompt";
}

std::vector<WeightsAndActivations> every_weight_type() {
  std::vector<WeightsAndActivations> cases;
  for (const char* type : {"q2_0", "q2_0_g64", "q1_0", "f16", "bf16", "f32"})
    cases.emplace_back(type, kernels::ActivationPrecision::int8);
  for (const char* type : {"q2_0", "q2_0_g64", "q1_0"}) cases.emplace_back(type, kernels::ActivationPrecision::int8x2);
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryWeightType, ForwardVsReference, ::testing::ValuesIn(every_weight_type()),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" +
                                  kernels::activation_precision_name(std::get<1>(info.param));
                         });

TEST(Forward, F16KvCacheStaysCloseToReference) {
  engine::Engine engine(test::make_model("tiny", "q2_0", 7), options(kernels::KvType::f16));
  const std::vector<int32_t> prompt = random_tokens(30, static_cast<int>(engine.config().n_vocab), 5);
  test::ReferenceModel reference(engine.model().file());
  const auto expected = reference.forward(prompt);
  auto kv = engine.new_sequence();
  model::SequenceStep step{kv.get(), prompt, false};
  const std::vector<float>& logits = engine.forward().run(std::span(&step, 1));
  EXPECT_LT(relative_error(logits.data(), expected.back()), kRelativeTolerance);
}

TEST(Forward, BatchedSequencesMatchSequencesRunAlone) {
  engine::Engine engine(test::make_model("tiny", "q2_0", 7), options());
  const int vocab = static_cast<int>(engine.config().n_vocab);
  const auto a = random_tokens(17, vocab, 11), b = random_tokens(5, vocab, 12);
  auto kv_a = engine.new_sequence(), kv_b = engine.new_sequence();
  model::SequenceStep alone_a{kv_a.get(), a, false};
  const std::vector<float> logits_a = engine.forward().run(std::span(&alone_a, 1));
  model::SequenceStep alone_b{kv_b.get(), b, false};
  const std::vector<float> logits_b = engine.forward().run(std::span(&alone_b, 1));

  auto kv_a2 = engine.new_sequence(), kv_b2 = engine.new_sequence();
  model::SequenceStep both[2] = {{kv_a2.get(), a, false}, {kv_b2.get(), b, false}};
  const std::vector<float>& batched = engine.forward().run(both);
  for (int i = 0; i < vocab; ++i) {
    ASSERT_FLOAT_EQ(batched[i], logits_a[i]) << "sequence a, logit " << i;
    ASSERT_FLOAT_EQ(batched[vocab + i], logits_b[i]) << "sequence b, logit " << i;
  }
}

// Past the first attention segment (kernels/attention.h) a decode step's kv heads, fewer than the
// threads, are split by position across them (forward_attention.cpp): the result stays the f64
// reference's, and bit for bit the same on 3 threads (tiny's 2 kv heads split) as on 1 (not split:
// attend() takes the segments one after another).
TEST(Forward, DecodeAtDepthIsSplitByPositionAndMatchesReferenceOnAnyThreads) {
  std::vector<double> expected;
  std::vector<float> first_logits;
  for (int threads : {1, 3}) {
    engine::EngineOptions o = options();
    o.threads = threads;
    o.context = 2048;  // past tiny's trained 512: a warning, and RoPE the reference computes alike
    engine::Engine engine(test::make_model("tiny", "f32", 7), o);
    const std::vector<int32_t> prompt = random_tokens(1100, static_cast<int>(engine.config().n_vocab), 9);
    if (expected.empty()) expected = test::ReferenceModel(engine.model().file()).forward(prompt, true).back();
    auto kv = engine.new_sequence();
    model::SequenceStep head{kv.get(), std::span(prompt).first(prompt.size() - 1), false};
    engine.forward().run(std::span(&head, 1));
    model::SequenceStep last{kv.get(), std::span(prompt).last(1), false};
    const std::vector<float> logits = engine.forward().run(std::span(&last, 1));
    EXPECT_LT(relative_error(logits.data(), expected), kFloatRelativeTolerance) << threads << " threads";
    if (first_logits.empty()) first_logits = logits;
    for (size_t i = 0; i < logits.size(); ++i) ASSERT_EQ(logits[i], first_logits[i]) << threads << " threads, logit " << i;
  }
}

std::vector<int32_t> greedy(engine::Engine& engine, std::vector<int32_t> prompt, int n) {
  auto kv = engine.new_sequence();
  std::vector<int32_t> out;
  std::vector<int32_t> feed = prompt;
  for (int i = 0; i < n; ++i) {
    model::SequenceStep step{kv.get(), feed, false};
    const std::vector<float>& logits = engine.forward().run(std::span(&step, 1));
    int32_t next = engine::argmax(std::span(logits.data(), engine.config().n_vocab));
    out.push_back(next);
    feed = {next};
  }
  return out;
}

// The q2_0 and f16 files of one seed hold the same weights, so their greedy choices must agree.
// Both engines are fed the same (f16-chosen) tokens for 64 steps so one disagreement cannot
// cascade; at every step the argmaxes must be equal, except where the f64 reference itself sees
// a near-tie (top two within 1% of the logit range): there the int8 activations of the ternary
// kernels (relative error ~0.5% per dot product) may legitimately pick the other token, as any
// engine with quantized activations would. A random model's flat distributions make such ties
// frequent enough that free-running greedy sequences diverge after a few dozen tokens; the test
// reports how many ties it met.
TEST(Forward, F16AndQ2_0FilesOfOneSeedMakeTheSameGreedyChoices) {
  engine::Engine q2(test::make_model("tiny", "q2_0", 9), options());
  engine::Engine f16(test::make_model("tiny", "f16", 9), options());
  test::ReferenceModel reference(f16.model().file());
  const int vocab = static_cast<int>(q2.config().n_vocab);
  std::vector<int32_t> tokens = random_tokens(6, vocab, 1);
  auto kv_q2 = q2.new_sequence(), kv_f16 = f16.new_sequence();
  std::vector<int32_t> feed = tokens;
  int ties = 0;
  for (int step = 0; step < 64; ++step) {
    model::SequenceStep a{kv_q2.get(), feed, false}, b{kv_f16.get(), feed, false};
    const int32_t choice_q2 = engine::argmax(std::span(q2.forward().run(std::span(&a, 1)).data(), vocab));
    const int32_t choice_f16 = engine::argmax(std::span(f16.forward().run(std::span(&b, 1)).data(), vocab));
    if (choice_q2 != choice_f16) {
      const std::vector<double> ref = reference.forward(tokens, true).back();
      const double range = *std::max_element(ref.begin(), ref.end()) - *std::min_element(ref.begin(), ref.end());
      EXPECT_LT(std::fabs(ref[choice_q2] - ref[choice_f16]), 0.01 * range)
          << "step " << step << ": q2_0 picks " << choice_q2 << ", f16 picks " << choice_f16
          << " and the reference does not see a tie between them";
      ++ties;
    }
    tokens.push_back(choice_f16);
    feed = {choice_f16};
  }
  EXPECT_LE(ties, 3) << "near-ties are rare; many disagreements mean a kernel is off";
  RecordProperty("near_ties", ties);
}

// The literal requirement: free-running greedy decoding of the q2_0 and f16 files of one seed,
// 64 steps from a random prompt with no end-of-text stop, gives the same tokens. With int8
// activations this fails on near-ties for about half the seeds (see the test above); with
// int8x2 the ternary path is as exact as the f16 one up to float rounding, for every seed tried.
TEST(Forward, F16AndQ2_0FilesOfOneSeedGiveTheSameGreedyTokensWithInt8x2) {
  for (int seed = 1; seed <= 8; ++seed) {
    engine::Engine q2(test::make_model("tiny", "q2_0", seed),
                      options(kernels::KvType::f16, kernels::ActivationPrecision::int8x2));
    engine::Engine f16(test::make_model("tiny", "f16", seed), options(kernels::KvType::f16));
    const std::vector<int32_t> prompt = random_tokens(6, static_cast<int>(q2.config().n_vocab), 100 + seed);
    EXPECT_EQ(greedy(q2, prompt, 64), greedy(f16, prompt, 64)) << "seed " << seed;
  }
}

TEST(Forward, GoldenGreedyTokensOfTheTinyModel) {
  // Pinned output of `trit mkmodel --preset tiny --type f32 --seed 1` (the q2_0 model's values
  // in f32, computed by the float kernels), greedy from the prompt below; the f64 reference
  // produces the same tokens, so the pin is not just the engine's word.
  engine::Engine engine(test::make_model("tiny", "f32", 1), options());
  const std::vector<int32_t> prompt = {72, 101, 108, 108, 111};
  const std::vector<int32_t> got = greedy(engine, prompt, 16);
  test::ReferenceModel reference(engine.model().file());
  EXPECT_EQ(got, reference.greedy(prompt, 16));
  const std::vector<int32_t> golden = {452, 273, 273, 410, 70, 70, 70, 497, 155, 55, 243, 161, 307, 161, 161, 161};
  EXPECT_EQ(got, golden);
}

}  // namespace
}  // namespace trit
