// AVX2 attention for a run of query rows at consecutive positions, heads [head_begin, head_end):
// the machines without AVX-512 (most laptops) would otherwise take the scalar body, which was half
// of prompt time there.
//
// The (query row, head) pairs of a call that read one kv head (the heads of a GQA group, the rows
// of a prompt run) are its states. They go over the cache together in spans of 64 positions, in
// packs of up to 4 states that share every 8 cache values loaded: each load (and its conversion to
// f32: F16C for f16, sign extension times the block scale for q8_0 and q4_0) feeds one
// multiply-add per state of the pack, in registers. Per state and span:
//   1. scores: 8 dot products q.k at a time (a pack of S states takes 8 / S positions per step),
//      folded into one vector of 8 scores by a horizontal-add tree;
//   2. one online-softmax step: new max, exp of the scores (exp.h), the running sum and the
//      output so far rescaled by exp(old max - new max);
//   3. out += p_k * v_k, the output row in bands of 8 / S chunks held in registers.
// A state's arithmetic (the order of every sum) does not depend on its pack, so a row gives the
// same bits in a prompt run as alone, and as the single-state kernel this replaces.
#include <immintrin.h>

#include <math.h>  // expf, sqrtf: C library calls, not <cmath>'s inline overloads (no weak symbols)

#include <cstdint>

#include "formats/q4_0.h"
#include "formats/q8_0.h"
#include "kernels/attention_heads.h"
#include "kernels/avx2/exp.h"
#include "kernels/avx2/horizontal.h"

namespace trit::kernels {
namespace {

constexpr int kLanes = 8;
constexpr int kTilesPerSpan = 8;
constexpr int kSpan = kLanes * kTilesPerSpan;  // positions per online-softmax step
constexpr int kMaxPack = 4;                    // states sharing each load
constexpr int kMaxBlocks = 256 / 32;           // quantized blocks per row at head_dim 256

// Lane j of the result = the sum of the 8 lanes of v[j].
[[gnu::always_inline]] inline __m256 sum_each(const __m256* v) {
  const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);  // halves: rows 0-3 | 4-7
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

// All-ones in lanes [0, n), zero above.
[[gnu::always_inline]] inline __m256 first_lanes(int n) {
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

// Readers of one span of one plane: load(r, c) = values 8c..8c+7 of the span's row r as f32.
// Built at the span's first row; rows are row_bytes apart.
struct F32Rows {
  const float* base;
  int64_t stride;
  F32Rows(const KvPlane& plane, int64_t kv_head, int64_t p0, int, float*)
      : base(reinterpret_cast<const float*>(plane.row(kv_head, p0))), stride(plane.row_bytes / 4) {}
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const { return _mm256_loadu_ps(base + r * stride + kLanes * c); }
  uintptr_t address(int64_t r) const { return reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(r * stride * 4); }
  int64_t row_bytes() const { return stride * 4; }
};

struct F16Rows {
  const uint16_t* base;
  int64_t stride;
  F16Rows(const KvPlane& plane, int64_t kv_head, int64_t p0, int, float*)
      : base(reinterpret_cast<const uint16_t*>(plane.row(kv_head, p0))), stride(plane.row_bytes / 2) {}
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + r * stride + kLanes * c)));
  }
  uintptr_t address(int64_t r) const { return reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(r * stride * 2); }
  int64_t row_bytes() const { return stride * 2; }
};

