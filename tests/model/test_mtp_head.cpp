// The multi-token-prediction head of qwen35 files that carry one (model/mtp_head.h, `trit mkmodel
// --mtp`) against the f64 reference (reference_qwen35.h): the hidden states the forward pass keeps
// for it, its logits over a run of rows and one row at a time, and drafting ahead from its own
// output. Files without the block, or with a rotation, are refused with a message.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/test_util.h"
#include "engine/engine.h"
#include "engine/mtp_drafter.h"
#include "model/logit_compare.h"
#include "model/mtp_head.h"
#include "model/reference_math.h"
#include "model/reference_qwen35.h"
#include "util/error.h"

namespace trit {
namespace {

using test::random_tokens;
using test::relative_error;

// f32 weights, and ternary weights with int8x2 activations, differ from the reference by f32
// rounding only (test_qwen35_forward.cpp): a wrong norm, half or row pairing moves them by tens
// of percent.
constexpr double kTolerance = 1e-3;

engine::EngineOptions options(kernels::ActivationPrecision activations = kernels::ActivationPrecision::int8) {
  engine::EngineOptions o;
  o.activations = activations;
  o.threads = 2;
  o.context = 128;
  o.kv_types = {kernels::KvType::f32, kernels::KvType::f32};
  return o;
}

double relative_error(std::span<const float> got, const std::vector<double>& expected) {
  return test::relative_error(got.data(), expected);
}

class MtpHeadVsReference : public ::testing::TestWithParam<std::string> {};

TEST_P(MtpHeadVsReference, HiddenStatesAndHeadLogitsMatchTheReference) {
  const std::string type = GetParam();
  engine::Engine engine(test::make_model("qwen35-tiny", type, 7, "--mtp"),
                        options(type == "f32" ? kernels::ActivationPrecision::int8 : kernels::ActivationPrecision::int8x2));
  ASSERT_EQ(engine.config().n_mtp_layers, 1);
  const double tolerance = kTolerance;
  const auto head = model::MtpHead::load(engine.model(), engine.options().activations);
  const int64_t e = engine.config().n_embd;
  const std::vector<int32_t> tokens = random_tokens(13, static_cast<int>(engine.config().n_vocab), 5);
  test::ReferenceQwen35 reference(engine.model().file());

  // The forward pass keeps each fed position's final hidden state, over two steps.
  auto memory = engine.new_sequence();
  memory->hidden_rows().keep(e);
  const std::span<const int32_t> all(tokens);
  for (auto part : {all.first(8), all.subspan(8)}) {
    model::SequenceStep step{memory.get(), part, false};
    engine.forward().run(std::span(&step, 1));
  }
  const model::HiddenRows& rows = memory->hidden_rows();
  ASSERT_EQ(rows.first(), 0);
  ASSERT_EQ(rows.end(), 13);
  const auto expected_hidden = reference.hidden(tokens);
  for (int64_t p = 0; p < 13; ++p)
    EXPECT_LT(relative_error(std::span(rows.row(p), static_cast<size_t>(e)), expected_hidden[p]), tolerance) << p;

  // The head over rows j = 0..11, pairing h_j with t_{j+1}: all at once, and one row at a time.
  const std::vector<int32_t> next(tokens.begin() + 1, tokens.end());
  const std::vector<std::vector<double>> hiddens(expected_hidden.begin(), expected_hidden.end() - 1);
  std::vector<double> expected_out;
  const std::vector<double> expected = reference.mtp(next, hiddens, &expected_out);
  const auto n_vocab = static_cast<size_t>(engine.config().n_vocab);
  model::ForwardPass pass(engine.model(), engine.pool());
  model::KvSequence whole(head->cache_config(), 64, engine.options().kv_types);
  const std::vector<float>& at_once = pass.run_mtp(*head, whole, next, rows.row(0));
  EXPECT_EQ(whole.length(), 12);
  EXPECT_LT(relative_error(std::span(at_once.data(), n_vocab), expected), tolerance);
  EXPECT_LT(relative_error(pass.mtp_hidden(), expected_out), tolerance);

  model::KvSequence stepwise(head->cache_config(), 64, engine.options().kv_types);
  for (size_t j = 0; j < next.size(); ++j) {
    const std::vector<float>& one = pass.run_mtp(*head, stepwise, std::span(&next[j], 1), rows.row(static_cast<int64_t>(j)));
    std::vector<std::vector<double>> prefix_h(hiddens.begin(), hiddens.begin() + static_cast<long>(j + 1));
    std::vector<int32_t> prefix_t(next.begin(), next.begin() + static_cast<long>(j + 1));
    EXPECT_LT(relative_error(std::span(one.data(), n_vocab), reference.mtp(prefix_t, prefix_h)), tolerance) << j;
  }
}

INSTANTIATE_TEST_SUITE_P(WeightTypes, MtpHeadVsReference, ::testing::Values("f32", "pq2_0"));

// What the MTP drafter should draft after `history` when the target has fed positions [0, fed):
// the reference head over rows from `first` (the hidden states the drafter still had), stepping
// over the known tokens past fed with its own output, then guessing n tokens the same way.
std::vector<int32_t> reference_drafts(const test::ReferenceQwen35& reference, const std::vector<int32_t>& history,
                                      size_t fed, size_t first, int n) {
  const std::vector<int32_t> fed_tokens(history.begin(), history.begin() + static_cast<long>(fed));
  const auto all_hidden = reference.hidden(fed_tokens);
  std::vector<std::vector<double>> hiddens(all_hidden.begin() + static_cast<long>(first), all_hidden.end());
  std::vector<int32_t> tokens(history.begin() + static_cast<long>(first + 1), history.begin() + static_cast<long>(fed + 1));
  std::vector<double> out;
  std::vector<double> logits = reference.mtp(tokens, hiddens, &out);
  for (size_t p = fed + 1; p < history.size(); ++p) {
    tokens.push_back(history[p]);
    hiddens.push_back(out);
    logits = reference.mtp(tokens, hiddens, &out);
  }
  std::vector<int32_t> drafts;
  for (int i = 0; i < n; ++i) {
    drafts.push_back(test::argmax(logits));
    if (i + 1 == n) break;
    tokens.push_back(drafts.back());
    hiddens.push_back(out);
    logits = reference.mtp(tokens, hiddens, &out);
  }
  return drafts;
}

// The drafter's bookkeeping: rows paired with the right tokens and hidden states at the first
// draft, after more tokens are fed, with known tokens past the memory (recurrent state feeding
// accepted drafts again), and after the history changes below what it had read.
TEST(MtpDrafter, DraftsWhatTheReferenceHeadPredicts) {
  engine::Engine engine(test::make_model("qwen35-tiny", "f32", 7, "--mtp"), options());
  test::ReferenceQwen35 reference(engine.model().file());
  auto mtp = std::make_shared<engine::MtpModel>(engine);
  engine::MtpDrafter drafter(mtp);
  auto memory = engine.new_sequence();
  memory->hidden_rows().keep(drafter.hidden_width());
  std::vector<int32_t> tokens = random_tokens(20, static_cast<int>(engine.config().n_vocab), 11);
  const engine::DraftLimits limits{3, 0.0f, {}};
  auto feed = [&](size_t from, size_t to) {
    model::SequenceStep step{memory.get(), std::span(tokens).subspan(from, to - from), false};
    engine.forward().run(std::span(&step, 1));
  };
  auto history = [&](size_t n) { return std::vector<int32_t>(tokens.begin(), tokens.begin() + static_cast<long>(n)); };

  feed(0, 10);
  EXPECT_EQ(drafter.draft(history(11), *memory, limits), reference_drafts(reference, history(11), 10, 0, 3));
  feed(10, 13);
  EXPECT_EQ(drafter.draft(history(14), *memory, limits), reference_drafts(reference, history(14), 13, 0, 3));
  EXPECT_EQ(drafter.draft(history(16), *memory, limits), reference_drafts(reference, history(16), 13, 0, 3));
  // An edit at position 5: the memory goes back there; the drafter has no hidden state before it.
  tokens[5] = (tokens[5] + 1) % static_cast<int32_t>(engine.config().n_vocab);
  ASSERT_TRUE(memory->rewind(5) || (memory->clear(), true));
  feed(memory->length(), 12);
  const size_t first = static_cast<size_t>(memory->hidden_rows().first());
  EXPECT_EQ(drafter.draft(history(13), *memory, limits), reference_drafts(reference, history(13), 12, first, 3));
}

TEST(MtpHead, RefusesAFileWithoutTheBlockOrWithARotation) {
  engine::Engine plain(test::make_model("qwen35-tiny", "pq2_0", 7), options());
  try {
    model::MtpHead::load(plain.model(), plain.options().activations);
    FAIL() << "a file without an MTP block was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no multi-token-prediction block"), std::string::npos) << e.what();
  }
  const auto r = test::run_trit("mkmodel --preset qwen35-tiny --mtp --hadamard -o /dev/null --force");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--mtp with --hadamard"), std::string::npos) << r.err;
  const auto dense = test::run_trit("mkmodel --preset tiny --mtp -o /dev/null --force");
  EXPECT_NE(dense.exit_code, 0);
  EXPECT_NE(dense.err.find("qwen35 presets"), std::string::npos) << dense.err;
}

}  // namespace
}  // namespace trit
