// Int8 activations for the ternary kernels.
//
// Each token's row of `cols` floats is cut into blocks of `group` elements (the weight format's
// group: 128 for Q2_0 g128 and Q1_0, 64 for Q2_0 g64) and every block gets its own scale:
//   s = max|x| / 127,  q = round(x / s) in [-127, 127],  sum = sum of the block's q.
// Why per block and not per row: one scale per weight group keeps the int8 error of every block
// relative to that block's own range (a single outlier, common in LLM activations, only coarsens
// its own 128 elements), the error stays at the level of llama.cpp's Q8_0 activations, which are
// known to reproduce reference perplexity; and the kernels need a per-(row-block) float step for
// the weight scale anyway, so the activation scale folds into the same multiply at no extra
// instructions per element.
//
// A weight block with scale d and codes c (value (c - 1) * d) then contributes
//   d * s * (sum_k c_k q_k - sum_k q_k)
// so the code-1 offset costs one precomputed integer per (token, block), nothing per element.
//
// Precision int8x2 (opt-in) adds a second int8 term per token: the residual r = x - s q,
// quantized the same way (its own per-block scale, at most s / 2 / 127). The kernels see 2T
// token rows, [0, T) the values and [T, 2T) their residuals, and each output is the sum of the two
// rows': x is carried to about 1 / (127 * 254) of its block's range instead of 1 / 254, at twice
// the multiply-adds (the weights are still read once). It makes a ternary file's results agree
// with the same weights in f16 to float rounding, not to int8 rounding.
#pragma once
#include <cstdint>
#include <vector>

namespace trit::kernels {

enum class ActivationPrecision { int8, int8x2 };
const char* activation_precision_name(ActivationPrecision p);

// Raw pointers into a QuantizedActivations: the only form the files compiled with wide-ISA flags
// (avx2/, avx512/) see. Code there must not call inline library functions (std::vector members),
// because the linker keeps one copy of each and could pick the wide-ISA one for portable callers.
struct ActivationsView {
  const int8_t* q;       // [n_tokens][cols]
  const float* scale;    // [n_tokens][blocks]
  const int32_t* sum;    // [n_tokens][blocks]
  int64_t n_tokens, cols, group, blocks;
};
struct ActivationsOut {
  int8_t* q;
  float* scale;
  int32_t* sum;
  int64_t n_tokens, cols, group, blocks;
};

struct QuantizedActivations {
  int64_t n_tokens = 0;
  int64_t cols = 0;
  int64_t group = 0;
  int64_t blocks = 0;         // cols / group
  std::vector<int8_t> q;      // [n_tokens][cols] (+64 bytes slack)
  std::vector<float> scale;   // [n_tokens][blocks]
  std::vector<int32_t> sum;   // [n_tokens][blocks]

  const int8_t* token_q(int64_t t) const { return q.data() + t * cols; }
  const float* token_scale(int64_t t) const { return scale.data() + t * blocks; }
  const int32_t* token_sum(int64_t t) const { return sum.data() + t * blocks; }
  ActivationsView view() const { return {q.data(), scale.data(), sum.data(), n_tokens, cols, group, blocks}; }
  ActivationsOut out() { return {q.data(), scale.data(), sum.data(), n_tokens, cols, group, blocks}; }
};

// Sizes `out` (reusing its storage) for x[n_tokens][cols]; cols must be a multiple of group.
void resize_activations(QuantizedActivations& out, int64_t n_tokens, int64_t cols, int64_t group);

// Quantizes tokens [t_begin, t_end) of x into `out` (already sized). Every ISA's version gives
// bit-identical results: q = round-to-nearest-even(x * (127 / max|x|)), scale = max|x| / 127.
using QuantizeTokensFn = void (*)(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end);
void quantize_tokens_generic(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end);
void quantize_tokens_avx2(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end);
void quantize_tokens_avx512(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end);

// int8x2: writes the residuals of tokens [t_begin, t_end) (rows [0, T) of `out`, already
// quantized) as rows [T + t_begin, T + t_end), quantized with `quantize`. out.n_tokens is 2T.
void quantize_residual_tokens(const float* x, const ActivationsOut& out, int64_t t_begin, int64_t t_end,
                              QuantizeTokensFn quantize);

// resize + quantize every token with the portable code.
void quantize_activations(const float* x, int64_t n_tokens, int64_t cols, int64_t group,
                          QuantizedActivations& out);

}  // namespace trit::kernels
