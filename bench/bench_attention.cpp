// Attention and element-wise op microbenchmarks, every body this CPU runs (generic, avx2, avx512), on
// the 4B model's shapes (32 query heads, 8 kv heads, head_dim 128; n_embd 2560, n_ff 9728) and,
// for decode, the 1.7B's (16 query heads: 2 per kv head instead of 4).
//   decode/ctxN:   one query row over N cached positions (f16 cache), all heads, one thread:
//                  counter "GFMA/s" (2 x heads x N x head_dim multiply-adds: q.k and p.v);
//   decode/ctx8192/TYPE: the same over 8192 positions of an f16, q8_0 or q4_0 cache;
//   prefill/runR:  R consecutive prompt rows at positions 512-R.., sharing each pass over the
//                  cache as the forward pass's attention runs do (f16; /TYPE: a q8_0 or q4_0 cache);
//   ops:           rms_norm, silu_mul, add_in_place, narrow_to_f16 on one row, "GB/s" of floats read.
//   bench_attention --benchmark_filter='avx512'
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/attention_heads.h"
#include "kernels/isa.h"
#include "kernels/ops_bodies.h"

namespace {

using namespace trit;
using namespace trit::kernels;

constexpr AttentionShape k4b{32, 8, 128};
constexpr AttentionShape k1_7b{16, 8, 128};

std::vector<std::pair<std::string, AttendSegmentFn>> attend_bodies() {
  std::vector<std::pair<std::string, AttendSegmentFn>> b = {{"generic", attend_segment_generic}};
  for (Isa isa : supported_isas()) {
    if (isa == Isa::avx2) b.push_back({"avx2", attend_segment_avx2});
    if (isa == Isa::avx512) b.push_back({"avx512", attend_segment_avx512});
  }
  return b;
}

std::vector<std::pair<std::string, const OpsBodies*>> ops_bodies() {
  std::vector<std::pair<std::string, const OpsBodies*>> b = {{"generic", &generic_ops()}};
  for (Isa isa : supported_isas()) {
    if (isa == Isa::avx2) b.push_back({"avx2", &avx2_ops()});
    if (isa == Isa::avx512) b.push_back({"avx512", &avx512_ops()});
  }
  return b;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// A head-major cache of `positions` rows of `type` for every kv head (the engine's layout).
struct Cache {
  std::vector<uint8_t> k, v;
  std::vector<const uint8_t*> k_pages, v_pages;
  KvLayerView view;
  Cache(const AttentionShape& shape, int64_t positions, KvType type) {
    const int64_t rows = shape.n_head_kv * positions, row_bytes = kv_row_bytes(type, shape.head_dim);
    const auto kf = random_floats(static_cast<size_t>(rows * shape.head_dim), 1);
    const auto vf = random_floats(static_cast<size_t>(rows * shape.head_dim), 2);
    k.resize(static_cast<size_t>(rows * row_bytes));
    v.resize(k.size());
    for (int64_t r = 0; r < rows; ++r) {
      store_kv_row_generic(type, kf.data() + r * shape.head_dim, shape.head_dim, k.data() + r * row_bytes);
      store_kv_row_generic(type, vf.data() + r * shape.head_dim, shape.head_dim, v.data() + r * row_bytes);
    }
    k_pages = contiguous_kv_pages(k.data(), positions, row_bytes);
    v_pages = contiguous_kv_pages(v.data(), positions, row_bytes);
    view = {{type, k_pages.data(), 0, row_bytes, positions * row_bytes}, {type, v_pages.data(), 0, row_bytes, positions * row_bytes}};
  }
};

void bm_attention(benchmark::State& state, AttendSegmentFn body, const AttentionShape& shape, int64_t positions,
                  int64_t rows, KvType type = KvType::f16) {
  Cache cache(shape, positions, type);
  const int64_t width = shape.n_head * shape.head_dim;
  const auto q = random_floats(static_cast<size_t>(rows * width), 3);
  std::vector<float> out(static_cast<size_t>(rows * width));
  const int64_t pos = positions - rows;  // the last row sees every cached position
  for (auto _ : state) {
    attend_with(body, q.data(), width, rows, cache.view, shape, pos, out.data(), width, 0, shape.n_head);
    benchmark::DoNotOptimize(out.data());
  }
  double fma = 0;
  for (int64_t r = 0; r < rows; ++r) fma += 2.0 * shape.n_head * (pos + r + 1) * shape.head_dim;
  state.counters["GFMA/s"] = benchmark::Counter(fma * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

void bm_op(benchmark::State& state, const OpsBodies* ops, const std::string& op, int64_t n) {
  const auto x = random_floats(static_cast<size_t>(n), 4), y = random_floats(static_cast<size_t>(n), 5);
  std::vector<float> out(static_cast<size_t>(n)), acc = x;
  std::vector<uint16_t> half(static_cast<size_t>(n));
  int inputs = 1;
  for (auto _ : state) {
    if (op == "rms_norm") {
      ops->rms_norm(x.data(), y.data(), n, 1e-6f, out.data());
      inputs = 2;
    } else if (op == "silu_mul") {
      ops->silu_mul(x.data(), y.data(), n, out.data());
      inputs = 2;
    } else if (op == "add_in_place") {
      ops->add_in_place(acc.data(), y.data(), n);
      inputs = 2;
    } else {
      ops->narrow_to_f16(x.data(), n, half.data());
    }
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(4.0 * n * inputs * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

int register_all() {
  for (const auto& [name, fn] : attend_bodies()) {
    for (const auto& [model, shape] : {std::pair{"4b", k4b}, std::pair{"1.7b", k1_7b}})
      for (int64_t ctx : {128, 512, 2048}) {
        const std::string id = "attention/" + name + "/" + model + "/decode/ctx" + std::to_string(ctx);
        benchmark::RegisterBenchmark(id.c_str(), [fn = fn, shape = shape, ctx](benchmark::State& s) {
          bm_attention(s, fn, shape, ctx, 1);
        })->Unit(benchmark::kMicrosecond);
      }
    // The quantized cache types at depth: one query row over 8192 positions (4b).
    for (KvType type : {KvType::f16, KvType::q8_0, KvType::q4_0}) {
      const std::string id = "attention/" + name + "/4b/decode/ctx8192/" + kv_type_name(type);
      benchmark::RegisterBenchmark(id.c_str(), [fn = fn, type](benchmark::State& s) { bm_attention(s, fn, k4b, 8192, 1, type); })
          ->Unit(benchmark::kMicrosecond);
    }
    for (int64_t run : {1, 4}) {
      const std::string id = "attention/" + name + "/4b/prefill/ctx512/run" + std::to_string(run);
      benchmark::RegisterBenchmark(id.c_str(), [fn = fn, run](benchmark::State& s) { bm_attention(s, fn, k4b, 512, run); })
          ->Unit(benchmark::kMicrosecond);
    }
    for (KvType type : {KvType::q8_0, KvType::q4_0}) {
      const std::string id = "attention/" + name + "/4b/prefill/ctx512/run4/" + kv_type_name(type);
      benchmark::RegisterBenchmark(id.c_str(), [fn = fn, type](benchmark::State& s) { bm_attention(s, fn, k4b, 512, 4, type); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
  for (const auto& [name, ops] : ops_bodies())
    for (const char* op : {"rms_norm", "silu_mul", "add_in_place", "narrow_to_f16"})
      for (int64_t n : {2560, 9728}) {
        const std::string id = std::string("ops/") + name + "/" + op + "/n" + std::to_string(n);
        benchmark::RegisterBenchmark(id.c_str(), [ops = ops, op = std::string(op), n](benchmark::State& s) {
          bm_op(s, ops, op, n);
        })->Unit(benchmark::kNanosecond);
      }
  return 0;
}
const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