// Quantized rows: the span's block scales are widened once into `scales` ([row][block]); a chunk
// of 8 values lies inside one 32-value block.
template <typename Block>
struct BlockRows {
  const uint8_t* base;
  int64_t bytes_per_row;
  const float* scales;
  int blocks;
  BlockRows(const KvPlane& plane, int64_t kv_head, int64_t p0, int n, float* scale_buffer) noexcept
      : base(plane.row(kv_head, p0)), bytes_per_row(plane.row_bytes), scales(scale_buffer),
        blocks(static_cast<int>(plane.row_bytes / static_cast<int64_t>(sizeof(Block)))) {
    for (int r = 0; r < n; ++r)
      for (int b = 0; b < blocks; ++b)
        scale_buffer[r * blocks + b] = _cvtsh_ss(reinterpret_cast<const Block*>(base + r * bytes_per_row)[b].d);
  }
  [[gnu::always_inline]] __m256 scaled(int64_t r, int c, __m128i bytes) const {
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)), _mm256_set1_ps(scales[r * blocks + c / 4]));
  }
  const Block& block(int64_t r, int c) const { return reinterpret_cast<const Block*>(base + r * bytes_per_row)[c / 4]; }
  uintptr_t address(int64_t r) const { return reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(r * bytes_per_row); }
  int64_t row_bytes() const { return bytes_per_row; }
};

struct Q8Rows : BlockRows<formats::BlockQ8_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    return scaled(r, c, _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block(r, c).qs + 8 * (c % 4))));
  }
};

// Q4_0: chunk j of a block is bytes 8 (j % 2).. of its codes, low nibbles for j < 2, high for j >= 2.
struct Q4Rows : BlockRows<formats::BlockQ4_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block(r, c).qs + 8 * (c % 2)));
    if (c % 4 >= 2) bytes = _mm_srli_epi16(bytes, 4);
    return scaled(r, c, _mm_sub_epi8(_mm_and_si128(bytes, _mm_set1_epi8(0x0F)), _mm_set1_epi8(8)));
  }
};

// Scores of S states over the span's first n positions into w[s][0..n): the dot products of the
// scaled queries q[s] with the K rows, 8 / S positions per step (rows past n repeat row n - 1).
template <int Chunks, int S, typename KRows>
void pack_scores(const KRows& k, const float* const* q, int n, float* const* w, bool prefetch) noexcept {
  constexpr int P = kLanes / S;
  for (int p0 = 0; p0 < n; p0 += P) {
    int64_t row[P];
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) row[p] = p0 + p < n ? p0 + p : n - 1;
    if (prefetch)
      for (int p = 0; p < P; ++p) prefetch_ahead(k, p0 + p);
    __m256 dots[kLanes];
#pragma GCC unroll 8
    for (int i = 0; i < kLanes; ++i) dots[i] = _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int c = 0; c < Chunks; ++c) {
      __m256 qc[S];
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) qc[s] = _mm256_loadu_ps(q[s] + kLanes * c);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) {
        const __m256 kc = k.load(row[p], c);
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) dots[s * P + p] = _mm256_fmadd_ps(qc[s], kc, dots[s * P + p]);
      }
    }
    alignas(32) float scores[kLanes];
    _mm256_store_ps(scores, sum_each(dots));
    for (int s = 0; s < S; ++s)
      for (int p = 0; p < P && p0 + p < n; ++p) w[s][p0 + p] = scores[s * P + p];
  }
}

// acc[s] = acc[s] * correction[s] + sum over the span's first n positions r of w[s][r] v_r, in
// bands of 8 / S chunks held in registers.
template <int Chunks, int S, typename VRows>
void pack_values(const VRows& v, int n, const float* const* w, const float* correction, float* const* acc_row,
                 bool prefetch) noexcept {
  constexpr int B = kLanes / S < Chunks ? kLanes / S : Chunks;
  for (int band = 0; band < Chunks; band += B) {
    __m256 acc[S][B];
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 8
      for (int b = 0; b < B; ++b)
        acc[s][b] = _mm256_mul_ps(_mm256_loadu_ps(acc_row[s] + kLanes * (band + b)), _mm256_set1_ps(correction[s]));
    for (int r = 0; r < n; ++r) {
      if (prefetch && band == 0) prefetch_ahead(v, r);
      __m256 wr[S];
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) wr[s] = _mm256_set1_ps(w[s][r]);
#pragma GCC unroll 8
      for (int b = 0; b < B; ++b) {
        const __m256 vc = v.load(r, band + b);
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) acc[s][b] = _mm256_fmadd_ps(wr[s], vc, acc[s][b]);
      }
    }
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 8
      for (int b = 0; b < B; ++b) _mm256_storeu_ps(acc_row[s] + kLanes * (band + b), acc[s][b]);
  }
}

