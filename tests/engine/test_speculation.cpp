// Speculative decoding (engine/sequence.h) with n-gram drafts (engine/ngram_draft.h) and draft
// models (engine/draft_model.h): the n-gram lookup; greedy output with drafts equal to plain
// decoding, token for token, under every way a generation ends (max tokens, context full, stop
// string, a caller that stops mid-verification) and in a follow-up turn that reuses the memory; a
// draft model (the same file: it always agrees; another model, dense or hybrid: it rarely does)
// leaving 20 prompts' output unchanged on dense and hybrid targets; the sampler's draft rule leaving
// the token distribution unchanged (chi-square), for one draw and over whole sampled generations
// with either drafter; hybrid memory returning to its draft point.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "common/test_util.h"
#include "engine/conversation.h"
#include "engine/draft_model.h"
#include "engine/mtp_drafter.h"
#include "engine/engine.h"
#include "engine/ngram_draft.h"
#include "engine/sampling.h"
#include "engine/sequence.h"
#include "util/error.h"

namespace trit {
namespace {

using engine::ngram_draft;
using Tokens = std::vector<int32_t>;

TEST(NgramDraft, FollowsTheNewestOccurrenceOfTheLongestTail) {
  // Tail [7 8 9]: it occurred at 1 and 6; the newest (6) is followed by 4 5.
  EXPECT_EQ(ngram_draft(Tokens{0, 7, 8, 9, 1, 2, 7, 8, 9, 4, 5, 7, 8, 9}, 8), (Tokens{4, 5, 7, 8, 9}));
  EXPECT_EQ(ngram_draft(Tokens{0, 7, 8, 9, 1, 2, 7, 8, 9, 4, 5, 7, 8, 9}, 2), (Tokens{4, 5}));
  // The 4-token tail [3 7 8 9] occurred once (at 0): it wins over the newer 3-token match.
  EXPECT_EQ(ngram_draft(Tokens{3, 7, 8, 9, 6, 7, 8, 9, 5, 3, 7, 8, 9}, 3), (Tokens{6, 7, 8}));
  // Only a 2-token tail matches.
  EXPECT_EQ(ngram_draft(Tokens{1, 2, 5, 6, 3, 1, 2}, 4), (Tokens{5, 6, 3, 1}));
  // A loop drafts its own continuation (the match may run into the tail).
  EXPECT_EQ(ngram_draft(Tokens{4, 4, 4}, 5), (Tokens{4}));
}

TEST(NgramDraft, NothingWithoutARepeatedNgram) {
  EXPECT_TRUE(ngram_draft(Tokens{}, 4).empty());
  EXPECT_TRUE(ngram_draft(Tokens{1}, 4).empty());
  EXPECT_TRUE(ngram_draft(Tokens{1, 2, 3, 4, 5}, 4).empty());
  EXPECT_TRUE(ngram_draft(Tokens{1, 2, 9, 1, 2}, 0).empty());
  EXPECT_TRUE(ngram_draft(Tokens{5, 1, 2, 3, 1}, 4).empty());  // a single repeated token is too weak a hint
}

// The rule of Sampler::sample with a draft: over many draws the picks are distributed as the chain's
// distribution (here softmax(logits / T) over all tokens), whatever the draft.
TEST(SpeculativeSampling, DraftsLeaveTheDistributionUnchanged) {
  const std::vector<float> logits = {1.0f, 2.5f, 0.2f, 1.8f, -0.5f, 2.0f};
  engine::SamplingParams p;
  p.temperature = 0.9f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  std::vector<double> expected(logits.size());
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) total += expected[i] = std::exp(logits[i] / p.temperature);
  constexpr int kDraws = 20000;
  // 5 degrees of freedom: 20.5 is the 0.1% tail (the seeds are fixed, so this cannot flake).
  constexpr double kChiSquareLimit = 20.5;
  for (int32_t draft : {-1, 1, 4, 2}) {
    p.seed = 1234 + static_cast<uint64_t>(draft + 1);
    engine::Sampler sampler(p);
    std::vector<int> counts(logits.size());
    int drafted = 0;
    for (int i = 0; i < kDraws; ++i) {
      const int32_t t = sampler.sample(logits, {}, draft);
      ++counts[static_cast<size_t>(t)];
      drafted += t == draft;
    }
    double chi2 = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) {
      const double e = kDraws * expected[i] / total;
      chi2 += (counts[i] - e) * (counts[i] - e) / e;
    }
    EXPECT_LT(chi2, kChiSquareLimit) << "draft " << draft;
    if (draft >= 0) {
      EXPECT_GT(drafted, 0);
    }
  }
  // A draft that the filters exclude is never picked (top-k 2 keeps ids 1 and 5).
  p.top_k = 2;
  engine::Sampler filtered(p);
  for (int i = 0; i < 2000; ++i) {
    const int32_t t = filtered.sample(logits, {}, 4);
    EXPECT_TRUE(t == 1 || t == 5) << t;
  }
  // Greedy: the argmax, draft or not.
  p.temperature = 0.0f;
  engine::Sampler greedy(p);
  EXPECT_EQ(greedy.sample(logits, {}, 3), 1);
}

