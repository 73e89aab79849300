// Walsh-Hadamard transform microbenchmarks (kernels::hadamard_blocks, Bonsai 2's rotation), every
// body this CPU runs, on the 27B's rotated input widths (hidden 5120, attention/GDN output 6144,
// FFN 17408) in blocks of 1024, one row per iteration; counter "GB/s" of the row read and written.
//   bench_hadamard --benchmark_filter='avx512'
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "kernels/kernel_set.h"

namespace {

using namespace trit::kernels;

void bm_hadamard(benchmark::State& state, const OpsBodies* ops, int64_t width) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> x(width), signs(width);
  for (float& v : x) v = normal(rng);
  for (float& s : signs) s = rng() % 2 ? 1.0f : -1.0f;
  for (auto _ : state) {
    ops->hadamard_blocks(x.data(), width, 1024, signs.data());
    benchmark::DoNotOptimize(x.data());
  }
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(2 * width * sizeof(float)) * state.iterations(),
                                              benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

const int registered = [] {
  for (Isa isa : supported_isas())
    for (int64_t width : {5120, 6144, 17408}) {
      const std::string name = std::string("hadamard/") + isa_name(isa) + "/" + std::to_string(width);
      benchmark::RegisterBenchmark(name.c_str(), bm_hadamard, &kernel_set(isa).ops, width);
    }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();
