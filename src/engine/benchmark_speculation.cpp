// bench_greedy_generation (benchmark.h): greedy decoding of repeating text, with or without drafts.
#include "engine/benchmark.h"
#include "engine/conversation.h"
#include "util/error.h"

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
  const bool drafting = speculation.mode != SpeculationMode::none;
  // Timed from the first sampled token (GenerateStats::decode_seconds): the n_gen - 1 after it.
  BenchSeries series{"tg" + std::to_string(n_gen) + " greedy" + (drafting ? " + ngram" : ""), n_gen - 1, 1, 0, {}, {}, {}, {}, {}};
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
  }
  return series;
}

}  // namespace trit::engine
