// AVX-512 body of delta_net() (kernels/delta_net.h): four state rows at a time, so pass 1 (row . k)
// and pass 2 (update, row . q) each run four independent FMA chains; 16 floats per step, the last
// step masked when head_dim is 8 mod 16. Needs head_dim a multiple of 8 (so rows come in fours).
// GCC 12's avx512fintrin.h builds its `undefined` pass-through vectors as `__m512 __Y = __Y;`,
// which -Wmaybe-uninitialized reports at every inlined call: a header false positive.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#include <math.h>  // expf, sqrtf: library calls, no inline std:: code in this wide-ISA file

#include "kernels/delta_net.h"

namespace trit::kernels {
namespace {

[[gnu::always_inline]] inline __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1);
}

// Rows j .. j+3 of one head's transposed state (row r at rows + r*d) for one token: v, out point
// at v_j and o_j.
[[gnu::always_inline]] inline void four_rows(float* rows, int64_t d, const float* k, const float* q, const float* v,
                                             float decay, float beta, float scale, float* out) {
  float* r0 = rows;
  float* r1 = rows + d;
  float* r2 = rows + 2 * d;
  float* r3 = rows + 3 * d;
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (int64_t i = 0; i < d; i += 16) {
    const __mmask16 m = tail_mask(d - i);
    const __m512 kv = _mm512_maskz_loadu_ps(m, k + i);
    a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r0 + i), kv, a0);
    a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r1 + i), kv, a1);
    a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r2 + i), kv, a2);
    a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, r3 + i), kv, a3);
  }
  const __m512 dl0 = _mm512_set1_ps(beta * (v[0] - decay * _mm512_reduce_add_ps(a0)));
  const __m512 dl1 = _mm512_set1_ps(beta * (v[1] - decay * _mm512_reduce_add_ps(a1)));
  const __m512 dl2 = _mm512_set1_ps(beta * (v[2] - decay * _mm512_reduce_add_ps(a2)));
  const __m512 dl3 = _mm512_set1_ps(beta * (v[3] - decay * _mm512_reduce_add_ps(a3)));
  const __m512 dec = _mm512_set1_ps(decay);
  __m512 o0 = _mm512_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
  for (int64_t i = 0; i < d; i += 16) {
    const __mmask16 m = tail_mask(d - i);
    const __m512 kv = _mm512_maskz_loadu_ps(m, k + i);
    const __m512 qv = _mm512_maskz_loadu_ps(m, q + i);
    const __m512 x0 = _mm512_fmadd_ps(dl0, kv, _mm512_mul_ps(dec, _mm512_maskz_loadu_ps(m, r0 + i)));
    const __m512 x1 = _mm512_fmadd_ps(dl1, kv, _mm512_mul_ps(dec, _mm512_maskz_loadu_ps(m, r1 + i)));
    const __m512 x2 = _mm512_fmadd_ps(dl2, kv, _mm512_mul_ps(dec, _mm512_maskz_loadu_ps(m, r2 + i)));
    const __m512 x3 = _mm512_fmadd_ps(dl3, kv, _mm512_mul_ps(dec, _mm512_maskz_loadu_ps(m, r3 + i)));
    _mm512_mask_storeu_ps(r0 + i, m, x0);
    _mm512_mask_storeu_ps(r1 + i, m, x1);
    _mm512_mask_storeu_ps(r2 + i, m, x2);
    _mm512_mask_storeu_ps(r3 + i, m, x3);
    o0 = _mm512_fmadd_ps(x0, qv, o0);
    o1 = _mm512_fmadd_ps(x1, qv, o1);
    o2 = _mm512_fmadd_ps(x2, qv, o2);
    o3 = _mm512_fmadd_ps(x3, qv, o3);
  }
  out[0] = scale * _mm512_reduce_add_ps(o0);
  out[1] = scale * _mm512_reduce_add_ps(o1);
  out[2] = scale * _mm512_reduce_add_ps(o2);
  out[3] = scale * _mm512_reduce_add_ps(o3);
}

}  // namespace

void delta_net_avx512(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                      int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                      int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                      int64_t head_end) {
  const int64_t d = shape.head_dim;
  const float scale = 1.0f / sqrtf(static_cast<float>(d));
  for (int64_t h = head_begin; h < head_end; ++h) {
    const int64_t kh = h % shape.n_k_heads;
    float* s = state + h * d * d;
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* qt = q + t * qk_stride + kh * d;
      const float* kt = k + t * qk_stride + kh * d;
      const float* vt = v + t * v_stride + h * d;
      const float decay = expf(g[t * gb_stride + h]);
      const float b = beta[t * gb_stride + h];
      float* ot = out + t * out_stride + h * d;
      for (int64_t j = 0; j < d; j += 4) four_rows(s + j * d, d, kt, qt, vt + j, decay, b, scale, ot + j);
    }
  }
}

}  // namespace trit::kernels
