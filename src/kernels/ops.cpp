#include "kernels/ops.h"

#include <cmath>

namespace trit::kernels {

void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  float scale = static_cast<float>(1.0 / std::sqrt(sum / n + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void rms_norm_heads(float* x, const float* weight, int64_t n_heads, int64_t head_dim, float eps) {
  for (int64_t h = 0; h < n_heads; ++h) rms_norm(x + h * head_dim, weight, head_dim, eps, x + h * head_dim);
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, double base) {
  const int64_t half = head_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    double angle = static_cast<double>(pos) * std::pow(base, -2.0 * static_cast<double>(i) / head_dim);
    float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      float a = v[i], b = v[i + half];
      v[i] = a * c - b * s;
      v[i + half] = a * s + b * c;
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add_in_place(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace trit::kernels