struct Generation {
  std::string text;
  Tokens tokens;
  engine::GenerateStats stats;
};

const char* const kPrompts[] = {
    "Call me Ishmael. Some years ago, never mind how long precisely",
    "The whale, the whale, the whale",
    "It was the best of times, it was the worst of times, it was",
    "one two three one two three one two",
    "Queequeg was a native of Rokovoko, an island far away",
    "The sea",
    "a b c d e f g a b c d e f g a b c",
    "There she blows! There she blows! There",
    "And God created great whales.",
    "Loomings. Whenever I find myself growing grim about the mouth",
};

class SpeculationTest : public ::testing::Test {
 protected:
  // The trained moby model where ../shared has it (its greedy text repeats, so drafts are taken),
  // else a synthetic one.
  static std::string model_path() {
    if (test::have_shared()) return test::shared_dir() + "/models/moby-tiny-Q2_0.gguf";
    return test::make_model("tiny", "q2_0", 7);
  }
  void make_engine(int64_t context, const std::string& path = model_path()) {
    engine::EngineOptions o;
    o.threads = 1;
    o.context = context;
    engine_ = std::make_unique<engine::Engine>(path, o);
  }
  engine::GenerateOptions options(int64_t max_tokens, int draft_max, bool speculate) const {
    engine::GenerateOptions o;
    o.max_tokens = max_tokens;
    o.sampling.temperature = 0.0f;
    o.speculation.mode = speculate ? engine::SpeculationMode::ngram : engine::SpeculationMode::none;
    o.speculation.draft_max = draft_max;
    return o;
  }
  Generation generate(engine::Conversation& c, const Tokens& prompt, const engine::GenerateOptions& o, size_t stop_after = 0) {
    Generation r;
    size_t pieces = 0;
    r.stats = c.generate(prompt, o, [&](const std::string& piece) {
      r.text += piece;
      return stop_after == 0 || ++pieces < stop_after;
    });
    r.tokens = c.tokens();
    return r;
  }
  Tokens encode(const std::string& text) const { return engine_->tokenizer().encode(text); }

