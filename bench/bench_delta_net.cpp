// Gated DeltaNet recurrence microbenchmarks, every body this CPU runs (generic, avx2, avx512), on the
// Qwen3.5 27B GDN layer's shape (16 key heads, 48 value heads, head_dim 128), one thread:
//   decode:     one token, all heads: counter "GB/s" of state bytes read and written (the
//               6 MiB state of a layer is what the step has to stream);
//   prefill/runN: N consecutive prompt tokens in one call, "GB/s" counting the state once per token.
//   bench_delta_net --benchmark_filter='avx512'
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/delta_net.h"
#include "kernels/isa.h"
#include "kernels/kernel_set.h"

namespace {

using namespace trit;
using namespace trit::kernels;

constexpr DeltaNetShape k27b{16, 48, 128};

std::vector<std::pair<std::string, DeltaNetFn>> delta_net_bodies() {
  std::vector<std::pair<std::string, DeltaNetFn>> b = {{"generic", delta_net_generic}};
  for (Isa isa : supported_isas())
    if (isa != Isa::generic) b.push_back({isa_name(isa), kernel_set(isa).delta_net});
  return b;
}

void bm_delta_net(benchmark::State& state, DeltaNetFn body, const DeltaNetShape& shape, int64_t tokens) {
  const int64_t d = shape.head_dim, qk = shape.n_k_heads * d, row = 2 * qk + shape.n_v_heads * d;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> qkv(static_cast<size_t>(tokens * row)), gb(static_cast<size_t>(tokens * 2 * shape.n_v_heads));
  for (float& x : qkv) x = normal(rng);
  // q and k L2-normalised per head, as the mixer feeds them (keeps the state bounded over iterations).
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < 2 * shape.n_k_heads; ++h) {
      float* v = qkv.data() + t * row + h * d;
      double sum = 0;
      for (int64_t i = 0; i < d; ++i) sum += double(v[i]) * v[i];
      for (int64_t i = 0; i < d; ++i) v[i] = static_cast<float>(v[i] / std::sqrt(sum));
    }
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t h = 0; h < shape.n_v_heads; ++h) {
      gb[t * 2 * shape.n_v_heads + h] = -0.05f;
      gb[t * 2 * shape.n_v_heads + shape.n_v_heads + h] = 0.5f;
    }
  std::vector<float> s(static_cast<size_t>(shape.n_v_heads * d * d), 0.0f);
  std::vector<float> out(static_cast<size_t>(tokens * shape.n_v_heads * d));
  for (auto _ : state) {
    body(s.data(), qkv.data(), qkv.data() + qk, row, qkv.data() + 2 * qk, row, gb.data(), gb.data() + shape.n_v_heads,
         2 * shape.n_v_heads, out.data(), shape.n_v_heads * d, tokens, shape, 0, shape.n_v_heads);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const double state_bytes = 2.0 * 4.0 * static_cast<double>(s.size());
  state.counters["GB/s"] =
      benchmark::Counter(state_bytes * tokens * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

int register_all() {
  for (const auto& [name, fn] : delta_net_bodies()) {
    const std::string decode = "delta_net/" + name + "/27b/decode";
    benchmark::RegisterBenchmark(decode.c_str(), [fn = fn](benchmark::State& s) { bm_delta_net(s, fn, k27b, 1); })
        ->Unit(benchmark::kMicrosecond);
    const std::string prefill = "delta_net/" + name + "/27b/prefill/run64";
    benchmark::RegisterBenchmark(prefill.c_str(), [fn = fn](benchmark::State& s) { bm_delta_net(s, fn, k27b, 64); })
        ->Unit(benchmark::kMicrosecond);
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