// Asks for row r of the next span (a span ahead of its use) while this span's row r is read, so a
// long cache streams from DRAM at the pace it is used (a burst of a whole span's prefetches would
// overflow the outstanding-miss buffers). The row may lie past the cache (prefetches never
// fault), so its address is formed as an integer.
template <typename Rows>
[[gnu::always_inline]] inline void prefetch_ahead(const Rows& rows, int64_t r) {
  const uintptr_t at = rows.address(r + kSpan);
  for (int64_t byte = 0; byte < rows.row_bytes(); byte += 64) _mm_prefetch(reinterpret_cast<const char*>(at + byte), _MM_HINT_T0);
}

// Per-state online-softmax bookkeeping, in attention_scratch.
struct States {
  float* scaled_q;     // [states][d]: q * 1/sqrt(d)
  float* acc;          // [states][d]: the output so far, under running_max
  float* w;            // [states][kSpan]: the span's scores, then weights
  float* running_max;  // [states]
  float* running_sum;  // [states]
  float* correction;   // [states]: exp(old max - new max) of the current span
};

// Heads [0, head_count) of q share kv head `kv_head`; Chunks = head_dim / 8.
template <int Chunks, typename KRows, typename VRows>
void attend_group(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                  int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) noexcept {
  constexpr int64_t d = kLanes * Chunks;
  const int64_t states = n_rows * head_count;
  float* const scratch = attention_scratch(states * (2 * d + kSpan + 3) + 2 * kSpan * kMaxBlocks);
  const States st{scratch, scratch + states * d, scratch + 2 * states * d, scratch + states * (2 * d + kSpan),
                  scratch + states * (2 * d + kSpan + 1), scratch + states * (2 * d + kSpan + 2)};
  float* const k_scales = scratch + states * (2 * d + kSpan + 3);
  float* const v_scales = k_scales + kSpan * kMaxBlocks;
  for (int64_t i = 0; i < states; ++i) {
    const float* qh = q + (i / head_count) * q_stride + (i % head_count) * d;
    for (int c = 0; c < Chunks; ++c) {
      _mm256_storeu_ps(st.scaled_q + i * d + kLanes * c, _mm256_mul_ps(_mm256_loadu_ps(qh + kLanes * c), _mm256_set1_ps(scale)));
      _mm256_storeu_ps(st.acc + i * d + kLanes * c, _mm256_setzero_ps());
    }
    st.running_max[i] = -INFINITY;
    st.running_sum[i] = 0.0f;
  }
  // Positions of the span at p0 that state i sees (0 when its causal window ends before it).
  auto visible = [&](int64_t i, int64_t p0) -> int {
    const int64_t last = pos + i / head_count;
    return last < p0 ? 0 : static_cast<int>(last + 1 - p0 < kSpan ? last + 1 - p0 : kSpan);
  };
  const int64_t last = pos + n_rows - 1;
  for (int64_t p0 = 0; p0 <= last; p0 += kSpan) {
    const int span_n = visible(states - 1, p0);
    const KRows k(kv.k, kv_head, p0, span_n, k_scales);
    const VRows v(kv.v, kv_head, p0, span_n, v_scales);
    int64_t first = 0;  // states before it do not see this span
    while (visible(first, p0) == 0) ++first;
    const bool more_spans = p0 + kSpan <= last;  // the first pack asks for the next span's rows
    for (int64_t i = first; i < states;) {
      const int S = states - i >= 4 ? 4 : states - i >= 2 ? 2 : 1;
      const int n = visible(i + S - 1, p0);  // the pack's widest window (later rows see more)
      const float* q_pack[kMaxPack] = {};
      float* w_pack[kMaxPack] = {};
      float* acc_pack[kMaxPack] = {};
      for (int s = 0; s < S; ++s) {
        q_pack[s] = st.scaled_q + (i + s) * d;
        w_pack[s] = st.w + (i + s) * kSpan;
        acc_pack[s] = st.acc + (i + s) * d;
      }
      const bool prefetch = more_spans && i == first;
      if (S == 4) pack_scores<Chunks, 4>(k, q_pack, n, w_pack, prefetch);
      else if (S == 2) pack_scores<Chunks, 2>(k, q_pack, n, w_pack, prefetch);
      else pack_scores<Chunks, 1>(k, q_pack, n, w_pack, prefetch);
      for (int s = 0; s < S; ++s) {
        const int64_t state = i + s;
        const int own = visible(state, p0);
        const int tiles = (own + kLanes - 1) / kLanes;
        float* const w = w_pack[s];
        __m256 highest = _mm256_set1_ps(-INFINITY);
        for (int t = 0; t < tiles; ++t) {
          const __m256 scores = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), _mm256_loadu_ps(w + kLanes * t), first_lanes(own - t * kLanes));
          highest = _mm256_max_ps(highest, scores);
        }
        const float span_max = avx2::reduce_max(highest);
        const float new_max = span_max > st.running_max[state] ? span_max : st.running_max[state];
        st.correction[state] = expf(st.running_max[state] - new_max);  // 0 on the first span
        __m256 weight_sum = _mm256_setzero_ps();
        for (int t = 0; t < tiles; ++t) {
          const __m256 p = _mm256_and_ps(first_lanes(own - t * kLanes),
                                         avx2::exp_ps(_mm256_sub_ps(_mm256_loadu_ps(w + kLanes * t), _mm256_set1_ps(new_max))));
          weight_sum = _mm256_add_ps(weight_sum, p);
          _mm256_storeu_ps(w + kLanes * t, p);
        }
        for (int r = tiles * kLanes; r < n; ++r) w[r] = 0.0f;  // positions only later rows of the pack see
        st.running_sum[state] = st.running_sum[state] * st.correction[state] + avx2::reduce_add(weight_sum);
        st.running_max[state] = new_max;
      }
      const float* w_const[kMaxPack] = {w_pack[0], w_pack[1], w_pack[2], w_pack[3]};
      if (S == 4) pack_values<Chunks, 4>(v, n, w_const, st.correction + i, acc_pack, prefetch);
      else if (S == 2) pack_values<Chunks, 2>(v, n, w_const, st.correction + i, acc_pack, prefetch);
      else pack_values<Chunks, 1>(v, n, w_const, st.correction + i, acc_pack, prefetch);
      i += S;
    }
  }
  for (int64_t i = 0; i < states; ++i) {
    const __m256 inv = _mm256_set1_ps(1.0f / st.running_sum[i]);
    float* const o = out + (i / head_count) * out_stride + (i % head_count) * d;
    for (int c = 0; c < Chunks; ++c) _mm256_storeu_ps(o + kLanes * c, _mm256_mul_ps(_mm256_loadu_ps(st.acc + i * d + kLanes * c), inv));
  }
}

template <int Chunks, typename KRows>
void attend_group_k(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                    int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) noexcept {
  switch (kv.v.type) {
    case KvType::f16: return attend_group<Chunks, KRows, F16Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::f32: return attend_group<Chunks, KRows, F32Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::q8_0: return attend_group<Chunks, KRows, Q8Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::q4_0: return attend_group<Chunks, KRows, Q4Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  }
}

template <int Chunks>
void attend_group_for(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, int64_t kv_head,
                      int64_t pos, float scale, float* out, int64_t out_stride, int64_t head_count) noexcept {
  switch (kv.k.type) {
    case KvType::f16: return attend_group_k<Chunks, F16Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::f32: return attend_group_k<Chunks, F32Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::q8_0: return attend_group_k<Chunks, Q8Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
    case KvType::q4_0: return attend_group_k<Chunks, Q4Rows>(q, q_stride, n_rows, kv, kv_head, pos, scale, out, out_stride, head_count);
  }
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
