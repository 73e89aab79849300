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

// Butterfly stages of span h = 1, 2, 4, 8 inside one register: lane j pairs with lane j ^ h, and
// v[j] becomes v[j ^ h] + v[j] where bit h of j is clear, v[j ^ h] - v[j] where it is set.
[[gnu::always_inline]] inline __m512 hadamard_in_register(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.0f), minus = _mm512_set1_ps(-1.0f);
  v = _mm512_fmadd_ps(v, _mm512_mask_blend_ps(0xaaaa, one, minus), _mm512_permute_ps(v, 0xb1));
  v = _mm512_fmadd_ps(v, _mm512_mask_blend_ps(0xcccc, one, minus), _mm512_permute_ps(v, 0x4e));
  v = _mm512_fmadd_ps(v, _mm512_mask_blend_ps(0xf0f0, one, minus), _mm512_shuffle_f32x4(v, v, 0xb1));
  v = _mm512_fmadd_ps(v, _mm512_mask_blend_ps(0xff00, one, minus), _mm512_shuffle_f32x4(v, v, 0x4e));
  return v;
}

// hadamard_blocks (ops.h): one pass that scales, flips the signs and runs the four in-register
// stages, then the stages of span 16 .. B/2 on whole registers (a block of 1024 stays in L1).
void hadamard_blocks_avx512(float* x, int64_t n, int64_t block, const float* signs) {
  if (block < 16) return hadamard_blocks_generic(x, n, block, signs);
  const __m512 scale = _mm512_set1_ps(static_cast<float>(1.0 / std::sqrt(static_cast<double>(block))));
  for (int64_t i = 0; i < n; i += 16) {
    __m512 v = _mm512_mul_ps(_mm512_loadu_ps(x + i), scale);
    if (signs) v = _mm512_mul_ps(v, _mm512_loadu_ps(signs + i));
    _mm512_storeu_ps(x + i, hadamard_in_register(v));
  }
  for (int64_t b = 0; b < n; b += block) {
    float* v = x + b;
    for (int64_t h = 16; h < block; h *= 2)
      for (int64_t i = 0; i < block; i += 2 * h)
        for (int64_t j = i; j < i + h; j += 16) {
          const __m512 a = _mm512_loadu_ps(v + j), c = _mm512_loadu_ps(v + j + h);
          _mm512_storeu_ps(v + j, _mm512_add_ps(a, c));
          _mm512_storeu_ps(v + j + h, _mm512_sub_ps(a, c));
        }
  }
}

const OpsBodies kAvx512Ops{rms_norm_avx512, silu_mul_avx512, add_in_place_avx512, narrow_to_f16_avx512,
                           hadamard_blocks_avx512};

}  // namespace

const OpsBodies& avx512_ops() { return kAvx512Ops; }

}  // namespace trit::kernels
