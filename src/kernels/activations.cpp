#include "kernels/activations.h"

#include <cmath>
#include <vector>

namespace trit::kernels {

void resize_activations(QuantizedActivations& out, int64_t n_tokens, int64_t cols, int64_t group) {
  out.n_tokens = n_tokens;
  out.cols = cols;
  out.group = group;
  out.blocks = cols / group;
  out.q.resize(static_cast<size_t>(n_tokens * cols + 64));
  out.scale.resize(static_cast<size_t>(n_tokens * out.blocks));
  out.sum.resize(static_cast<size_t>(n_tokens * out.blocks));
}

void quantize_tokens_generic(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end) {
  const int64_t cols = out.cols, group = out.group;
  for (int64_t t = t_begin; t < t_end; ++t) {
    for (int64_t b = 0; b < out.blocks; ++b) {
      const float* src = x + t * cols + b * group;
      int8_t* q = out.q + t * cols + b * group;
      float amax = 0.0f;
      for (int64_t k = 0; k < group; ++k) amax = std::fmax(amax, std::fabs(src[k]));
      const float scale = amax / 127.0f;
      const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
      int32_t sum = 0;
      for (int64_t k = 0; k < group; ++k) {
        // |src * inv| <= 127 up to rounding; the clamp guards the last ulp.
        float v = std::nearbyint(src[k] * inv);
        v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
        q[k] = static_cast<int8_t>(v);
        sum += q[k];
      }
      out.scale[t * out.blocks + b] = scale;
      out.sum[t * out.blocks + b] = sum;
    }
  }
}

const char* activation_precision_name(ActivationPrecision p) {
  return p == ActivationPrecision::int8x2 ? "int8x2" : "int8";
}

void quantize_residual_tokens(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end,
                              QuantizeTokensFn quantize) {
  const int64_t n = out.n_tokens / 2, cols = out.cols;
  static thread_local std::vector<float> residual;
  residual.resize(static_cast<size_t>(cols));
  for (int64_t t = t_begin; t < t_end; ++t) {
    const int8_t* q = out.q + t * cols;
    const float* s = out.scale + t * out.blocks;
    for (int64_t k = 0; k < cols; ++k)
      residual[k] = x[t * cols + k] - static_cast<float>(q[k]) * s[k / out.group];
    // Row n + t of `out`, as a one-token activation set.
    const int64_t row = n + t;
    const ActivationsOut lo{out.q + row * cols, out.scale + row * out.blocks, out.sum + row * out.blocks, 1, cols,
                            out.group, out.blocks};
    quantize(residual.data(), lo, 0, 1);
  }
}

void quantize_activations(const float* x, int64_t n_tokens, int64_t cols, int64_t group,
                          QuantizedActivations& out) {
  resize_activations(out, n_tokens, cols, group);
  quantize_tokens_generic(x, out.out(), 0, n_tokens);
}

}  // namespace trit::kernels
