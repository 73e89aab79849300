// The element-wise and normalisation steps of a Qwen3 block (docs/formats.md): f32 values, f64 where a
// sum is long. rms_norm, silu_mul and add_in_place run an AVX-512 body where the CPU has one
// (ops_bodies.h), chosen once; so does narrow_to_f16.
#pragma once
#include <cstdint>

namespace trit::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], for one vector of n. out may alias x.
void rms_norm(const float* x, const float* weight, int64_t n, float eps, float* out);

// RMSNorm applied to each head_dim slice of x ([n_heads][head_dim]) separately, in place.
void rms_norm_heads(float* x, const float* weight, int64_t n_heads, int64_t head_dim, float eps);

// Rotary position embedding, NEOX ("rotate half") form, on the first rotary_dims of each head
// (all of them for Qwen3; 64 of 256 for qwen35; the rest pass unchanged): dimension i pairs with
// i + rotary_dims/2 and turns by the angle pos * base^(-2i/rotary_dims). rope_angles writes cos and
// sin of those angles (rotary_dims/2 each, computed in f64) for one position, once per forward
// pass; rope_neox turns x = [n_heads][head_dim] in place by them.
void rope_angles(int64_t pos, int64_t rotary_dims, double base, float* cos_out, float* sin_out);
void rope_neox(float* x, int64_t n_heads, int64_t head_dim, int64_t rotary_dims, const float* cos_table,
               const float* sin_table);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)).
void silu_mul(const float* gate, const float* up, int64_t n, float* out);

// x += y
void add_in_place(float* x, const float* y, int64_t n);

// out[i] = x[i] as IEEE half, rounded to nearest even (formats::f32_to_fp16, bit for bit on every
// non-NaN value): the f16 KV cache's stores.
void narrow_to_f16(const float* x, int64_t n, uint16_t* out);

// Bonsai 2's rotation (model/hadamard.h): x <- H_B (signs ⊙ x) on each block of `block`
// consecutive values, in place; signs may be null (no flip). H_B is the normalised Sylvester
// Walsh-Hadamard matrix, H[r][c] = (-1)^popcount(r & c) / sqrt(B): symmetric and orthonormal, so
// H_B H_B = I. n is a multiple of block, block a power of two. A fast transform: log2(B) passes of
// butterflies (a, b) -> (a + b, a - b), B log2 B additions per block.
void hadamard_blocks(float* x, int64_t n, int64_t block, const float* signs);

}  // namespace trit::kernels