  // 20 prompts, greedy, in one conversation each way (every prompt a follow-up of the last, so a
  // drafter's memory is reused and rewound), draft_max 1..6: the speculating text equals the plain.
  // Returns the drafted and accepted tokens.
  std::pair<int64_t, int64_t> twenty_prompts_equal_plain_decoding(const engine::GenerateOptions& plain_options,
                                                                  engine::GenerateOptions speculating_options) {
    engine::Conversation plain(*engine_), speculating(*engine_);
    Tokens history;
    int64_t drafted = 0, accepted = 0;
    for (int p = 0; p < 20; ++p) {
      const Tokens turn = p < 10 ? encode(kPrompts[p]) : Tokens{static_cast<int32_t>(3 + p), 40, static_cast<int32_t>(200 + 7 * p)};
      Tokens prompt = history;
      prompt.insert(prompt.end(), turn.begin(), turn.end());
      if (static_cast<int64_t>(prompt.size()) + plain_options.max_tokens + 2 > engine_->context()) prompt = turn;
      speculating_options.speculation.draft_max = 1 + p % 6;
      const Generation a = generate(plain, prompt, plain_options), b = generate(speculating, prompt, speculating_options);
      EXPECT_EQ(a.text, b.text) << "prompt " << p;
      EXPECT_EQ(a.stats.generated_tokens, b.stats.generated_tokens) << "prompt " << p;
      EXPECT_EQ(a.stats.reason, b.stats.reason) << "prompt " << p;
      EXPECT_LE(b.tokens.size(), a.tokens.size());  // recurrent memory may hold only a prefix
      EXPECT_TRUE(std::equal(b.tokens.begin(), b.tokens.begin() + std::min(a.tokens.size(), b.tokens.size()), a.tokens.begin()))
          << "prompt " << p;
      EXPECT_GT(b.stats.draft_seconds, 0.0);
      drafted += b.stats.drafted_tokens;
      accepted += b.stats.accepted_tokens;
      history = a.tokens;
    }
    return {drafted, accepted};
  }

  std::unique_ptr<engine::Engine> engine_;
};

void expect_same(const Generation& plain, const Generation& drafted, const std::string& what) {
  EXPECT_EQ(plain.text, drafted.text) << what;
  EXPECT_EQ(plain.tokens, drafted.tokens) << what;
  EXPECT_EQ(plain.stats.generated_tokens, drafted.stats.generated_tokens) << what;
  EXPECT_EQ(plain.stats.reason, drafted.stats.reason) << what;
}


TEST_F(SpeculationTest, GreedyOutputEqualsPlainDecoding) {
  make_engine(256);
  int64_t drafted = 0, accepted = 0;
  for (const char* text : kPrompts) {
    const Tokens prompt = encode(text);
    for (int draft_max : {1, 3, 8}) {
      engine::Conversation plain(*engine_), speculating(*engine_);
      const Generation a = generate(plain, prompt, options(80, draft_max, false));
      const Generation b = generate(speculating, prompt, options(80, draft_max, true));
      expect_same(a, b, std::string(text) + ", draft_max " + std::to_string(draft_max));
      EXPECT_EQ(a.stats.drafted_tokens, 0);
      EXPECT_LE(b.stats.accepted_tokens, b.stats.drafted_tokens);
      drafted += b.stats.drafted_tokens;
      accepted += b.stats.accepted_tokens;
    }
  }
  // The path under test ran: drafts were made, and some were right and some wrong.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, drafted);
}

TEST_F(SpeculationTest, EveryWayAGenerationEndsMatches) {
  make_engine(72);  // the prompts' answers run into the end of the context
  for (const char* text : kPrompts) {
    const Tokens prompt = encode(text);
    // Context full (no token limit), a token limit, a stop string, the caller stopping early.
    engine::GenerateOptions full = options(-1, 6, false), limit = options(17, 6, false), stop = options(-1, 6, false);
    stop.stop = {"the"};
    for (const auto* o : {&full, &limit, &stop}) {
      engine::Conversation plain(*engine_), speculating(*engine_);
      engine::GenerateOptions with = *o;
      with.speculation.mode = engine::SpeculationMode::ngram;
      expect_same(generate(plain, prompt, *o), generate(speculating, prompt, with), text);
    }
    for (size_t stop_after : {1, 3, 9}) {
      engine::Conversation plain(*engine_), speculating(*engine_);
      const Generation a = generate(plain, prompt, full, stop_after), b = generate(speculating, prompt, options(-1, 6, true), stop_after);
      EXPECT_EQ(a.text, b.text) << text;
      EXPECT_EQ(a.tokens, b.tokens) << text;
      EXPECT_EQ(b.stats.reason, engine::StopReason::cancelled);
      // The next turn reuses the memory: it must hold exactly tokens() (no draft left over).
      Tokens follow = a.tokens;
      const Tokens more = encode(" And then");
      follow.insert(follow.end(), more.begin(), more.end());
      if (static_cast<int64_t>(follow.size()) >= engine_->context() - 1) continue;
      const Generation a2 = generate(plain, follow, options(8, 6, false)), b2 = generate(speculating, follow, options(8, 6, true));
      expect_same(a2, b2, std::string(text) + " (follow-up)");
      EXPECT_EQ(a2.stats.cached_tokens, b2.stats.cached_tokens);
    }
  }
}

