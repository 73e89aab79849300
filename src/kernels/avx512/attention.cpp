// AVX-512 attention for a run of query rows at consecutive positions, heads [head_begin, head_end).
// The algorithm (states in packs sharing each load, spans of 64 positions, online softmax) is
// attention_packs.inc, as for AVX2; this file gives it 16-lane vectors and the readers of each KV
// type, which read a quantized cache in place (sign extension times the block scale, 16 values a
// load) instead of widening spans into scratch first.
// GCC 12 header false positive on inlined cvtph/cvtepi32 (see matmul_ternary.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <math.h>  // expf, sqrtf: C library calls, not <cmath>'s inline overloads (no weak symbols)

#include <cstdint>

#include "formats/q4_0.h"
#include "formats/q8_0.h"
#include "kernels/attention_heads.h"
#include "kernels/avx512/exp.h"

namespace trit::kernels {
namespace {

// Slot s of sum_each's reduction tree ends up in lane kSlotLane[s]; the map is its own inverse.
constexpr int kSlotLane[16] = {0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15};

// 16 floats per zmm register.
struct Lanes {
  using F = __m512;
  static constexpr int kWidth = 16;
  [[gnu::always_inline]] static F zero() { return _mm512_setzero_ps(); }
  [[gnu::always_inline]] static F load(const float* p) { return _mm512_loadu_ps(p); }
  [[gnu::always_inline]] static F load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  [[gnu::always_inline]] static void store(float* p, F x) { _mm512_storeu_ps(p, x); }
  [[gnu::always_inline]] static F set1(float x) { return _mm512_set1_ps(x); }
  [[gnu::always_inline]] static F add(F a, F b) { return _mm512_add_ps(a, b); }
  [[gnu::always_inline]] static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  [[gnu::always_inline]] static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  [[gnu::always_inline]] static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  [[gnu::always_inline]] static F max(F a, F b) { return _mm512_max_ps(a, b); }
  [[gnu::always_inline]] static F exp(F x) { return avx512::exp_ps(x); }
  [[gnu::always_inline]] static float reduce_max(F x) { return _mm512_reduce_max_ps(x); }
  [[gnu::always_inline]] static float reduce_add(F x) { return _mm512_reduce_add_ps(x); }
  // Lanes [0, n) of x, `fill` above.
  [[gnu::always_inline]] static F keep_first(int n, F x, float fill) {
    const __mmask16 first = n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : static_cast<__mmask16>((1u << n) - 1);
    return _mm512_mask_blend_ps(first, _mm512_set1_ps(fill), x);
  }
  // Lane j of the result = the sum of the 16 lanes of v[j]: a transpose-and-add tree (15 shuffle
  // pairs) fed in kSlotLane order, so that slot s, which lands in lane kSlotLane[s], holds
  // v[kSlotLane[s]].
  [[gnu::always_inline]] static F sum_each(const F* in) {
    F v[16], x[8], y[4], z[2];
#pragma GCC unroll 16
    for (int s = 0; s < 16; ++s) v[s] = in[kSlotLane[s]];
    for (int i = 0; i < 8; ++i)  // halves of 256 bits: slot i in lanes 0-7, slot i+8 in lanes 8-15
      x[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[i], v[i + 8], 0x44), _mm512_shuffle_f32x4(v[i], v[i + 8], 0xEE));
    for (int i = 0; i < 4; ++i)  // quarters of 128 bits
      y[i] = _mm512_add_ps(_mm512_shuffle_f32x4(x[i], x[i + 4], 0x88), _mm512_shuffle_f32x4(x[i], x[i + 4], 0xDD));
    for (int i = 0; i < 2; ++i)  // pairs of floats within each 128-bit lane
      z[i] = _mm512_add_ps(_mm512_shuffle_ps(y[i], y[i + 2], 0x44), _mm512_shuffle_ps(y[i], y[i + 2], 0xEE));
    return _mm512_add_ps(_mm512_shuffle_ps(z[0], z[1], 0x88), _mm512_shuffle_ps(z[0], z[1], 0xDD));
  }
};

#include "kernels/attention_packs.inc"

// The readers: load(r, c) = values 16c..16c+15 of the span's row r as f32.
struct F32Rows : PlainRows<float> {
  using PlainRows::PlainRows;
  [[gnu::always_inline]] __m512 load(int64_t r, int c) const { return _mm512_loadu_ps(chunk(r, c)); }
};

struct F16Rows : PlainRows<uint16_t> {
  using PlainRows::PlainRows;
  [[gnu::always_inline]] __m512 load(int64_t r, int c) const {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(chunk(r, c))));
  }
};

