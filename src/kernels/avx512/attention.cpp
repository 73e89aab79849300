// AVX-512 attention for one query row: scores against every cached key (F16C conversion of f16
// rows, 16 lanes at a time), an exact softmax over the row (max first, then exponentials), and
// the weighted sum of the value rows. Same math as attend_generic, which keeps a running max.
#include <immintrin.h>

#include <cmath>
#include <vector>

#include "kernels/attention_heads.h"

namespace trit::kernels {
namespace {

inline __m512 load16(KvType type, const void* base, int64_t index) {
  if (type == KvType::f32) return _mm512_loadu_ps(static_cast<const float*>(base) + index);
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(static_cast<const uint16_t*>(base) + index)));
}

}  // namespace

void attend_avx512(const float* q, const KvLayerView& kv, const AttentionShape& shape, int64_t pos, float* out,
                   int64_t head_begin, int64_t head_end) {
  const int64_t d = shape.head_dim;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  thread_local std::vector<float> scores;
  thread_local std::vector<float> acc;
  scores.resize(pos + 1);
  acc.resize(d);
  for (int64_t h = head_begin; h < head_end; ++h) {
    const float* qh = q + h * d;
    const int64_t kv_offset = (h / group) * d;
    float max = -INFINITY;
    for (int64_t p = 0; p <= pos; ++p) {
      const int64_t row = p * kv.row_stride + kv_offset;
      __m512 sum = _mm512_setzero_ps();
      for (int64_t i = 0; i < d; i += 16) sum = _mm512_fmadd_ps(_mm512_loadu_ps(qh + i), load16(kv.type, kv.k, row + i), sum);
      const float s = _mm512_reduce_add_ps(sum) * scale;
      scores[p] = s;
      max = s > max ? s : max;
    }
    float total = 0.0f;
    for (int64_t p = 0; p <= pos; ++p) total += scores[p] = std::exp(scores[p] - max);
    for (int64_t i = 0; i < d; i += 16) _mm512_storeu_ps(&acc[i], _mm512_setzero_ps());
    for (int64_t p = 0; p <= pos; ++p) {
      const int64_t row = p * kv.row_stride + kv_offset;
      const __m512 w = _mm512_set1_ps(scores[p]);
      for (int64_t i = 0; i < d; i += 16)
        _mm512_storeu_ps(&acc[i], _mm512_fmadd_ps(w, load16(kv.type, kv.v, row + i), _mm512_loadu_ps(&acc[i])));
    }
    const __m512 inv = _mm512_set1_ps(1.0f / total);
    for (int64_t i = 0; i < d; i += 16) _mm512_storeu_ps(out + h * d + i, _mm512_mul_ps(_mm512_loadu_ps(&acc[i]), inv));
  }
}

}  // namespace trit::kernels
