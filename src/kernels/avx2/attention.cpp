// AVX2 attention for a run of query rows at consecutive positions, heads [head_begin, head_end):
// the machines without AVX-512 (most laptops) would otherwise take the scalar body, which was half
// of prompt time there. The algorithm (states in packs sharing each load, spans of 64 positions,
// online softmax) is attention_packs.inc; this file gives it 8-lane vectors and the readers of
// each KV type.
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

// 8 floats per ymm register.
struct Lanes {
  using F = __m256;
  static constexpr int kWidth = 8;
  [[gnu::always_inline]] static F zero() { return _mm256_setzero_ps(); }
  [[gnu::always_inline]] static F load(const float* p) { return _mm256_loadu_ps(p); }
  [[gnu::always_inline]] static F load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  [[gnu::always_inline]] static void store(float* p, F x) { _mm256_storeu_ps(p, x); }
  [[gnu::always_inline]] static F set1(float x) { return _mm256_set1_ps(x); }
  [[gnu::always_inline]] static F add(F a, F b) { return _mm256_add_ps(a, b); }
  [[gnu::always_inline]] static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  [[gnu::always_inline]] static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  [[gnu::always_inline]] static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  [[gnu::always_inline]] static F max(F a, F b) { return _mm256_max_ps(a, b); }
  [[gnu::always_inline]] static F exp(F x) { return avx2::exp_ps(x); }
  [[gnu::always_inline]] static float reduce_max(F x) { return avx2::reduce_max(x); }
  [[gnu::always_inline]] static float reduce_add(F x) { return avx2::reduce_add(x); }
  // Lanes [0, n) of x, `fill` above.
  [[gnu::always_inline]] static F keep_first(int n, F x, float fill) {
    const __m256i first = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_blendv_ps(_mm256_set1_ps(fill), x, _mm256_castsi256_ps(first));
  }
  // Lane j of the result = the sum of the 8 lanes of v[j].
  [[gnu::always_inline]] static F sum_each(const F* v) {
    const __m256 t0 = _mm256_hadd_ps(v[0], v[1]), t1 = _mm256_hadd_ps(v[2], v[3]);
    const __m256 t2 = _mm256_hadd_ps(v[4], v[5]), t3 = _mm256_hadd_ps(v[6], v[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);  // halves: rows 0-3 | 4-7
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
  }
};

#include "kernels/attention_packs.inc"

// The readers: load(r, c) = values 8c..8c+7 of the span's row r as f32.
struct F32Rows : PlainRows<float> {
  using PlainRows::PlainRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const { return _mm256_loadu_ps(chunk(r, c)); }
};

struct F16Rows : PlainRows<uint16_t> {
  using PlainRows::PlainRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chunk(r, c))));
  }
};

// int8 values times the block scale.
[[gnu::always_inline]] inline __m256 scaled(__m128i bytes, float scale) {
  return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes)), _mm256_set1_ps(scale));
}

struct Q8Rows : BlockRows<formats::BlockQ8_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    return scaled(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(block(r, c).qs + 8 * (c % 4))), scale(r, c));
  }
};

// Q4_0: chunk j of a block is bytes 8 (j % 2).. of its codes, low nibbles for j < 2, high for j >= 2.
struct Q4Rows : BlockRows<formats::BlockQ4_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m256 load(int64_t r, int c) const {
    __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(block(r, c).qs + 8 * (c % 2)));
    if (c % 4 >= 2) bytes = _mm_srli_epi16(bytes, 4);
    return scaled(_mm_sub_epi8(_mm_and_si128(bytes, _mm_set1_epi8(0x0F)), _mm_set1_epi8(8)), scale(r, c));
  }
};

// K rows of a quantized type scored by integer dot products against the query rounded to q8_0
// (attention_packs.inc): score = scale * sum over blocks b of d_q[b] d_k[b] (q_b . k_b), exact in
// int32 within a block. vpmaddubsw multiplies unsigned bytes by signed ones into int16 pair sums
// that saturate, so it takes |q| and k with q's sign (vpsignb): both codes lie in [-127, 127], so
// a pair's sum stays within 2 * 127 * 127 < 32767. Derived::codes(r, b) gives row r's block b as
// 32 signed bytes.
template <typename Derived, typename Block>
struct IntegerDotRows : IntegerDotBase<Block> {
  static constexpr int kGroup = 8;  // positions reduced together: one vector of scores
  using IntegerDotBase<Block>::IntegerDotBase;
  using IntegerDotBase<Block>::row;
  using IntegerDotBase<Block>::scales;

