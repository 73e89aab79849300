// The AVX2 body of the KV row store (kv_rows.h). The quantizers reproduce the formats'
// reference quantizers bit for bit (formats/q8_0.h, formats/q4_0.h), so a cache holds the same
// bytes on every ISA.
#include <immintrin.h>

#include <cstdint>

#include "formats/fp16.h"
#include "formats/q4_0.h"
#include "formats/q8_0.h"
#include "kernels/avx2/horizontal.h"
#include "kernels/kv_rows.h"

namespace trit::kernels {
namespace {

// std::round (half away from zero): truncate, then step away from zero where the dropped
// fraction is at least one half (x - trunc(x) is exact).
[[gnu::always_inline]] inline __m256i round_half_away(__m256 x) {
  const __m256 t = _mm256_round_ps(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(x, t));
  const __m256 step = _mm256_or_ps(_mm256_and_ps(x, sign), _mm256_set1_ps(1.0f));  // +-1 with x's sign
  const __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  return _mm256_cvtps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, step)));
}

// 32 int32 in four vectors (element order) -> 32 int8.
[[gnu::always_inline]] inline __m256i pack_bytes(const __m256i* i32) {
  const __m256i i16a = _mm256_packs_epi32(i32[0], i32[1]);
  const __m256i i16b = _mm256_packs_epi32(i32[2], i32[3]);
  // packs interleave 128-bit lanes; the permute restores element order.
  return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(i16a, i16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

void store_q8_0(const float* x, int64_t n, formats::BlockQ8_0* blocks) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* src = x + b * 32;
    __m256 v[4], amax = _mm256_setzero_ps();
    for (int m = 0; m < 4; ++m) {
      v[m] = _mm256_loadu_ps(src + 8 * m);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, v[m]));
    }
    const float d = avx2::reduce_max(amax) / 127.0f;
    const __m256 inv = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    blocks[b].d = formats::f32_to_fp16(d);
    __m256i q[4];
    for (int m = 0; m < 4; ++m) q[m] = round_half_away(_mm256_mul_ps(v[m], inv));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].qs), pack_bytes(q));
  }
}

void store_q4_0(const float* x, int64_t n, formats::BlockQ4_0* blocks) {
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* src = x + b * 32;
    __m256 v[4];
    __m256 high = _mm256_loadu_ps(src), low = high;
    for (int m = 0; m < 4; ++m) {
      v[m] = _mm256_loadu_ps(src + 8 * m);
      high = _mm256_max_ps(high, v[m]);
      low = _mm256_min_ps(low, v[m]);
    }
    const float top = avx2::reduce_max(high), bottom = avx2::reduce_min(low);
    const float d = (top >= -bottom ? top : bottom) / -8.0f;
    const __m256 inv = _mm256_set1_ps(d != 0.0f ? 1.0f / d : 0.0f);
    blocks[b].d = formats::f32_to_fp16(d);
    __m256i c[4];
    for (int m = 0; m < 4; ++m) {
      __m256 scaled = _mm256_mul_ps(v[m], inv);
      // Keeps the product rounded on its own, as the reference computes it: contracting it with
      // the add below into one fused multiply-add could move a value across a code boundary.
      __asm__("" : "+x"(scaled));
      c[m] = _mm256_min_epi32(_mm256_cvttps_epi32(_mm256_add_ps(scaled, _mm256_set1_ps(8.5f))), _mm256_set1_epi32(15));
    }
    // Codes 0..15 as bytes; element j (low nibble) pairs with element j + 16 (high nibble).
    const __m256i bytes = pack_bytes(c);
    const __m128i lo = _mm256_castsi256_si128(bytes), hi = _mm256_extracti128_si256(bytes, 1);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blocks[b].qs), _mm_or_si128(lo, _mm_slli_epi16(hi, 4)));
  }
}

void store_f16(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  for (; i < n; ++i) out[i] = formats::f32_to_fp16(x[i]);
}

}  // namespace

void store_kv_row_avx2(KvType type, const float* x, int64_t n, uint8_t* row) {
  switch (type) {
    case KvType::f32: return static_cast<void>(__builtin_memcpy(row, x, static_cast<size_t>(n) * 4));
    case KvType::f16: return store_f16(x, n, reinterpret_cast<uint16_t*>(row));
    case KvType::q8_0: return store_q8_0(x, n, reinterpret_cast<formats::BlockQ8_0*>(row));
    case KvType::q4_0: return store_q4_0(x, n, reinterpret_cast<formats::BlockQ4_0*>(row));
  }
}

}  // namespace trit::kernels
