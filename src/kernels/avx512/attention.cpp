// AVX-512 attention for a run of query rows at consecutive positions, heads [head_begin, head_end).
// The algorithm (states in packs sharing each load, spans of 64 positions, online softmax) is
// attention_packs.inc, as for AVX2; this file gives it 16-lane vectors and the readers of each KV
// type, which read a quantized cache in place (sign extension times the block scale, 16 values a
// load) instead of widening spans into scratch first.
// GCC 12 header false positive on inlined cvtph/cvtepi32 (see matmul_ternary.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
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

struct Readers {
  using F32 = F32Rows;
  using F16 = F16Rows;
  using Q8 = Q8Rows;
  using Q4 = Q4Rows;
};

}  // namespace

void attend_avx512(const float* q, int64_t q_stride, int64_t n_rows, const KvLayerView& kv, const AttentionShape& shape,
                   int64_t pos, float* out, int64_t out_stride, int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  for_each_kv_group(shape, head_begin, head_end, [&](int64_t h, int64_t count, int64_t kv_head) {
    const float* qh = q + h * d;
    float* oh = out + h * d;
    switch (d / kWidth) {
      case 1: return attend_group_for<1, Readers>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 2: return attend_group_for<2, Readers>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 4: return attend_group_for<4, Readers>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      case 8: return attend_group_for<8, Readers>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
      default: return attend_group_for<16, Readers>(qh, q_stride, n_rows, kv, kv_head, pos, scale, oh, out_stride, count);
    }
  });
}

}  // namespace trit::kernels
