#include "kernels/ops.h"

#include <cmath>

#include "formats/fp16.h"
#include "kernels/kernel_set.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {
namespace {

void rms_norm_generic(const float* x, const float* weight, int64_t n, float eps, float* out) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  float scale = static_cast<float>(1.0 / std::sqrt(sum / n + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void silu_mul_generic(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add_in_place_generic(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void narrow_to_f16_generic(const float* x, int64_t n, uint16_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = formats::f32_to_fp16(x[i]);
}

const OpsBodies kGenericOps{rms_norm_generic, silu_mul_generic, add_in_place_generic, narrow_to_f16_generic,
                            hadamard_blocks_generic};

const OpsBodies& chosen() { return active_kernel_set().ops; }

}  // namespace

void hadamard_blocks_generic(float* x, int64_t n, int64_t block, const float* signs) {
  // The 1/sqrt(B) goes in with the signs: the transform is linear.
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(block)));
  for (int64_t i = 0; i < n; ++i) x[i] *= signs ? signs[i] * scale : scale;
  for (int64_t b = 0; b < n; b += block) {
    float* v = x + b;
    for (int64_t h = 1; h < block; h *= 2)
      for (int64_t i = 0; i < block; i += 2 * h)
        for (int64_t j = i; j < i + h; ++j) {
          const float a = v[j], c = v[j + h];
          v[j] = a + c;
          v[j + h] = a - c;
        }
  }
}

const OpsBodies& generic_ops() { return kGenericOps; }

void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out) {
  chosen().rms_norm(x, weight, n, eps, out);
}

void rms_norm_heads(float* x, const float* weight, int64_t n_heads, int64_t head_dim, float eps) {
  for (int64_t h = 0; h < n_heads; ++h) rms_norm(x + h * head_dim, weight, head_dim, eps, x + h * head_dim);
}

void rope_angles(int64_t pos, int64_t rotary_dims, double base, float* cos_out, float* sin_out) {
  for (int64_t i = 0; i < rotary_dims / 2; ++i) {
    const double angle = static_cast<double>(pos) * std::pow(base, -2.0 * static_cast<double>(i) / rotary_dims);
    cos_out[i] = static_cast<float>(std::cos(angle));
    sin_out[i] = static_cast<float>(std::sin(angle));
  }
}

void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t rotary_dims, const float* cos_table,
               const float* sin_table) {
  const int64_t half = rotary_dims / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float a = v[i], b = v[i + half];
      v[i] = a * cos_table[i] - b * sin_table[i];
      v[i + half] = a * sin_table[i] + b * cos_table[i];
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) { chosen().silu_mul(gate, up, n, out); }

void add_in_place(float* x, const float* y, int64_t n) { chosen().add_in_place(x, y, n); }

void narrow_to_f16(const float* x, int64_t n, uint16_t* out) { chosen().narrow_to_f16(x, n, out); }

void hadamard_blocks(float* x, int64_t n, int64_t block, const float* signs) {
  chosen().hadamard_blocks(x, n, block, signs);
}

}  // namespace trit::kernels