// A draft-min above what the lookup finds: no draft is verified, the output is the same. One the
// lookup can meet still drafts (the adaptive length starts at 1 but never below draft_min).
TEST_F(SpeculationTest, DraftMinSkipsShortDrafts) {
  make_engine(256);
  const Tokens prompt = encode(kPrompts[1]);
  engine::Conversation plain(*engine_), speculating(*engine_);
  const Generation a = generate(plain, prompt, options(40, 4, false));
  engine::GenerateOptions o = options(40, 4, true);
  o.speculation.draft_min = 5;  // more than draft_max could give
  const Generation b = generate(speculating, prompt, o);
  expect_same(a, b, "draft_min 5");
  EXPECT_EQ(b.stats.drafted_tokens, 0);
  if (!test::have_shared()) return;  // the trained model's text repeats; random weights' may not
  o.speculation.draft_min = 2;
  engine::Conversation again(*engine_);
  const Generation c = generate(again, prompt, o);
  expect_same(a, c, "draft_min 2");
  EXPECT_GT(c.stats.drafted_tokens, 0);
}

// Recurrent state (qwen35) cannot forget drafted positions: it returns to the draft point kept
// before the drafts and feeds the accepted ones again. The text is the same as without drafts; a
// generation that ends right after such a return keeps fewer tokens in memory (tokens() may be
// shorter), and the next turn still answers the same.
TEST_F(SpeculationTest, HybridModelsReturnToTheDraftPoint) {
  make_engine(96, test::make_model("qwen35-tiny", "pq2_0", 7));
  int64_t drafted = 0, accepted = 0;
  for (int32_t first : {11, 40, 200, 7}) {
    const Tokens prompt = {first, 12, 13, first, 12, 13, first, 12, 13, first};
    // The random weights do not repeat themselves; a bias keeps the answer to the prompt's three
    // tokens (their order still the model's), so drafts are both taken and refused.
    auto biased = [&](int64_t max_tokens, int draft_max, bool speculate) {
      engine::GenerateOptions o = options(max_tokens, draft_max, speculate);
      for (int32_t t : {first, 12, 13}) o.sampling.logit_bias.emplace_back(t, 50.0f);
      return o;
    };
    for (int draft_max : {2, 5}) {
      engine::Conversation plain(*engine_), speculating(*engine_);
      const Generation a = generate(plain, prompt, biased(40, draft_max, false));
      const Generation b = generate(speculating, prompt, biased(40, draft_max, true));
      EXPECT_EQ(a.text, b.text) << first;
      EXPECT_EQ(a.stats.generated_tokens, b.stats.generated_tokens) << first;
      EXPECT_EQ(a.stats.reason, b.stats.reason) << first;
      ASSERT_LE(b.tokens.size(), a.tokens.size());
      EXPECT_TRUE(std::equal(b.tokens.begin(), b.tokens.end(), a.tokens.begin())) << "the memory holds a prefix of the plain run's";
      drafted += b.stats.drafted_tokens;
      accepted += b.stats.accepted_tokens;
      // A follow-up turn from both: the same answer.
      Tokens follow = a.tokens;
      follow.insert(follow.end(), {first, 12});
      const Generation a2 = generate(plain, follow, biased(12, draft_max, false));
      const Generation b2 = generate(speculating, follow, biased(12, draft_max, true));
      EXPECT_EQ(a2.text, b2.text) << first << " (follow-up)";
      EXPECT_EQ(a2.stats.generated_tokens, b2.stats.generated_tokens);
    }
  }
  EXPECT_GT(drafted, 0);
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, drafted);
}

