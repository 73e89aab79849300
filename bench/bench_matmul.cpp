// Matrix kernel microbenchmarks on 4B-model-shaped matrices, every coded format and every ISA
// this CPU runs:
//   decode  (1 token):  GB/s of weight bytes read per pass (counter "GB/s"), vs "read_GB/s" from
//                       the streaming-read benchmark BM_ReadBandwidth in the same run (decode
//                       cycles through 320 MiB of copies so weights come from DRAM, not L3);
//   batch   (8 tokens): the decode step of 8 server slots; weights from DRAM like decode, "GMAC/s";
//   verify  (9 tokens): a speculative verification of 8 drafts, weights from DRAM too;
//   prefill (64..512):  multiply-adds per second (counter "GMAC/s").
// Threads: ThreadPool::default_threads() (physical cores), or TRIT_BENCH_THREADS.
//   bench_matmul --benchmark_filter='q2_0/avx512'  --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "formats/fp16.h"
#include "formats/type_info.h"
#include "kernels/bandwidth.h"
#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "util/thread_pool.h"

namespace {

using namespace trit;

ThreadPool& pool() {
  static ThreadPool p([] {
    const char* env = std::getenv("TRIT_BENCH_THREADS");
    return env ? std::atoi(env) : ThreadPool::default_threads();
  }());
  return p;
}

struct Shape {
  const char* name;
  int64_t rows, cols;
};
const Shape kShapes[] = {{"attn_qo_2560x2560", 2560, 2560},
                         {"ffn_up_9728x2560", 9728, 2560},
                         {"ffn_down_2560x9728", 2560, 9728},
                         {"attn_kv_1024x2560", 1024, 2560}};

// Random ternary blocks: nonzero f16 scales, random codes.
std::vector<uint8_t> random_weights(const formats::TypeInfo* type, int64_t rows, int64_t cols) {
  std::vector<uint8_t> bytes(type->bytes_for(static_cast<uint64_t>(cols)) * static_cast<size_t>(rows));
  std::mt19937 rng(42);
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  const uint16_t d = formats::f32_to_fp16(0.05f);
  for (size_t off = 0; off < bytes.size(); off += static_cast<size_t>(type->block_bytes))
    std::memcpy(&bytes[off + static_cast<size_t>(type->scale_offset)], &d, 2);
  return bytes;
}

void run_matmul(benchmark::State& state, const formats::TypeInfo* type, kernels::Isa isa, Shape shape, int64_t n_tokens) {
  auto bytes = random_weights(type, shape.rows, shape.cols);
  kernels::MatrixView view{type, shape.rows, shape.cols, bytes.data(), type->bytes_for(static_cast<uint64_t>(shape.cols))};
  // Decode streams every weight from DRAM once per token; one matrix alone would sit in the
  // 32 MiB L3. So decode (and an 8-slot batch step) cycles through copies totalling kDecodeBytes,
  // as a model's layers do.
  constexpr size_t kDecodeBytes = size_t{320} << 20;
  const size_t copies = n_tokens <= 9 ? (kDecodeBytes + bytes.size() - 1) / bytes.size() : 1;
  // The generic kernels read the bytes in place, so each of their copies needs its own buffer.
  std::vector<std::vector<uint8_t>> sources;
  std::vector<std::unique_ptr<kernels::PreparedMatrix>> matrices;
  for (size_t i = 0; i < copies; ++i) {
    if (isa == kernels::Isa::generic) {
      sources.push_back(bytes);
      view.data = sources.back().data();
    }
    matrices.push_back(kernels::prepare_matrix(view, isa));
  }
  bytes = {};
  std::vector<float> x(static_cast<size_t>(n_tokens * shape.cols));
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (float& v : x) v = normal(rng);
  std::vector<float> y(static_cast<size_t>(n_tokens * shape.rows));
  size_t next = 0;
  for (auto _ : state) {
    matrices[next]->multiply(x.data(), n_tokens, y.data(), pool());
    benchmark::DoNotOptimize(y.data());
    next = next + 1 == copies ? 0 : next + 1;
  }
  const auto& matrix = matrices[0];
  const double iters = static_cast<double>(state.iterations());
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(matrix->weight_bytes()) * iters / 1e9,
                                              benchmark::Counter::kIsRate);
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(shape.rows * shape.cols * n_tokens) * iters / 1e9,
                                                benchmark::Counter::kIsRate);
  state.counters["threads"] = pool().size();
}

void bm_read_bandwidth(benchmark::State& state) {
  double gbs = 0;
  for (auto _ : state) gbs = kernels::measure_read_bandwidth_gbs(pool(), size_t{1} << 30, 3);
  state.counters["read_GB/s"] = gbs;
  state.counters["threads"] = pool().size();
}

int register_all() {
  benchmark::RegisterBenchmark("BM_ReadBandwidth", bm_read_bandwidth)->Iterations(1)->Unit(benchmark::kMillisecond);
  for (const formats::TypeInfo* type : formats::all_types()) {
    if (!type->coded()) continue;
    for (auto isa : kernels::supported_isas())
      for (const Shape& shape : kShapes)
        for (int64_t n : {1, 8, 9, 64, 512}) {
          if (isa == kernels::Isa::generic && n > 64) continue;  // minutes per iteration, says nothing new
          std::string name = std::string(type->name) + "/" + kernels::isa_name(isa) + "/" +
                             shape.name + "/n" + std::to_string(n);
          benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& s) { run_matmul(s, type, isa, shape, n); })
              ->Unit(benchmark::kMicrosecond)
              ->UseRealTime();
        }
  }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
