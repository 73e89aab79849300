// AVX-512 attention for a run of query rows at consecutive positions, heads [head_begin, head_end).
//
// Heads that share a kv head (GQA) are done together, over the cache in spans of 64 positions:
//   1. the span's key and value rows are widened to f32 once (F16C; q8_0 and q4_0 through the
//      AVX2 widening) into scratch (L1/L2), for all the heads of the group (one query row reads
//      an f16 cache in place instead);
//   2. per head, 16 dot products q.k at a time (each a 16-lane partial sum over head_dim), folded
//      into one vector of 16 scores by a transpose-and-add tree (15 shuffle pairs, no per-key
//      horizontal sum), four such tiles per span;
//   3. online softmax per span: new max, exp of the scores 16 at once (exp.h), the running sum and
//      the accumulated output rescaled by exp(old max - new max);
//   4. out += p_k * v_k for the span's positions, the output row held in registers.
// Same math as attend_generic (running max and sum); exp.h's exp is within ~1 ulp of expf.
// GCC 12 header false positive on inlined cvtph/cvtepi32 (see matmul_ternary.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <math.h>  // expf, sqrtf: C library calls, not <cmath>'s inline overloads (no weak symbols)

#include <cstdint>

#include "kernels/attention_heads.h"
#include "kernels/avx512/exp.h"

namespace trit::kernels {
namespace {

constexpr int kTile = 16;
constexpr int kTilesPerSpan = 4;
constexpr int kSpan = kTile * kTilesPerSpan;  // positions per online-softmax step

// Slot s of the reduction tree ends up in lane kSlotLane[s]; the map is its own inverse, so
// computing position kSlotLane[s] of the tile in slot s leaves position j in lane j.
constexpr int kSlotLane[kTile] = {0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15};

// Lane j of the result = sum of the 16 lanes of v[slot whose lane is j] (see kSlotLane).
[[gnu::always_inline]] inline __m512 sum_each(const __m512* v) {
  __m512 x[8], y[4], z[2];
  for (int i = 0; i < 8; ++i)  // halves of 256 bits: slot i in lanes 0-7, slot i+8 in lanes 8-15
    x[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[i], v[i + 8], 0x44), _mm512_shuffle_f32x4(v[i], v[i + 8], 0xEE));
  for (int i = 0; i < 4; ++i)  // quarters of 128 bits
    y[i] = _mm512_add_ps(_mm512_shuffle_f32x4(x[i], x[i + 4], 0x88), _mm512_shuffle_f32x4(x[i], x[i + 4], 0xDD));
  for (int i = 0; i < 2; ++i)  // pairs of floats within each 128-bit lane
    z[i] = _mm512_add_ps(_mm512_shuffle_ps(y[i], y[i + 2], 0x44), _mm512_shuffle_ps(y[i], y[i + 2], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(z[0], z[1], 0x88), _mm512_shuffle_ps(z[0], z[1], 0xDD));
}

// Rows [p0, p0 + n) of kv head `kv_head` as f32 rows of d values: the cache itself when it is
// f32, else widened into `scratch` (f16 here; q8_0 and q4_0 by the AVX2 widening, kv_rows.h).
template <int Chunks>
const float* f32_rows(const KvPlane& plane, int64_t kv_head, int64_t p0, int n, float* scratch, int64_t* stride) {
  const uint8_t* first = plane.row(kv_head, p0);
  if (plane.type == KvType::f32) {
    *stride = plane.row_bytes / 4;
    return reinterpret_cast<const float*>(first);
  }
  *stride = 16 * Chunks;
  if (plane.type != KvType::f16) {
    widen_kv_rows_avx2(plane.type, first, plane.row_bytes, n, 16 * Chunks, scratch);
    return scratch;
  }
  const int64_t row_stride = plane.row_bytes / 2;
  const auto* src = reinterpret_cast<const uint16_t*>(first);
  for (int r = 0; r < n; ++r)
#pragma GCC unroll 16
    for (int c = 0; c < Chunks; ++c)
      _mm512_storeu_ps(scratch + r * 16 * Chunks + 16 * c,
                       _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + r * row_stride + 16 * c))));
  return scratch;
}

// 16 values of a row: f32 in memory, or f16 widened on the way in.
template <bool F16>
[[gnu::always_inline]] inline __m512 load16(const void* rows, int64_t index) {
  if constexpr (F16)
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(rows) + index)));
  else
    return _mm512_loadu_ps(static_cast<const float*>(rows) + index);
}