// Sampling (temperature 0.8) through the whole generation loop: the tokens at each of the first 4
// positions, over 800 seeded generations with drafts (as `drafting` makes them) and 800 without,
// follow one distribution (a two-sample chi-square test per position, at the 0.1% level; the seeds
// are fixed, so it cannot flake). A bias keeps the answers to the prompt's three tokens (their odds
// still the model's), so drafts are verified, taken and refused.
void expect_sampled_distribution_kept(engine::Engine& engine, const engine::SpeculationOptions& drafting) {
  const Tokens prompt = {11, 12, 13, 11, 12, 13, 11, 12, 13, 11};
  constexpr int kRuns = 800, kPositions = 4;
  std::vector<std::map<int32_t, int>> counts[2];  // [speculating][position][token]
  int64_t drafted = 0, accepted = 0;
  for (int speculate = 0; speculate < 2; ++speculate) {
    counts[speculate].resize(kPositions);
    engine::Conversation c(engine);
    for (int run = 0; run < kRuns; ++run) {
      // One token more than is counted: the memory (tokens()) need not hold the last one sampled.
      engine::GenerateOptions o;
      o.max_tokens = kPositions + 1;
      if (speculate == 1) o.speculation = drafting;
      o.speculation.draft_max = 4;
      o.sampling.temperature = 0.8f;
      o.sampling.top_k = 0;
      o.sampling.top_p = 1.0f;
      o.sampling.min_p = 0.0f;
      o.sampling.seed = static_cast<uint64_t>(run + 1 + speculate * kRuns);
      for (int32_t t : {11, 12, 13}) o.sampling.logit_bias.emplace_back(t, 30.0f);
      const engine::GenerateStats stats = c.generate(prompt, o, [](const std::string&) { return true; });
      const Tokens& tokens = c.tokens();
      ASSERT_EQ(stats.generated_tokens, kPositions + 1);
      ASSERT_GE(tokens.size(), prompt.size() + kPositions);
      for (int k = 0; k < kPositions; ++k) ++counts[speculate][k][tokens[prompt.size() + k]];
      drafted += stats.drafted_tokens;
      accepted += stats.accepted_tokens;
    }
  }
  EXPECT_GT(accepted, 100);
  EXPECT_LT(accepted, drafted);
  for (int k = 0; k < kPositions; ++k) {
    // Tokens seen fewer than 10 times in all are pooled into one category.
    std::map<int32_t, std::pair<int, int>> both;
    for (int m = 0; m < 2; ++m)
      for (const auto& [token, n] : counts[m][k]) (m == 0 ? both[token].first : both[token].second) += n;
    std::vector<std::pair<int, int>> cells;
    std::pair<int, int> rare{0, 0};
    for (const auto& [token, ab] : both) {
      if (ab.first + ab.second >= 10) {
        cells.push_back(ab);
      } else {
        rare.first += ab.first;
        rare.second += ab.second;
      }
    }
    if (rare.first + rare.second > 0) cells.push_back(rare);
    double chi2 = 0.0;  // equal sample sizes: sum (a - b)^2 / (a + b)
    for (const auto& [a, b] : cells) chi2 += double(a - b) * (a - b) / (a + b);
    const double df = static_cast<double>(cells.size()) - 1;
    if (df < 1) continue;  // one token only: nothing to compare
    // The 0.1% tail of chi-square(df) (Wilson-Hilferty, z = 3.09).
    const double h = 2.0 / (9.0 * df), limit = df * std::pow(1.0 - h + 3.09 * std::sqrt(h), 3.0);
    EXPECT_LT(chi2, limit) << "position " << k << ", " << cells.size() << " categories";
  }
}

TEST_F(SpeculationTest, SampledOutputKeepsItsDistribution) {
  make_engine(64, test::make_model("tiny", "q2_0", 7));
  engine::SpeculationOptions ngram;
  ngram.mode = engine::SpeculationMode::ngram;
  expect_sampled_distribution_kept(*engine_, ngram);
}

// A draft model drafts greedily (one token for certain), so the sampler's rule is the same.
TEST_F(SpeculationTest, SampledOutputWithADraftModelKeepsItsDistribution) {
  const std::string path = test::make_model("tiny", "q2_0", 7);
  make_engine(64, path);
  engine::SpeculationOptions draft;
  draft.mode = engine::SpeculationMode::draft;
  draft.draft_model = std::make_shared<engine::DraftModel>(path, *engine_);
  expect_sampled_distribution_kept(*engine_, draft);
}

