// Vector exp for the AVX2 files only (include it from nowhere else: it is compiled with AVX2
// enabled and must not be linked into portable code).
//
// The same method as avx512/exp.h: exp(x) = 2^n * exp(r), n = round(x / ln 2), r = x - n ln 2 with
// ln 2 split in a high and a low part, exp(r) by its degree-6 Taylor polynomial (about 1 ulp).
// AVX2 has no vscalefps, so 2^n is built in the exponent field, which needs n in [-126, 127]:
// inputs are clamped to [-87.3, 88.3] (-inf gives ~1e-38, never NaN; callers that need exact
// zeros mask the result).
#pragma once
#include <immintrin.h>

namespace trit::kernels::avx2 {

[[gnu::always_inline]] static inline __m256 exp_ps(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(two_n));
}

}  // namespace trit::kernels::avx2
