#include "engine/benchmark.h"

#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "kernels/bandwidth.h"
#include "util/error.h"
#include "util/timer.h"

namespace trit::engine {
namespace {

std::vector<int32_t> random_tokens(const Engine& engine, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  const auto vocab = static_cast<uint32_t>(engine.tokenizer().vocab_size());
  std::vector<int32_t> tokens(n);
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % vocab);
  return tokens;
}

// Feeds tokens to a sequence in batches of the engine's batch size, as a prompt is processed.
void feed(Engine& engine, model::SequenceMemory& kv, const std::vector<int32_t>& tokens) {
  const size_t batch = static_cast<size_t>(engine.options().batch);
  for (size_t begin = 0; begin < tokens.size(); begin += batch) {
    model::SequenceStep step{&kv, std::span(tokens.data() + begin, std::min(batch, tokens.size() - begin)), false};
    engine.forward().run(std::span(&step, 1));
  }
}

// A sequence whose cache already holds `depth` tokens (untimed). Each timed pass rewinds it to
// that length, so the prefix is computed once however many passes follow; recurrent memory keeps
// a checkpoint there to rewind to.
std::unique_ptr<model::SequenceMemory> sequence_at_depth(Engine& engine, int64_t depth) {
  auto kv = engine.new_sequence();
  if (depth > 0) {
    feed(engine, *kv, random_tokens(engine, depth, 3));
    kv->checkpoint();
  }
  return kv;
}

// Back to the untimed prefix (never fails after sequence_at_depth; refused rather than timing
// the wrong thing should a memory lose its checkpoint).
void rewind_to_depth(model::SequenceMemory& kv, int64_t depth) {
  if (!kv.rewind(depth)) fail("this model's sequence memory cannot rewind to depth ", depth, " between passes");
}

double time_prompt(Engine& engine, model::SequenceMemory& kv, int64_t depth, const std::vector<int32_t>& tokens) {
  rewind_to_depth(kv, depth);
  Timer timer;
  feed(engine, kv, tokens);
  return timer.seconds();
}

// Every sequence decodes the same tokens (speed does not depend on which).
double time_generation(Engine& engine, const std::vector<std::unique_ptr<model::SequenceMemory>>& kv, int64_t depth,
                       const std::vector<int32_t>& tokens) {
  for (const auto& sequence : kv) rewind_to_depth(*sequence, depth);
  std::vector<model::SequenceStep> steps(kv.size());
  Timer timer;
  for (const int32_t& token : tokens) {
    for (size_t i = 0; i < kv.size(); ++i) steps[i] = {kv[i].get(), std::span(&token, 1), false};
    engine.forward().run(steps);
  }
  return timer.seconds();
}

// llama-bench's names: "pp512", "tg128", and " @ d2048" when the tests run at a depth.
std::string test_name(const char* kind, int64_t n, int64_t depth) {
  return kind + std::to_string(n) + (depth > 0 ? " @ d" + std::to_string(depth) : "");
}

void check_fits(const Engine& engine, int64_t n, int64_t depth, const char* what) {
  if (n <= 0) fail(what, " must be positive");
  if (depth < 0) fail("the depth (-d) must not be negative");
  if (depth + n > engine.context())
    fail(what, " (", n, ")", depth > 0 ? " after the depth (" + std::to_string(depth) + ")" : std::string(),
         " exceeds the context of ", engine.context(), " (raise -c)");
}

}  // namespace

std::vector<double> BenchSeries::tokens_per_second() const {
  std::vector<double> out;
  for (double s : seconds) out.push_back(s > 0 ? tokens / s : 0.0);
  return out;
}

double BenchSeries::mean() const {
  auto v = tokens_per_second();
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0.0 : sum / v.size();
}

double BenchSeries::stddev() const {
  auto v = tokens_per_second();
  if (v.size() < 2) return 0.0;
  double m = mean(), ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  return std::sqrt(ss / (v.size() - 1));
}

double BenchSeries::mean_read_gbs() const {
  double sum = 0;
  for (double x : read_gbs) sum += x;
  return read_gbs.empty() ? 0.0 : sum / read_gbs.size();
}

double BenchSeries::mean_weight_gbs(double bytes_per_step) const {
  return mean() / static_cast<double>(sequences) * bytes_per_step / 1e9;
}

double BenchSeries::mean_fraction_of_bandwidth(double bytes_per_step) const {
  const auto tps = tokens_per_second();
  double sum = 0;
  for (size_t r = 0; r < read_gbs.size() && r < tps.size(); ++r)
    sum += tps[r] / sequences * bytes_per_step / 1e9 / read_gbs[r];
  return read_gbs.empty() ? 0.0 : sum / read_gbs.size();
}

BenchSeries bench_prompt(Engine& engine, int64_t n_prompt, int repetitions, int64_t depth) {
  check_fits(engine, n_prompt, depth, "the prompt length (-p)");
  BenchSeries series{test_name("pp", n_prompt, depth), n_prompt, 1, depth};
  const auto tokens = random_tokens(engine, n_prompt, 1);
  auto kv = sequence_at_depth(engine, depth);
  time_prompt(engine, *kv, depth, tokens);
  for (int r = 0; r < repetitions; ++r) series.seconds.push_back(time_prompt(engine, *kv, depth, tokens));
  return series;
}

BenchSeries bench_generation(Engine& engine, int64_t n_gen, int repetitions, int64_t sequences, int64_t depth) {
  check_fits(engine, n_gen, depth, "the generation length (-n)");
  if (sequences < 1) fail("the number of parallel sequences must be at least 1");
  BenchSeries series{test_name("tg", n_gen, depth) + (sequences > 1 ? " x" + std::to_string(sequences) : ""),
                     n_gen * sequences, sequences, depth};
  const auto tokens = random_tokens(engine, n_gen, 2);
  std::vector<std::unique_ptr<model::SequenceMemory>> kv;
  for (int64_t i = 0; i < sequences; ++i) kv.push_back(sequence_at_depth(engine, depth));
  time_generation(engine, kv, depth, std::vector<int32_t>(tokens.begin(), tokens.begin() + std::min<int64_t>(n_gen, 16)));
  for (int r = 0; r < repetitions; ++r) {
    // 512 MiB, best of 2: far beyond any cache, ~30 ms.
    series.read_gbs.push_back(kernels::measure_read_bandwidth_gbs(engine.pool(), size_t{512} << 20, 2));
    series.seconds.push_back(time_generation(engine, kv, depth, tokens));
  }
  return series;
}

}  // namespace trit::engine