// The MTP head drafts greedily too, from the hybrid model's own hidden states.
TEST_F(SpeculationTest, SampledOutputWithAnMtpHeadKeepsItsDistribution) {
  make_engine(64, test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp"));
  engine::SpeculationOptions mtp;
  mtp.mode = engine::SpeculationMode::mtp;
  mtp.mtp_model = std::make_shared<engine::MtpModel>(*engine_);
  expect_sampled_distribution_kept(*engine_, mtp);
}

// The MTP head of a qwen35 file (the only kind that carries one): 20 prompts, greedy, one
// conversation, as for a draft model. Its random weights rarely agree with the model; with one
// token's logit raised by the request's logit_bias (which the head applies too) every draft is
// taken, so the accepted path (recurrent state feeding the drafts again, the head stepping over
// them) runs as well.
TEST_F(SpeculationTest, MtpOutputEqualsPlainDecoding) {
  make_engine(512, test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp"));
  auto head = std::make_shared<engine::MtpModel>(*engine_);
  for (const bool biased : {false, true}) {
    SCOPED_TRACE(biased ? "one token favoured" : "plain");
    engine::GenerateOptions plain_options = options(24, 4, false), mtp_options = plain_options;
    if (biased) plain_options.sampling.logit_bias = mtp_options.sampling.logit_bias = {{40, 12.0f}};
    mtp_options.speculation.mode = engine::SpeculationMode::mtp;
    mtp_options.speculation.mtp_model = head;
    const auto [drafted, accepted] = twenty_prompts_equal_plain_decoding(plain_options, mtp_options);
    EXPECT_GE(drafted, 20) << "a try or more per prompt";
    if (biased) {
      EXPECT_GT(accepted, drafted * 9 / 10) << "the favoured token is every draft and every choice";
    } else {
      EXPECT_LT(accepted, drafted / 2);
    }
  }
}

// The MTP head reads the model's hidden states between a prompt's chunks, so a long prompt's are
// never all kept: at most a chunk's (and the newest) wait for it.
TEST_F(SpeculationTest, MtpHeadTakesAPromptsHiddenStatesChunkByChunk) {
  make_engine(256, test::make_model("qwen35-tiny", "pq2_0", 7, "--mtp"));
  engine::GenerateOptions o = options(4, 3, false);
  o.speculation.mode = engine::SpeculationMode::mtp;
  o.speculation.mtp_model = std::make_shared<engine::MtpModel>(*engine_);
  engine::Sequence sequence(engine_->new_sequence(), engine_->tokenizer());
  Tokens prompt;
  for (int i = 0; i < 100; ++i) prompt.push_back(static_cast<int32_t>(3 + (i * 37) % 400));
  sequence.start(prompt, o);
  constexpr int64_t kChunk = 8;
  while (sequence.prefilling()) {
    const auto input = sequence.next_input(kChunk);
    const model::HiddenRows& kept = sequence.memory().hidden_rows();
    EXPECT_LE(kept.end() - kept.first(), kChunk + 1) << "at " << sequence.memory().length();
    const bool last = sequence.completes(static_cast<int64_t>(input.size()));
    model::SequenceStep step{&sequence.memory(), input, false};
    const std::vector<float>& logits = engine_->forward().run(std::span(&step, 1));
    if (last) sequence.step(std::span<const float>(logits.data(), static_cast<size_t>(engine_->config().n_vocab)));
  }
  EXPECT_EQ(sequence.memory().hidden_rows().end(), 100);
}

// A draft model: its greedy guesses verified by the target. Dense and hybrid targets, each with
// itself as the drafter (the same weights: every draft is the target's own greedy choice, so all
// are taken) and with another model of the same vocabulary (random weights: drafts mostly refused;
// a hybrid drafting for a dense target and the reverse). 20 prompts, greedy, in one conversation
// per case (each a follow-up of the last, so the draft model's memory is reused and rewound):
// the text equals plain decoding's.
TEST_F(SpeculationTest, DraftModelOutputEqualsPlainDecoding) {
  const std::string dense = test::make_model("tiny", "q2_0", 7), other_dense = test::make_model("tiny", "f16", 8),
                    hybrid = test::make_model("qwen35-tiny", "pq2_0", 7);
  struct Case {
    std::string target, draft;
    bool agrees;
  };
  for (const Case& c : {Case{dense, dense, true}, Case{dense, other_dense, false}, Case{dense, hybrid, false},
                        Case{hybrid, hybrid, true}, Case{hybrid, dense, false}}) {
    SCOPED_TRACE(c.target + " drafted by " + c.draft);
    make_engine(512, c.target);
    engine::GenerateOptions plain_options = options(24, 4, false), draft_options = plain_options;
    draft_options.speculation.mode = engine::SpeculationMode::draft;
    draft_options.speculation.draft_model = std::make_shared<engine::DraftModel>(c.draft, *engine_);
    const auto [drafted, accepted] = twenty_prompts_equal_plain_decoding(plain_options, draft_options);
    EXPECT_GE(drafted, 20 * 2) << "a try or more per prompt (a refused drafter pauses 1, 2, 4 ... steps)";
    if (c.agrees) {
      EXPECT_EQ(accepted, drafted) << "the target's own weights draft its greedy choices";
    } else {
      EXPECT_LT(accepted, drafted / 2);
    }
  }
}

// --draft-p-min: a draft model stops before a token it is unsure of. Random weights are unsure of
// everything (their top probability is far below 0.9), so nothing is drafted; at 0 it drafts.
TEST_F(SpeculationTest, DraftModelStopsBelowItsConfidenceFloor) {
  const std::string path = test::make_model("tiny", "q2_0", 7);
  make_engine(128, path);
  engine::GenerateOptions o = options(16, 4, false);
  o.speculation.mode = engine::SpeculationMode::draft;
  o.speculation.draft_model = std::make_shared<engine::DraftModel>(path, *engine_);
  o.speculation.draft_p_min = 0.9f;
  engine::Conversation c(*engine_);
  const Tokens prompt = encode(kPrompts[0]);
  EXPECT_EQ(generate(c, prompt, o).stats.drafted_tokens, 0);
  o.speculation.draft_p_min = 0.0f;
  EXPECT_GT(generate(c, prompt, o).stats.drafted_tokens, 0);
}

// A draft model that never agrees stops drafting for the rest of the generation: a try, pauses of
// 1, 2, 4 ... 64 steps each followed by a try, and the eighth refusal ends it (engine/sequence.cpp
// settle_draft). Without giving up it would try every 65 steps and keep feeding the draft model.
TEST_F(SpeculationTest, DraftModelThatNeverAgreesGivesUp) {
  const std::string target = test::make_model("tiny", "q2_0", 7), drafter = test::make_model("tiny", "f16", 8);
  make_engine(1024, target);
  engine::GenerateOptions o = options(700, 8, false);
  o.speculation.mode = engine::SpeculationMode::draft;
  o.speculation.draft_model = std::make_shared<engine::DraftModel>(drafter, *engine_);
  engine::Conversation c(*engine_);
  const engine::GenerateStats stats = generate(c, encode(kPrompts[0]), o).stats;
  ASSERT_GE(stats.generated_tokens, 400) << "the generation must run long past the give-up point";
  ASSERT_EQ(stats.accepted_tokens, 0) << "these two random models were expected never to agree";
  EXPECT_EQ(stats.drafted_tokens, 8);
}

// A draft model must share the target's vocabulary: another one is refused at load, naming both.
TEST(DraftModel, RefusesAnotherVocabulary) {
  if (!test::have_shared()) GTEST_SKIP() << "SKIPPED: " << test::shared_dir() << "/models is absent (the moby model has the Qwen3 vocabulary)";
  engine::EngineOptions o;
  o.threads = 1;
  o.context = 64;
  engine::Engine target(test::make_model("tiny", "q2_0", 7), o);
  try {
    engine::DraftModel draft(test::shared_dir() + "/models/moby-tiny-Q2_0.gguf", target);
    ADD_FAILURE() << "a draft model of another vocabulary was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary of 151936 tokens, the model 507"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trit