// int8 values times the block scale.
[[gnu::always_inline]] inline __m512 scaled(__m128i bytes, float scale) {
  return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes)), _mm512_set1_ps(scale));
}

struct Q8Rows : BlockRows<formats::BlockQ8_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m512 load(int64_t r, int c) const {
    return scaled(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block(r, c).qs + 16 * (c % 2))), scale(r, c));
  }
};

// Q4_0: the first 16 values of a block are the low nibbles of its 16 code bytes, the last 16 the
// high nibbles.
struct Q4Rows : BlockRows<formats::BlockQ4_0> {
  using BlockRows::BlockRows;
  [[gnu::always_inline]] __m512 load(int64_t r, int c) const {
    __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block(r, c).qs));
    if (c % 2 == 1) bytes = _mm_srli_epi16(bytes, 4);
    return scaled(_mm_sub_epi8(_mm_and_si128(bytes, _mm_set1_epi8(0x0F)), _mm_set1_epi8(8)), scale(r, c));
  }
};

// K rows of a quantized type scored by integer dot products (vpdpbusd) against the query rounded
// to q8_0 (attention_packs.inc): score = scale * sum over blocks b of d_q[b] d_k[b] (q_b . k_b),
// exact in int32 within a block. vpdpbusd multiplies unsigned bytes by signed ones, so K's codes
// are read unsigned, k + kBias, and each block's sum starts at -kBias * sum(q_b) to take the bias
// back out. The 32 values of a block fill one 256-bit half of a vector, so a vector holds a pair
// of blocks; Derived::pair(r, j) gives row r's blocks 2j, 2j + 1 so.
template <typename Derived, typename Block>
struct IntegerDotRows : IntegerDotBase<Block> {
  static constexpr int kGroup = 8;  // positions reduced together
  using IntegerDotBase<Block>::IntegerDotBase;
  using IntegerDotBase<Block>::row;
  using IntegerDotBase<Block>::scales;

  // w[s][0..n) = scale * q[s] . k_r for the span's first n rows (S states, head_dim = 16 Chunks).
  template <int Chunks, int S>
  void scores(const formats::BlockQ8_0* const* q, float scale, int n, float* const* w, bool prefetch) const noexcept {
    constexpr int Blocks = Chunks / 2, Pairs = (Blocks + 1) / 2;
    const auto& self = static_cast<const Derived&>(*this);
    __m512i query[S][Pairs], bias[S][Pairs];
    __m512 query_scale[S][Pairs];  // d_q * scale in the lane order of the scores
#pragma GCC unroll 4
    for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
      for (int j = 0; j < Pairs; ++j) {
        const formats::BlockQ8_0& a = q[s][2 * j];
        const bool has_b = 2 * j + 1 < Blocks;
        const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
        const __m256i high = has_b ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[s][2 * j + 1].qs)) : _mm256_setzero_si256();
        query[s][j] = _mm512_inserti64x4(_mm512_zextsi256_si512(low), high, 1);
        // -kBias * (sums of 4 query bytes): the reduction adds a block's 8 lanes.
        const __m512i sums = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(1), query[s][j]);
        bias[s][j] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sums, Derived::kBiasShift));
        const float da = _cvtsh_ss(a.d) * scale, db = has_b ? _cvtsh_ss(q[s][2 * j + 1].d) * scale : 0.0f;
        query_scale[s][j] = _mm512_mask_blend_ps(__mmask16(0xF0F0), _mm512_set1_ps(da), _mm512_set1_ps(db));
      }
    for (int p0 = 0; p0 < n; p0 += kGroup) {
      if (prefetch)
        for (int p = 0; p < kGroup; ++p) prefetch_ahead(self, p0 + p);
      __m512 sum[S];
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) sum[s] = _mm512_setzero_ps();
#pragma GCC unroll 4
      for (int j = 0; j < Pairs; ++j) {
        __m512i k[kGroup];
#pragma GCC unroll 8
        for (int p = 0; p < kGroup; ++p) k[p] = self.pair(row(p0 + p), j);
        // d_k in the order of reduce_blocks' lanes: [2j, rows 0-3 | 2j+1, 0-3 | 2j, 4-7 | 2j+1, 4-7].
        const __m256 first = _mm256_loadu_ps(scales + 2 * j * kSpan + p0);
        const __m256 second = 2 * j + 1 < Blocks ? _mm256_loadu_ps(scales + (2 * j + 1) * kSpan + p0) : _mm256_setzero_ps();
        const __m512 halves = _mm512_insertf32x8(_mm512_zextps256_ps512(first), second, 1);
        const __m512 k_scale = _mm512_shuffle_f32x4(halves, halves, _MM_SHUFFLE(3, 1, 2, 0));
#pragma GCC unroll 4
        for (int s = 0; s < S; ++s) {
          __m512i dots[kGroup];
#pragma GCC unroll 8
          for (int p = 0; p < kGroup; ++p) dots[p] = _mm512_dpbusd_epi32(bias[s][j], k[p], query[s][j]);
          sum[s] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(reduce_blocks(dots)), _mm512_mul_ps(k_scale, query_scale[s][j]), sum[s]);
        }
      }
      const __mmask8 valid = n - p0 >= kGroup ? __mmask8(0xFF) : static_cast<__mmask8>((1u << (n - p0)) - 1);
