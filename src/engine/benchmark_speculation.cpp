// bench_greedy_generation (benchmark.h): greedy decoding of repeating text, with or without drafts;
// bench_verification: what one forward over a token and its drafts costs.
#include <random>

#include "engine/benchmark.h"
#include "engine/conversation.h"
#include "util/error.h"
#include "util/timer.h"

namespace trit::engine {

namespace {
constexpr int64_t kPatternTokens = 48;
constexpr int64_t kPatternRepeats = 4;
}  // namespace

int64_t greedy_generation_context(int64_t n_gen) { return kPatternTokens * kPatternRepeats + n_gen + 1; }

BenchSeries bench_greedy_generation(Engine& engine, int64_t n_gen, int repetitions, const SpeculationOptions& speculation) {
  if (n_gen < 2) fail("the greedy rows need a generation length (-n) of at least 2");
  const int64_t prompt_tokens = kPatternTokens * kPatternRepeats;
  if (greedy_generation_context(n_gen) > engine.context())
    fail("the greedy rows need ", greedy_generation_context(n_gen), " positions of context (raise -c)");
  const std::string drafter =
      speculation.mode == SpeculationMode::none ? "" : std::string(" + ") + speculation_mode_name(speculation.mode);
  // Timed from the first sampled token (GenerateStats::decode_seconds): the n_gen - 1 after it.
  BenchSeries series{"tg" + std::to_string(n_gen) + " greedy" + drafter, n_gen - 1};
  const auto vocab = static_cast<int64_t>(engine.tokenizer().vocab_size());
  std::vector<int32_t> prompt(static_cast<size_t>(prompt_tokens));
  for (int64_t i = 0; i < prompt_tokens; ++i) prompt[static_cast<size_t>(i)] = static_cast<int32_t>((i % kPatternTokens) * 7919 % vocab);
  GenerateOptions options;
  options.max_tokens = n_gen;
  options.sampling.temperature = 0.0f;
  options.speculation = speculation;
  for (int r = -1; r < repetitions; ++r) {  // r = -1: warm-up, not recorded
    Conversation conversation(engine);      // a fresh memory each time: the prompt is fed untimed
    const GenerateStats stats = conversation.generate(prompt, options, [](const std::string&) { return true; },
                                                      nullptr, /*ban_eog=*/true);
    if (r < 0) continue;
    if (stats.generated_tokens != n_gen) fail("the greedy row generated ", stats.generated_tokens, " tokens, not ", n_gen);
    series.seconds.push_back(stats.decode_seconds);
    series.drafted.push_back(stats.drafted_tokens);
    series.accepted.push_back(stats.accepted_tokens);
    series.draft_seconds.push_back(stats.draft_seconds);
  }
  return series;
}

BenchSeries bench_verification(Engine& engine, int64_t drafts, int repetitions) {
  const int64_t depth = kPatternTokens * kPatternRepeats, rows = 1 + drafts;
  if (drafts < 0) fail("the number of drafts must not be negative");
  if (depth + rows > engine.context()) fail("verifying ", drafts, " drafts needs ", depth + rows, " positions of context (raise -c)");
  BenchSeries series{"verify 1+" + std::to_string(drafts) + " @ d" + std::to_string(depth), rows, 1, depth};
  std::mt19937 rng(11);
  const auto vocab = static_cast<uint32_t>(engine.tokenizer().vocab_size());
  std::vector<int32_t> prompt(static_cast<size_t>(depth)), input(static_cast<size_t>(rows));
  for (auto& t : prompt) t = static_cast<int32_t>(rng() % vocab);
  for (auto& t : input) t = static_cast<int32_t>(rng() % vocab);
  auto memory = engine.new_sequence();
  const model::SequenceStep prefix{memory.get(), prompt, false};
  engine.forward().run(std::span<const model::SequenceStep>(&prefix, 1));
  memory->keep_draft_point();  // recurrent state returns here after each timed forward
  // A repetition times kForwards forwards (one is a few ms: too short to time alone on a busy machine).
  constexpr int kForwards = 8;
  for (int r = -1; r < repetitions; ++r) {  // r = -1: warm-up, not recorded
    double seconds = 0.0;
    for (int f = 0; f < kForwards; ++f) {
      if (!memory->rewind(depth)) fail("this model's sequence memory cannot return to ", depth, " positions");
      const model::SequenceStep step{memory.get(), input, /*all_logits=*/true};
      const Timer timer;
      engine.forward().run(std::span<const model::SequenceStep>(&step, 1));
      seconds += timer.seconds();
    }
    if (r >= 0) series.seconds.push_back(seconds / kForwards);
  }
  return series;
}

}  // namespace trit::engine
