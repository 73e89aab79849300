// AVX2 attention for a run of query rows at consecutive positions, heads [head_begin, head_end):
// the machines without AVX-512 (most laptops) would otherwise take the scalar body, which was half
// of prompt time there.
//
// The heads that share a kv head (GQA) and the rows of the run go over the cache together, in
// spans of 64 positions, so each span's keys and values are read from memory once for all of
// them, and widened to f32 once (kv_rows.h) for all of them: f16 through F16C, q8_0 and q4_0
// from their blocks; an f32 cache is read in place. Per (query row, head) and span:
//   1. scores 8 at a time: 8 dot products q.k held as 8-lane partial sums (q one 8-value chunk
//      at a time, so 10 of the 16 ymm registers suffice at any head_dim), folded into one vector
//      of 8 scores by a horizontal-add tree;
//   2. one online-softmax step: new max, exp of the scores (exp.h), the running sum and the
//      output so far rescaled by exp(old max - new max);
//   3. out += p_k * v_k, the output row in bands of 8 chunks held in registers.
// Every (row, head) runs the same arithmetic whatever else is in the call, so a row gives the same
// bits in a prompt run as alone.
#include <immintrin.h>

#include <math.h>  // expf, sqrtf: C library calls, not <cmath>'s inline overloads (no weak symbols)

#include <cstdint>

#include "kernels/attention_heads.h"
#include "kernels/avx2/exp.h"

namespace trit::kernels {
namespace {

constexpr int kLanes = 8;
constexpr int kTilesPerSpan = 4;
constexpr int kSpan = kLanes * kTilesPerSpan;  // positions per online-softmax step
constexpr int kBand = 8;                       // output chunks in registers during the weighted sum

// Lane j of the result = the sum of the 8 lanes of v[j].
[[gnu::always_inline]] inline __m256 sum_each(const __m256* v) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);  // halves: rows 0-3 | 4-7
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

[[gnu::always_inline]] inline float reduce_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

[[gnu::always_inline]] inline float reduce_add(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// All-ones in lanes [0, n), zero above.
[[gnu::always_inline]] inline __m256 first_lanes(int n) {
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

// 8 values of a row: f32 in place, or f16 widened on the way in.
template <bool F16>
[[gnu::always_inline]] inline __m256 load8(const void* base, int64_t index) {
  if constexpr (F16)
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + index)));
  else
    return _mm256_loadu_ps(static_cast<const float*>(base) + index);
}

// Asks for the row of D values at `index` (elements from `base`) ahead of its use, so a long
// cache read in place streams from DRAM. The row may lie past the cache (prefetches never fault),
// so its address is formed as an integer.
template <int64_t D, bool F16>
[[gnu::always_inline]] inline void prefetch_row(const void* base, int64_t index) {
  constexpr int64_t bytes = D * (F16 ? 2 : 4);
  const uintptr_t at = reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(index) * (F16 ? 2 : 4);
  for (int64_t byte = 0; byte < bytes; byte += 64) _mm_prefetch(reinterpret_cast<const char*>(at + byte), _MM_HINT_T0);
}

// A span's rows of one plane as attention reads them: f16 or f32 rows `stride` elements apart.
struct SpanRows {
  const void* rows;
  int64_t stride;
};

// Rows [p0, p0 + n) of kv head `kv_head`: an f32 cache in place, an f16 one in place when
// `in_place` (nothing would reuse a widened span), else widened into `scratch` (rows of d floats).
SpanRows span_rows(const KvPlane& plane, int64_t kv_head, int64_t p0, int n, int64_t d, bool in_place, float* scratch) {
  const uint8_t* first = plane.row(kv_head, p0);
  if (plane.type == KvType::f32) return {first, plane.row_bytes / 4};
  if (plane.type == KvType::f16 && in_place) return {first, plane.row_bytes / 2};
  widen_kv_rows_avx2(plane.type, first, plane.row_bytes, n, d, scratch);
  return {scratch, d};
}

