// AVX-512 bodies of rms_norm, silu_mul, add_in_place and narrow_to_f16 (ops.h), 16 floats at a
// time with a masked tail. rms_norm keeps the generic body's f64 sum of squares (8 lanes per half
// vector).
// GCC 12's avx512fintrin.h builds its `undefined` pass-through vectors as `__m512 __Y = __Y;`,
// which -Wmaybe-uninitialized reports at every inlined call: a header false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cmath>

#include "kernels/avx512/exp.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {
namespace {

[[gnu::always_inline]] inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

void rms_norm_avx512(const float* x, const float* weight, int64_t n, float eps, float* out) {
  __m512d sum_lo = _mm512_setzero_pd(), sum_hi = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
    const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    sum_lo = _mm512_fmadd_pd(lo, lo, sum_lo);
    sum_hi = _mm512_fmadd_pd(hi, hi, sum_hi);
  }
  const double sum = _mm512_reduce_add_pd(_mm512_add_pd(sum_lo, sum_hi));
  const __m512 scale = _mm512_set1_ps(static_cast<float>(1.0 / std::sqrt(sum / n + eps)));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, weight + i)));
  }
}

void silu_mul_avx512(const float* gate, const float* up, int64_t n, float* out) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, avx512::exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), g))));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(silu, _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void add_in_place_avx512(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

void narrow_to_f16_avx512(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m256i h = _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_mask_storeu_epi16(out + i, m, h);
  }
}

const OpsBodies kAvx512Ops{rms_norm_avx512, silu_mul_avx512, add_in_place_avx512, narrow_to_f16_avx512};

}  // namespace

const OpsBodies& avx512_ops() { return kAvx512Ops; }

}  // namespace trit::kernels
