// The element-wise and normalisation steps of a Qwen3 block (FORMATS.md). They are a small share
// of the time next to the matmuls; kept plain and exact (f32 values, f64 where a sum is long).
#pragma once
#include <cstdint>

namespace trit::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], for one vector of n. out may alias x.
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out);

// RMSNorm applied to each head_dim slice of x ([n_heads][head_dim]) separately, in place.
void rms_norm_heads(float* x, const float* weight, int64_t n_heads, int64_t head_dim, float eps);

// Rotary position embedding, NEOX ("rotate half") form, in place on x = [n_heads][head_dim]:
// dimension i pairs with i + head_dim/2 and turns by pos * base^(-2i/head_dim).
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t pos, double base);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
void silu_mul(const float* gate, const float* up, int64_t n, float* out);

// x += y
void add_in_place(float* x, const float* y, int64_t n);

}  // namespace trit::kernels