// Asks for the f16 row of D values at `index` (elements from `base`) ahead of its use. Reading a
// cache in place, the first head of a group asks for the next span's rows as it reaches the same
// row of this one: from DRAM (a long context, 36 layers of it) a decode step was otherwise
// latency-bound at about half the single-thread read rate. The row may lie past the cache
// (prefetches never fault), so its address is formed as an integer.
template <int64_t D>
[[gnu::always_inline]] inline void prefetch_f16_row(const void* base, int64_t index) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(index) * 2;
  for (int64_t byte = 0; byte < D * 2; byte += 64) _mm_prefetch(reinterpret_cast<const char*>(at + byte), _MM_HINT_T0);
}

// Chunks = head_dim / 16, a compile-time count so a head's q and output row stay in registers
// within a span; between spans each (row, head)'s running output lives in `acc_rows` (L1).
// Query rows r = 0..n_rows-1 sit at positions pos + r (a run of one prompt): each span of the
// cache is widened once for all of them, and row r stops at its own position (causal).
// Direct: read an f16 cache in place, widening as it is used (one query row: nothing would
// reuse a widened span, so the scratch round trip only costs); otherwise spans come from
// f32_rows.
//
// One online-softmax step covers a span of kSpan positions (kTilesPerSpan tiles of 16 scores):
// the step is a serial chain per head (max, exp, correction, rescale of the output), and with one
// step per 16 positions that chain, not the multiply-adds, bounded decode at depth.
template <int Chunks, bool Direct>
void attend_group(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                  int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) {
  constexpr int64_t d = 16 * Chunks;
  // Two sets of output accumulators (even and odd positions) halve the multiply-add chain of the
  // weighted sum; at head_dim 256 they would not fit in registers.
  constexpr int kSets = Chunks <= 8 ? 2 : 1;
  const int64_t states = n_rows * head_count;
  // Scratch layout: k_span[kSpan][d], v_span[kSpan][d], acc_rows[states][d], running_max[states],
  // running_sum[states].
  float* const k_span = attention_scratch(2 * kSpan * d + states * d + 2 * states);
  float* const v_span = k_span + kSpan * d;
  float* const acc_rows = v_span + kSpan * d;
  float* const running_max = acc_rows + states * d;
  float* const running_sum = running_max + states;
  for (int64_t i = 0; i < states * d; ++i) acc_rows[i] = 0.0f;
  for (int64_t i = 0; i < states; ++i) running_max[i] = -INFINITY, running_sum[i] = 0.0f;
  const int64_t last = pos + n_rows - 1;
  for (int64_t p0 = 0; p0 <= last; p0 += kSpan) {
    const int span_rows = static_cast<int>(last + 1 - p0 < kSpan ? last + 1 - p0 : kSpan);
    int64_t ks = 0, vs = 0;
    const void* k;
    const void* v;
    if constexpr (Direct) {
      ks = kv.k.row_bytes / 2;
      vs = kv.v.row_bytes / 2;
      k = kv.k.row(kv_head, p0);
      v = kv.v.row(kv_head, p0);
    } else {
      k = f32_rows<Chunks>(kv.k, kv_head, p0, span_rows, k_span, &ks);
      v = f32_rows<Chunks>(kv.v, kv_head, p0, span_rows, v_span, &vs);
    }
    for (int64_t i = 0; i < states; ++i) {
      const int64_t row = i / head_count, h = i % head_count;
      if (pos + row < p0) continue;  // this row's causal window ends before the span
      const int n = static_cast<int>(pos + row + 1 - p0 < kSpan ? pos + row + 1 - p0 : kSpan);
      const float* qh = q + row * q_stride + h * d;
      __m512 qv[Chunks];
      for (int c = 0; c < Chunks; ++c) qv[c] = _mm512_mul_ps(_mm512_loadu_ps(qh + 16 * c), _mm512_set1_ps(scale));
      // Scores of the span, 16 per vector (positions past n are -inf), and their maximum.
      __m512 scores[kTilesPerSpan];
      __mmask16 valid[kTilesPerSpan];
      __m512 highest = _mm512_set1_ps(-INFINITY);
#pragma GCC unroll 4
      for (int t = 0; t < kTilesPerSpan; ++t) {
        const int in_tile = n - t * kTile < kTile ? n - t * kTile : kTile;
        if (in_tile <= 0) break;
        valid[t] = static_cast<__mmask16>((1u << in_tile) - 1);
        const int64_t first = t * kTile;
        __m512 dots[kTile];
#pragma GCC unroll 16
        for (int s = 0; s < kTile; ++s) {
          const int r = kSlotLane[s];
          if constexpr (Direct)
            if (i == 0) prefetch_f16_row<d>(k, (first + r + kSpan) * ks);
          __m512 sum = _mm512_setzero_ps();
          if (r < in_tile)
#pragma GCC unroll 16
            for (int c = 0; c < Chunks; ++c) sum = _mm512_fmadd_ps(qv[c], load16<Direct>(k, (first + r) * ks + 16 * c), sum);
          dots[s] = sum;
        }
        scores[t] = _mm512_mask_blend_ps(valid[t], _mm512_set1_ps(-INFINITY), sum_each(dots));
        highest = _mm512_max_ps(highest, scores[t]);
      }
      const float span_max = _mm512_reduce_max_ps(highest);
      const float new_max = span_max > running_max[i] ? span_max : running_max[i];
      const float correction = expf(running_max[i] - new_max);  // 0 on the first span
      alignas(64) float w[kSpan];
      __m512 weight_sum = _mm512_setzero_ps();
      const int tiles = (n + kTile - 1) / kTile;
#pragma GCC unroll 4
      for (int t = 0; t < kTilesPerSpan; ++t) {
        if (t >= tiles) break;
        const __m512 weights =
            _mm512_maskz_mov_ps(valid[t], avx512::exp_ps(_mm512_sub_ps(scores[t], _mm512_set1_ps(new_max))));
        weight_sum = _mm512_add_ps(weight_sum, weights);
        _mm512_store_ps(w + t * kTile, weights);
      }
      running_sum[i] = running_sum[i] * correction + _mm512_reduce_add_ps(weight_sum);
      running_max[i] = new_max;
      float* acc_row = acc_rows + i * d;
      __m512 acc[kSets][Chunks];
      for (int c = 0; c < Chunks; ++c) {
        acc[0][c] = _mm512_mul_ps(_mm512_loadu_ps(acc_row + 16 * c), _mm512_set1_ps(correction));
        if constexpr (kSets == 2) acc[1][c] = _mm512_setzero_ps();
      }
      int r = 0;
      for (; r + kSets <= n; r += kSets)
#pragma GCC unroll 2
        for (int set = 0; set < kSets; ++set) {
          if constexpr (Direct)
            if (i == 0) prefetch_f16_row<d>(v, (r + set + kSpan) * vs);
          const __m512 wr = _mm512_set1_ps(w[r + set]);
#pragma GCC unroll 16
          for (int c = 0; c < Chunks; ++c)
            acc[set][c] = _mm512_fmadd_ps(wr, load16<Direct>(v, (r + set) * vs + 16 * c), acc[set][c]);
        }
      if (r < n) {
        const __m512 wr = _mm512_set1_ps(w[r]);
#pragma GCC unroll 16
        for (int c = 0; c < Chunks; ++c) acc[0][c] = _mm512_fmadd_ps(wr, load16<Direct>(v, r * vs + 16 * c), acc[0][c]);
      }
      for (int c = 0; c < Chunks; ++c) {
        __m512 total = acc[0][c];
        if constexpr (kSets == 2) total = _mm512_add_ps(total, acc[1][c]);
        _mm512_storeu_ps(acc_row + 16 * c, total);
      }
    }
  }
  for (int64_t i = 0; i < states; ++i) {
    const int64_t row = i / head_count, h = i % head_count;
    const __m512 inv = _mm512_set1_ps(1.0f / running_sum[i]);
    for (int c = 0; c < Chunks; ++c)
      _mm512_storeu_ps(out + row * out_stride + h * d + 16 * c,
                       _mm512_mul_ps(_mm512_loadu_ps(acc_rows + i * d + 16 * c), inv));
  }
}

