// Portable body of delta_net() (kernels/delta_net.h): any head_dim, the same two passes per state
// row as the wide bodies, in plain f32 loops.
#include <cmath>

#include "kernels/delta_net.h"

namespace trit::kernels {

void delta_net_generic(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                       int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                       int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                       int64_t head_end) {
  const int64_t d = shape.head_dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int64_t h = head_begin; h < head_end; ++h) {
    const int64_t kh = h % shape.n_k_heads;
    float* s = state + h * d * d;
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* qt = q + t * qk_stride + kh * d;
      const float* kt = k + t * qk_stride + kh * d;
      const float* vt = v + t * v_stride + h * d;
      const float decay = std::exp(g[t * gb_stride + h]);
      const float b = beta[t * gb_stride + h];
      float* ot = out + t * out_stride + h * d;
      for (int64_t j = 0; j < d; ++j) {
        float* row = s + j * d;
        float a = 0.0f;
        for (int64_t i = 0; i < d; ++i) a += row[i] * kt[i];
        const float delta = b * (vt[j] - decay * a);
        float o = 0.0f;
        for (int64_t i = 0; i < d; ++i) {
          row[i] = decay * row[i] + delta * kt[i];
          o += row[i] * qt[i];
        }
        ot[j] = scale * o;
      }
    }
  }
}

}  // namespace trit::kernels
