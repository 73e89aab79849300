// AVX2 bodies of rms_norm, silu_mul, add_in_place and narrow_to_f16 (ops.h), 8 floats at a time,
// the tail through masked loads and stores. rms_norm keeps the generic body's f64 sum of squares.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx2/exp.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {
namespace {

// All-ones in the 32-bit lanes [0, left), zero above.
[[gnu::always_inline]] inline __m256i tail_mask(int64_t left) {
  const int n = left >= 8 ? 8 : static_cast<int>(left);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

void rms_norm_avx2(const float* x, const float* weight, int64_t n, float eps, float* out) {
  __m256d sum_lo = _mm256_setzero_pd(), sum_hi = _mm256_setzero_pd();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 v = _mm256_maskload_ps(x + i, tail_mask(n - i));
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    sum_lo = _mm256_fmadd_pd(lo, lo, sum_lo);
    sum_hi = _mm256_fmadd_pd(hi, hi, sum_hi);
  }
  const __m256d both = _mm256_add_pd(sum_lo, sum_hi);
  const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(both), _mm256_extractf128_pd(both, 1));
  const double sum = _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
  const __m256 scale = _mm256_set1_ps(static_cast<float>(1.0 / std::sqrt(sum / n + eps)));
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), scale);
    _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(v, _mm256_maskload_ps(weight + i, m)));
  }
}

void silu_mul_avx2(const float* gate, const float* up, int64_t n, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    const __m256 g = _mm256_maskload_ps(gate + i, m);
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, avx2::exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g))));
    _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(silu, _mm256_maskload_ps(up + i, m)));
  }
}

void add_in_place_avx2(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_add_ps(_mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
  }
}

// vcvtps2ph rounds to nearest even like formats::f32_to_fp16; AVX2 has no 16-bit masked store,
// so the tail goes through a small buffer.
void narrow_to_f16_avx2(const float* x, int64_t n, uint16_t* out) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  if (i < n) {
    alignas(16) uint16_t tail[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(tail),
                    _mm256_cvtps_ph(_mm256_maskload_ps(x + i, tail_mask(n - i)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    std::memcpy(out + i, tail, static_cast<size_t>(n - i) * sizeof(uint16_t));
  }
}

// Butterfly stages of span h = 1, 2, 4 inside one register: lane j pairs with lane j ^ h, and
// v[j] becomes v[j ^ h] + v[j] where bit h of j is clear, v[j ^ h] - v[j] where it is set.
[[gnu::always_inline]] inline __m256 hadamard_in_register(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.0f), minus = _mm256_set1_ps(-1.0f);
  v = _mm256_fmadd_ps(v, _mm256_blend_ps(one, minus, 0xaa), _mm256_permute_ps(v, 0xb1));
  v = _mm256_fmadd_ps(v, _mm256_blend_ps(one, minus, 0xcc), _mm256_permute_ps(v, 0x4e));
  v = _mm256_fmadd_ps(v, _mm256_blend_ps(one, minus, 0xf0), _mm256_permute2f128_ps(v, v, 0x01));
  return v;
}

// hadamard_blocks (ops.h): one pass that scales, flips the signs and runs the three in-register
// stages, then the stages of span 8 .. B/2 on whole registers.
void hadamard_blocks_avx2(float* x, int64_t n, int64_t block, const float* signs) {
  if (block < 8) return hadamard_blocks_generic(x, n, block, signs);
  const __m256 scale = _mm256_set1_ps(static_cast<float>(1.0 / std::sqrt(static_cast<double>(block))));
  for (int64_t i = 0; i < n; i += 8) {
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), scale);
    if (signs) v = _mm256_mul_ps(v, _mm256_loadu_ps(signs + i));
    _mm256_storeu_ps(x + i, hadamard_in_register(v));
  }
  for (int64_t b = 0; b < n; b += block) {
    float* v = x + b;
    for (int64_t h = 8; h < block; h *= 2)
      for (int64_t i = 0; i < block; i += 2 * h)
        for (int64_t j = i; j < i + h; j += 8) {
          const __m256 a = _mm256_loadu_ps(v + j), c = _mm256_loadu_ps(v + j + h);
          _mm256_storeu_ps(v + j, _mm256_add_ps(a, c));
          _mm256_storeu_ps(v + j + h, _mm256_sub_ps(a, c));
        }
  }
}

const OpsBodies kAvx2Ops{rms_norm_avx2, silu_mul_avx2, add_in_place_avx2, narrow_to_f16_avx2, hadamard_blocks_avx2};

}  // namespace

const OpsBodies& avx2_ops() { return kAvx2Ops; }

}  // namespace trit::kernels
