// Int8 activation quantization (activations.h) with AVX2: 8 floats per step, rounding by
// vcvtps2dq in the default round-to-nearest-even mode (what std::nearbyint does). Bit-identical
// to quantize_tokens_generic.
#include <immintrin.h>

#include "kernels/activations.h"

namespace trit::kernels {
namespace {
inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}
inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}
}  // namespace

void quantize_tokens_avx2(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end) {
  const int64_t cols = out.cols, group = out.group;
  const __m256 sign = _mm256_set1_ps(-0.0f);
  for (int64_t t = t_begin; t < t_end; ++t) {
    for (int64_t b = 0; b < out.blocks; ++b) {
      const float* src = x + t * cols + b * group;
      int8_t* q = out.q + t * cols + b * group;
      __m256 vmax = _mm256_setzero_ps();
      for (int64_t k = 0; k < group; k += 8) vmax = _mm256_max_ps(vmax, _mm256_andnot_ps(sign, _mm256_loadu_ps(src + k)));
      const float amax = hmax(vmax);
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      const __m256 vinv = _mm256_set1_ps(inv);
      __m256i vsum = _mm256_setzero_si256();
      for (int64_t k = 0; k < group; k += 32) {
        __m256i i32[4];
        for (int m = 0; m < 4; ++m) {
          i32[m] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(src + k + 8 * m), vinv));
          i32[m] = _mm256_max_epi32(_mm256_min_epi32(i32[m], _mm256_set1_epi32(127)), _mm256_set1_epi32(-127));
          vsum = _mm256_add_epi32(vsum, i32[m]);
        }
        // packs interleave 128-bit lanes; the final permute restores element order.
        const __m256i i16a = _mm256_packs_epi32(i32[0], i32[1]);
        const __m256i i16b = _mm256_packs_epi32(i32[2], i32[3]);
        const __m256i i8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(i16a, i16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + k), i8);
      }
      out.scale[t * out.blocks + b] = amax / 127.0f;
      out.sum[t * out.blocks + b] = hsum(vsum);
    }
  }
}

}  // namespace trit::kernels
