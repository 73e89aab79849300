#include "engine/benchmark.h"

#include <cmath>
#include <memory>
#include <random>

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

double time_prompt(Engine& engine, const std::vector<int32_t>& tokens) {
  auto kv = engine.new_sequence();
  const size_t batch = static_cast<size_t>(engine.options().batch);
  Timer timer;
  for (size_t begin = 0; begin < tokens.size(); begin += batch) {
    model::SequenceStep step{kv.get(), std::span(tokens.data() + begin, std::min(batch, tokens.size() - begin)), false};
    engine.forward().run(std::span(&step, 1));
  }
  return timer.seconds();
}

// Every sequence decodes the same tokens (speed does not depend on which).
double time_generation(Engine& engine, const std::vector<int32_t>& tokens, int64_t sequences) {
  std::vector<std::unique_ptr<model::KvSequence>> kv;
  for (int64_t i = 0; i < sequences; ++i) kv.push_back(engine.new_sequence());
  std::vector<model::SequenceStep> steps(static_cast<size_t>(sequences));
  Timer timer;
  for (const int32_t& token : tokens) {
    for (int64_t i = 0; i < sequences; ++i) steps[i] = {kv[i].get(), std::span(&token, 1), false};
    engine.forward().run(steps);
  }
  return timer.seconds();
}

void check_fits(const Engine& engine, int64_t n, const char* what) {
  if (n <= 0) fail(what, " must be positive");
  if (n > engine.context()) fail(what, " (", n, ") exceeds the context of ", engine.context(), " (raise -c)");
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

BenchSeries bench_prompt(Engine& engine, int64_t n_prompt, int repetitions) {
  check_fits(engine, n_prompt, "the prompt length (-p)");
  BenchSeries series{"pp" + std::to_string(n_prompt), n_prompt, 1, {}, {}};
  const auto tokens = random_tokens(engine, n_prompt, 1);
  time_prompt(engine, tokens);
  for (int r = 0; r < repetitions; ++r) series.seconds.push_back(time_prompt(engine, tokens));
  return series;
}

BenchSeries bench_generation(Engine& engine, int64_t n_gen, int repetitions, int64_t sequences) {
  check_fits(engine, n_gen, "the generation length (-n)");
  if (sequences < 1) fail("the number of parallel sequences must be at least 1");
  BenchSeries series{"tg" + std::to_string(n_gen) + (sequences > 1 ? " x" + std::to_string(sequences) : ""),
                     n_gen * sequences, sequences, {}, {}};
  const auto tokens = random_tokens(engine, n_gen, 2);
  time_generation(engine, std::vector<int32_t>(tokens.begin(), tokens.begin() + std::min<int64_t>(n_gen, 16)), sequences);
  for (int r = 0; r < repetitions; ++r) {
    // 512 MiB, best of 2: far beyond any cache, ~30 ms.
    series.read_gbs.push_back(kernels::measure_read_bandwidth_gbs(engine.pool(), size_t{512} << 20, 2));
    series.seconds.push_back(time_generation(engine, tokens, sequences));
  }
  return series;
}

}  // namespace trit::engine
