// bench_constrained_generation (benchmark.h): decode steps with a grammar mask, timed apart.
#include <limits>

#include "engine/benchmark.h"
#include "engine/grammar/grammar_constraint.h"
#include "engine/sampling.h"
#include "util/error.h"
#include "util/timer.h"

namespace trit::engine {

BenchSeries bench_constrained_generation(Engine& engine, int64_t n_gen, int repetitions,
                                         std::shared_ptr<const grammar::Grammar> g, int64_t depth) {
  if (n_gen <= 0) fail("the generation length (-n) must be positive");
  if (depth + n_gen > engine.context()) fail("the generation length (-n) exceeds the context (raise -c)");
  BenchSeries series{"tg" + std::to_string(n_gen) + (depth > 0 ? " @ d" + std::to_string(depth) : "") + " + grammar",
                     n_gen, 1, depth};
  const tokenizer::Tokenizer& tok = engine.tokenizer();
  auto kv = engine.new_sequence();
  {  // the untimed prefix: a depth of arbitrary tokens, then the start of the answer
    std::vector<int32_t> prefix(static_cast<size_t>(depth), 0);
    for (size_t i = 0; i < prefix.size(); ++i) prefix[i] = static_cast<int32_t>((i * 7919) % tok.vocab_size());
    for (size_t begin = 0; begin < prefix.size(); begin += 512) {
      model::SequenceStep step{kv.get(), std::span(prefix.data() + begin, std::min<size_t>(512, prefix.size() - begin)), false};
      engine.forward().run(std::span(&step, 1));
    }
    kv->checkpoint();
  }
  const int32_t start = tok.encode("\n", false).front();
  std::vector<float> masked;
  for (int r = -1; r < repetitions; ++r) {  // r = -1: warm-up, not recorded
    if (!kv->rewind(depth)) fail("this model's sequence memory cannot rewind to depth ", depth, " between passes");
    SamplingParams params;
    params.temperature = 1.0f;
    params.seed = static_cast<uint64_t>(r + 2);
    Sampler sampler(params);
    std::optional<grammar::GrammarConstraint> constraint(std::in_place, g, tok);
    std::vector<int32_t> history;
    int32_t token = start;
    double grammar_seconds = 0.0;
    Timer total;
    for (int64_t i = 0; i < n_gen; ++i) {
      model::SequenceStep step{kv.get(), std::span(&token, 1), false};
      const std::vector<float>& logits = engine.forward().run(std::span(&step, 1));
      const std::span<const float> row(logits.data(), tok.vocab_size());
      Timer mask;
      if (!constraint->apply(row, masked)) fail("the grammar allows no token");
      grammar_seconds += mask.seconds();
      token = sampler.sample(masked, history);
      history.push_back(token);
      Timer advance;
      if (tok.is_eog(token)) constraint.emplace(g, tok);  // a finished text: start another
      else constraint->accept(token);
      grammar_seconds += advance.seconds();
    }
    if (r >= 0) {
      series.seconds.push_back(total.seconds());
      series.grammar_seconds.push_back(grammar_seconds);
    }
  }
  return series;
}

}  // namespace trit::engine