template <int Chunks>
void attend_group_for(bool direct, const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                      int64_t kv_head, int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) {
  if (direct)
    attend_group<Chunks, true>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  else
    attend_group<Chunks, false>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
}

}  // namespace

void attend_avx512(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                   int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  const bool direct = kv.k.type == KvType::f16 && kv.v.type == KvType::f16 && n_rows == 1;
  for_each_kv_group(shape, head_begin, head_end, [&](int64_t h, int64_t count, int64_t off) {
    const float* qh = q + h * d;
    float* oh = out + h * d;
    switch (d / 16) {
      case 1: return attend_group_for<1>(direct, qh, q_stride, n_rows, kv, off, pos, scale, oh, out_stride, count);
      case 2: return attend_group_for<2>(direct, qh, q_stride, n_rows, kv, off, pos, scale, oh, out_stride, count);
      case 4: return attend_group_for<4>(direct, qh, q_stride, n_rows, kv, off, pos, scale, oh, out_stride, count);
      case 8: return attend_group_for<8>(direct, qh, q_stride, n_rows, kv, off, pos, scale, oh, out_stride, count);
      default: return attend_group_for<16>(direct, qh, q_stride, n_rows, kv, off, pos, scale, oh, out_stride, count);
    }
  });
}

}  // namespace trit::kernels