  // w[s][0..n) = scale * q[s] . k_r for the span's first n rows (S states, head_dim = 8 Chunks).
  template <int Chunks, int S>
  void scores(const formats::BlockQ8_0* const* q, float scale, int n, float* const* w, bool prefetch) const noexcept {
    constexpr int Blocks = Chunks / 4;
    const auto& self = static_cast<const Derived&>(*this);
    const __m256i ones = _mm256_set1_epi16(1);
    float query_scale[S][Blocks];  // d_q * scale
    for (int s = 0; s < S; ++s)
      for (int b = 0; b < Blocks; ++b) query_scale[s][b] = _cvtsh_ss(q[s][b].d) * scale;
    for (int p0 = 0; p0 < n; p0 += kGroup) {
      if (prefetch)
        for (int p = 0; p < kGroup; ++p) prefetch_ahead(self, p0 + p);
      __m256 sum[S];
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) sum[s] = _mm256_setzero_ps();
      for (int b = 0; b < Blocks; ++b) {
        __m256i k[kGroup];
#pragma GCC unroll 8
        for (int p = 0; p < kGroup; ++p) k[p] = self.codes(row(p0 + p), b);
        const __m256 k_scale = _mm256_loadu_ps(scales + b * kSpan + p0);  // d_k of the 8 positions
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
          const __m256i qs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[s][b].qs));
          const __m256i magnitude = _mm256_abs_epi8(qs);
          __m256i dots[kGroup];
#pragma GCC unroll 8
          for (int p = 0; p < kGroup; ++p)
            dots[p] = _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(k[p], qs)), ones);
          sum[s] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(reduce_rows(dots)), _mm256_mul_ps(k_scale, _mm256_set1_ps(query_scale[s][b])),
                                   sum[s]);
        }
      }
      const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32(n - p0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) _mm256_maskstore_ps(w[s] + p0, valid, sum[s]);
    }
  }

  // Lane p of the result = the sum of the 8 lanes of v[p].
  [[gnu::always_inline]] static __m256i reduce_rows(const __m256i* v) {
    const __m256i a = _mm256_hadd_epi32(v[0], v[1]), b = _mm256_hadd_epi32(v[2], v[3]);
    const __m256i c = _mm256_hadd_epi32(v[4], v[5]), d = _mm256_hadd_epi32(v[6], v[7]);
    const __m256i low = _mm256_hadd_epi32(a, b), high = _mm256_hadd_epi32(c, d);  // per 128 bits: rows 0-3, 4-7
    return _mm256_add_epi32(_mm256_permute2x128_si256(low, high, 0x20), _mm256_permute2x128_si256(low, high, 0x31));
  }
};

struct Q8Dot : IntegerDotRows<Q8Dot, formats::BlockQ8_0> {
  using IntegerDotRows::IntegerDotRows;
  [[gnu::always_inline]] __m256i codes(int r, int b) const {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block(r, b).qs));
  }
};

// A q4_0 block's first 16 values are the low nibbles of its bytes, the last 16 the high ones, 8 above.
struct Q4Dot : IntegerDotRows<Q4Dot, formats::BlockQ4_0> {
  using IntegerDotRows::IntegerDotRows;
  [[gnu::always_inline]] __m256i codes(int r, int b) const {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block(r, b).qs));
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(bytes), _mm_srli_epi16(bytes, 4), 1);
    return _mm256_sub_epi8(_mm256_and_si256(both, _mm256_set1_epi8(0x0F)), _mm256_set1_epi8(8));
  }
};

struct Readers {
  using F32 = F32Rows;
  using F16 = F16Rows;
  using Q8 = Q8Rows;
  using Q4 = Q4Rows;
  using KeyQ8 = Q8Dot;  // K's readers
  using KeyQ4 = Q4Dot;
};

}  // namespace

void attend_segment_avx2(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                         const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                         int64_t head_begin, int64_t head_end) {
  attend_segment_with<Readers>(q, q_stride, n_rows, kv, shape, pos, segment, out, head_begin, head_end);
}

}  // namespace trit::kernels
