// The Gated DeltaNet recurrence of Qwen3.5's linear-attention layers (docs: shared/QWEN35.md, "GDN
// mixer"), one sequence, f32.
//
// Math. For value head h, key head kh = h % n_k_heads (the tiled order the GGUF files store), state
// S_h[i][j] (i over key dims, j over value dims, head_dim each, zero at the first token), and per
// token t the L2-normalised q_t, k_t of key head kh, v_t of head h, the log decay g_t[h] <= 0 and
// beta_t[h] in (0, 1):
//   S <- exp(g) S
//   delta_j = beta (v_j - sum_i S[i][j] k_i)
//   S[i][j] += k_i delta_j
//   o_j = scale sum_i S[i][j] q_i,   scale = 1/sqrt(head_dim)
// The order (decay before the delta, scale on the output) is that of llama.cpp's fused CPU op
// GATED_DELTA_NET (ggml-cpu/ops.cpp), which also keeps S transposed as here.
//
// Layout. The state is stored transposed, state[h][j][i] = S_h[i][j], so every value index j owns a
// contiguous row of head_dim floats over i, and both sums over i are dot products along that row.
// The bodies make two passes per row (the row stays in L1 between them):
//   pass 1: a = row . k;  delta_j = beta (v_j - exp(g) a)         (exp(g) once per token and head)
//   pass 2: row <- exp(g) row + delta_j k;  o_j = scale (row . q)
// which is the formula above with the decay folded into the dot product of pass 1.
//
// Heads are the outer loop and tokens the inner one, so a head's state (64 KiB at head_dim 128)
// stays in L1/L2 across a run of prompt tokens; a run gives the same numbers as one token at a time.
#pragma once
#include <cstdint>

namespace trit::kernels {

struct DeltaNetShape {
  int64_t n_k_heads = 0;  // key (and query) heads
  int64_t n_v_heads = 0;  // value heads, a multiple of n_k_heads
  int64_t head_dim = 0;   // key dim == value dim
};

// Advances value heads [head_begin, head_end) of one sequence over n_tokens consecutive tokens.
// state: [n_v_heads][head_dim (j, value)][head_dim (i, key)] f32, updated in place.
// q, k: token t at q + t*qk_stride, [n_k_heads][head_dim]; v: v + t*v_stride, [n_v_heads][head_dim];
// g, beta: g + t*gb_stride, [n_v_heads]; out: out + t*out_stride, [n_v_heads][head_dim].
// Only heads [head_begin, head_end) of state and out are touched, so callers can split heads over
// threads. A bad shape or head range throws trit::Error.
void delta_net(float* state, const float* q, const float* k, int64_t qk_stride, const float* v, int64_t v_stride,
               const float* g, const float* beta, int64_t gb_stride, float* out, int64_t out_stride,
               int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin, int64_t head_end);

// The per-ISA bodies behind delta_net(), gathered into the KernelSet (kernel_set.h); they take a
// shape and range delta_net() has checked and never test the ISA themselves.
using DeltaNetFn = void (*)(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                            int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                            int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                            int64_t head_end);

void delta_net_generic(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                       int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                       int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                       int64_t head_end);
// Need head_dim a multiple of 8 (delta_net() falls back to the generic body otherwise).
void delta_net_avx2(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                    int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                    int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                    int64_t head_end);
void delta_net_avx512(float* state, const float* q, const float* k, int64_t qk_stride, const float* v,
                      int64_t v_stride, const float* g, const float* beta, int64_t gb_stride, float* out,
                      int64_t out_stride, int64_t n_tokens, const DeltaNetShape& shape, int64_t head_begin,
                      int64_t head_end);

}  // namespace trit::kernels