#pragma GCC unroll 4
      for (int s = 0; s < S; ++s) {
        // Add block 2j+1's quarters to block 2j's, then positions 0-3 and 4-7 side by side.
        const __m512 both = _mm512_add_ps(sum[s], _mm512_shuffle_f32x4(sum[s], sum[s], _MM_SHUFFLE(2, 3, 0, 1)));
        _mm256_mask_storeu_ps(w[s] + p0, valid, _mm512_castps512_ps256(_mm512_shuffle_f32x4(both, both, _MM_SHUFFLE(2, 0, 2, 0))));
      }
    }
  }

  // v[p] holds row p's pair of blocks (lanes 0-7 and 8-15); the result's lanes are the blocks' sums
  // [first block, rows 0-3 | second, 0-3 | first, 4-7 | second, 4-7].
  [[gnu::always_inline]] static __m512i reduce_blocks(const __m512i* v) {
    __m512i t[4], u[2];
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i)  // per 128 bits: [v0 0+2, v1 0+2, v0 1+3, v1 1+3]
      t[i] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
#pragma GCC unroll 2
    for (int i = 0; i < 2; ++i)  // per 128 bits: the 4 lanes' sum of rows 4i..4i+3
      u[i] = _mm512_add_epi32(_mm512_unpacklo_epi64(t[2 * i], t[2 * i + 1]), _mm512_unpackhi_epi64(t[2 * i], t[2 * i + 1]));
    // 128-bit quarters 0+1 are the first block, 2+3 the second.
    return _mm512_add_epi32(_mm512_shuffle_i32x4(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                            _mm512_shuffle_i32x4(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
  }
};

// q8_0 K: the codes plus 128 as unsigned bytes (the sign bit flipped).
struct Q8Dot : IntegerDotRows<Q8Dot, formats::BlockQ8_0> {
  static constexpr int kBiasShift = 7;
  using IntegerDotRows::IntegerDotRows;
  [[gnu::always_inline]] __m512i pair(int r, int j) const {
    const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block(r, 2 * j).qs));
    const __m256i high = 2 * j + 1 < blocks ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block(r, 2 * j + 1).qs)) : low;
    return _mm512_xor_si512(_mm512_inserti64x4(_mm512_zextsi256_si512(low), high, 1), _mm512_set1_epi8(static_cast<char>(0x80)));
  }
};

// q4_0 K: the nibbles are the codes plus 8 already; a block's first 16 values are the low nibbles
// of its bytes, the last 16 the high ones.
struct Q4Dot : IntegerDotRows<Q4Dot, formats::BlockQ4_0> {
  static constexpr int kBiasShift = 3;
  using IntegerDotRows::IntegerDotRows;
  [[gnu::always_inline]] __m512i pair(int r, int j) const {
    const __m128i low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block(r, 2 * j).qs));
    const __m128i high = 2 * j + 1 < blocks ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(block(r, 2 * j + 1).qs)) : low;
    const __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);  // [a | b]
    const __m256i mask = _mm256_set1_epi8(0x0F);
    const __m512i nibbles = _mm512_inserti64x4(_mm512_zextsi256_si512(_mm256_and_si256(bytes, mask)),
                                               _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask), 1);  // [a lo | b lo | a hi | b hi]
    return _mm512_shuffle_i64x2(nibbles, nibbles, _MM_SHUFFLE(3, 1, 2, 0));  // [a lo | a hi | b lo | b hi]
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

void attend_segment_avx512(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv,
                         const AttentionShape& shape, int64_t pos, int64_t segment, const AttentionPartials& out,
                         int64_t head_begin, int64_t head_end) {
  attend_segment_with<Readers>(q, q_stride, n_rows, kv, shape, pos, segment, out, head_begin, head_end);
}

}  // namespace trit::kernels