// Chunks = head_dim / 8. Heads [0, head_count) of q share kv head `kv_head`. KHalf and VHalf say
// whether the K and V spans are read as f16 (in place) or f32 (in place or widened).
//
// Each span goes in two phases, so one span buffer serves both (it stays in L1, where the
// multiply-adds read it at two loads a cycle): widen K, the scores and softmax step of every
// (row, head); then widen V into the same buffer, the weighted sums of every (row, head).
// Widening once per span for all the group's heads and rows makes the f16 -> f32 conversion
// (vcvtph2ps, one a cycle) a small part of the work instead of half of it.
template <int Chunks, bool KHalf, bool VHalf>
void attend_group(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                  int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) {
  constexpr int64_t d = kLanes * Chunks;
  constexpr int kBandChunks = Chunks < kBand ? Chunks : kBand;
  const int64_t states = n_rows * head_count;
  const bool in_place = states == 1;
  // Scratch: span[kSpan][d], acc_rows[states][d], weights[states][kSpan], running_max[states],
  // running_sum[states], correction[states].
  float* const span = attention_scratch(kSpan * d + states * (d + kSpan + 3));
  float* const acc_rows = span + kSpan * d;
  float* const weights = acc_rows + states * d;
  float* const running_max = weights + states * kSpan;
  float* const running_sum = running_max + states;
  float* const correction = running_sum + states;
  for (int64_t i = 0; i < states * d; ++i) acc_rows[i] = 0.0f;
  for (int64_t i = 0; i < states; ++i) running_max[i] = -INFINITY, running_sum[i] = 0.0f;
  alignas(32) float scaled_q[d];
  const int64_t last = pos + n_rows - 1;
  // Positions of the span that row `row` sees (0 when its causal window ends before the span).
  auto visible = [&](int64_t row, int64_t p0) -> int {
    return pos + row < p0 ? 0 : static_cast<int>(pos + row + 1 - p0 < kSpan ? pos + row + 1 - p0 : kSpan);
  };
  for (int64_t p0 = 0; p0 <= last; p0 += kSpan) {
    const int span_n = static_cast<int>(last + 1 - p0 < kSpan ? last + 1 - p0 : kSpan);
    const SpanRows k = span_rows(kv.k, kv_head, p0, span_n, d, in_place, span);
    for (int64_t i = 0; i < states; ++i) {
      const int64_t row = i / head_count, h = i % head_count;
      const int n = visible(row, p0);
      if (n == 0) continue;
      const int tiles = (n + kLanes - 1) / kLanes;
      float* const w = weights + i * kSpan;
      const float* qh = q + row * q_stride + h * d;
      for (int c = 0; c < Chunks; ++c)
        _mm256_store_ps(scaled_q + kLanes * c, _mm256_mul_ps(_mm256_loadu_ps(qh + kLanes * c), _mm256_set1_ps(scale)));
      __m256 highest = _mm256_set1_ps(-INFINITY);
      for (int t = 0; t < tiles; ++t) {
        const int in_tile = n - t * kLanes < kLanes ? n - t * kLanes : kLanes;
        // Rows past the window read the last visible row (always inside the cache) and are
        // masked out below.
        int64_t at[kLanes];
        for (int s = 0; s < kLanes; ++s) {
          at[s] = (t * kLanes + (s < in_tile - 1 ? s : in_tile - 1)) * k.stride;
          if constexpr (KHalf) prefetch_row<d, true>(k.rows, (kSpan + t * kLanes + s) * k.stride);
        }
        __m256 dots[kLanes];
#pragma GCC unroll 8
        for (int s = 0; s < kLanes; ++s) dots[s] = _mm256_setzero_ps();
#pragma GCC unroll 4
        for (int c = 0; c < Chunks; ++c) {
          const __m256 qc = _mm256_load_ps(scaled_q + kLanes * c);
#pragma GCC unroll 8
          for (int s = 0; s < kLanes; ++s) dots[s] = _mm256_fmadd_ps(qc, load8<KHalf>(k.rows, at[s] + kLanes * c), dots[s]);
        }
        const __m256 scores = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), sum_each(dots), first_lanes(in_tile));
        highest = _mm256_max_ps(highest, scores);
        _mm256_storeu_ps(w + kLanes * t, scores);
      }
      const float span_max = reduce_max(highest);
      const float new_max = span_max > running_max[i] ? span_max : running_max[i];
      correction[i] = expf(running_max[i] - new_max);  // 0 on the first span
      __m256 weight_sum = _mm256_setzero_ps();
      for (int t = 0; t < tiles; ++t) {
        const __m256 p = _mm256_and_ps(
            first_lanes(n - t * kLanes), avx2::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(w + kLanes * t), _mm256_set1_ps(new_max))));
        weight_sum = _mm256_add_ps(weight_sum, p);
        _mm256_storeu_ps(w + kLanes * t, p);
      }
      running_sum[i] = running_sum[i] * correction[i] + reduce_add(weight_sum);
      running_max[i] = new_max;
    }
    const SpanRows v = span_rows(kv.v, kv_head, p0, span_n, d, in_place, span);
    for (int64_t i = 0; i < states; ++i) {
      const int n = visible(i / head_count, p0);
      if (n == 0) continue;
      const float* const w = weights + i * kSpan;
      float* const acc_row = acc_rows + i * d;
      for (int band = 0; band < Chunks; band += kBandChunks) {
        __m256 acc[kBandChunks];
        // Every loop over acc[] unrolled in full, or GCC keeps the array on the stack and each
        // multiply-add waits for a store and a reload (twice the time of the whole kernel).
#pragma GCC unroll 8
        for (int c = 0; c < kBandChunks; ++c)
          acc[c] = _mm256_mul_ps(_mm256_loadu_ps(acc_row + kLanes * (band + c)), _mm256_set1_ps(correction[i]));
        for (int r = 0; r < n; ++r) {
          if constexpr (VHalf)
            if (band == 0) prefetch_row<d, true>(v.rows, (kSpan + r) * v.stride);
          const __m256 wr = _mm256_set1_ps(w[r]);
          const int64_t at = r * v.stride + kLanes * band;
#pragma GCC unroll 8
          for (int c = 0; c < kBandChunks; ++c) acc[c] = _mm256_fmadd_ps(wr, load8<VHalf>(v.rows, at + kLanes * c), acc[c]);
        }
#pragma GCC unroll 8
        for (int c = 0; c < kBandChunks; ++c) _mm256_storeu_ps(acc_row + kLanes * (band + c), acc[c]);
      }
    }
  }
  for (int64_t i = 0; i < states; ++i) {
    const int64_t row = i / head_count, h = i % head_count;
    const __m256 inv = _mm256_set1_ps(1.0f / running_sum[i]);
    for (int c = 0; c < Chunks; ++c)
      _mm256_storeu_ps(out + row * out_stride + h * d + kLanes * c,
                       _mm256_mul_ps(_mm256_loadu_ps(acc_rows + i * d + kLanes * c), inv));
  }
}

template <int Chunks>
void attend_group_for(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                      int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) {
  // f16 is read in place only by a lone (row, head); every other span is f32 (see span_rows).
  const bool alone = n_rows * head_count == 1;
  const bool k_half = alone && kv.k.type == KvType::f16, v_half = alone && kv.v.type == KvType::f16;
  if (k_half && v_half)
    attend_group<Chunks, true, true>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  else if (k_half)
    attend_group<Chunks, true, false>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  else if (v_half)
    attend_group<Chunks, false, true>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  else
    attend_group<Chunks, false, false>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
}

}  // namespace

void attend_avx2(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                 int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  for_each_kv_group(shape, head_begin, head_end, [&](int64_t h, int64_t count, int64_t kv_head) {
    const float* qh = q + h * d;
    float* oh = out + h * d;
    switch (d / kLanes) {
      case 2: return attend_group_for<2>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 4: return attend_group_for<4>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 8: return attend_group_for<8>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 16: return attend_group_for<16>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      default: return attend_group_for<32>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
    }
  });
}

}  // namespace trit::kernels
