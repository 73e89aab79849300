// Int8 activation quantization (activations.h) with AVX-512: 16 floats per step, rounding by
// vcvtps2dq in the default round-to-nearest-even mode (what std::nearbyint does), saturating
// narrowing to int8. Bit-identical to quantize_tokens_generic.
// GCC 12 header false positive on its `undefined` vectors (see matmul_ternary.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "kernels/activations.h"

namespace trit::kernels {

void quantize_tokens_avx512(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end) {
  const int64_t cols = out.cols, group = out.group;
  const __m512 sign = _mm512_set1_ps(-0.0f);
  for (int64_t t = t_begin; t < t_end; ++t) {
    for (int64_t b = 0; b < out.blocks; ++b) {
      const float* src = x + t * cols + b * group;
      int8_t* q = out.q + t * cols + b * group;
      __m512 vmax = _mm512_setzero_ps();
      for (int64_t k = 0; k < group; k += 16) vmax = _mm512_max_ps(vmax, _mm512_andnot_ps(sign, _mm512_loadu_ps(src + k)));
      const float amax = _mm512_reduce_max_ps(vmax);
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      const __m512 vinv = _mm512_set1_ps(inv);
      __m512i vsum = _mm512_setzero_si512();
      for (int64_t k = 0; k < group; k += 16) {
        __m512i i32 = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(src + k), vinv));
        i32 = _mm512_max_epi32(_mm512_min_epi32(i32, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
        vsum = _mm512_add_epi32(vsum, i32);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + k), _mm512_cvtepi32_epi8(i32));
      }
      out.scale[t * out.blocks + b] = amax / 127.0f;
      out.sum[t * out.blocks + b] = _mm512_reduce_add_epi32(vsum);
    }
  }
}

}  // namespace trit::kernels
