// The small per-token steps of Qwen3.5's Gated DeltaNet mixer around delta_net() (shared/QWEN35.md,
// "GDN mixer"), f32, portable scalar code: next to the weight matmuls and the recurrence they cost
// nothing. Each follows llama.cpp's graph for arch qwen35 (src/models/qwen35.cpp and the ggml CPU
// ops it uses) operation for operation, so the numbers match that oracle closely.
#pragma once
#include <cstdint>

namespace trit::kernels {

// Depthwise causal convolution over time, then SiLU, for n_tokens consecutive tokens of one
// sequence:
//   out_t[ch] = silu(sum_{k=0..K-1} in_{t-K+1+k}[ch] * weight[k + K*ch])
// where in_t is x's token t and in_{-1}, in_{-2}, ... come from conv_state. The sum runs k = 0..K-1
// in f32 (ggml's ssm_conv); silu(s) = s / (1 + exp(-s)).
// conv_state: [K-1][channels], the sequence's last K-1 inputs, oldest first (zeros before the
//   first token); on return it holds the last K-1 inputs after these tokens.
// x: token t at x + t*x_stride, [channels]; out: token t at out + t*out_stride, [channels]. out may
//   be x itself (same stride: in place), not otherwise overlap it.
// weight: the GGUF ssm_conv1d tensor, ggml ne [K, channels]: weight[k + K*ch].
// kernel < 1 or channels < 0 throws trit::Error.
void causal_conv1d_silu(float* conv_state, const float* x, int64_t x_stride, int64_t n_tokens, const float* weight,
                        int64_t kernel, int64_t channels, float* out, int64_t out_stride);

// Each head_dim slice of x ([n_heads][head_dim]) divided by its L2 norm, in place, as ggml_l2_norm:
//   x * 1 / max(sqrt(sum x^2), eps)
// (eps bounds the norm from below; it is not added under the root). The qwen35 graph passes the
// model's attention.layer_norm_rms_epsilon (1e-6) as eps. Sum of squares in f64.
void l2_norm_heads(float* x, int64_t n_heads, int64_t head_dim, float eps);

// The mixer's gated output norm, per head h of [n_heads][head_dim]:
//   out[h][i] = o[h][i] / sqrt(mean_i(o[h]^2) + eps) * weight[i] * silu(z[h][i])
// i.e. RMS norm first, times the (stored 1+w) ssm_norm weight [head_dim], then times silu(z), in
// that order (llama.cpp's build_norm_gated). eps is attention.layer_norm_rms_epsilon. out may
// alias o or z.
void gated_rms_norm(const float* o, const float* z, const float* weight, int64_t n_heads, int64_t head_dim,
                    float eps, float* out);

// ggml's softplus: x above 20 passes through (log(1 + e^x) == x in f32 there), else log(1 + exp(x)).
float softplus(float x);
// 1 / (1 + exp(-x)).
float sigmoid(float x);

// The per-head decay and write strength of one token, n_v_heads each:
//   g[h] = softplus(alpha[h] + dt_bias[h]) * a[h]     (a = ssm_a = -exp(A_log) < 0, so g <= 0)
//   beta[h] = sigmoid(beta_in[h])
// alpha, beta_in: the ssm_alpha and ssm_beta projections of the token; dt_bias: ssm_dt.bias.
void delta_net_gates(const float* alpha, const float* beta_in, const float* dt_bias, const float* a,
                     int64_t n_v_heads, float* g, float* beta);

}  // namespace trit::kernels
