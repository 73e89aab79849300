// Random weights for synthetic models, generated straight in their storage layout, row by row.
//
// Each tensor has its own random stream seeded from (seed, tensor name), so a tensor's values do
// not depend on which other tensors a preset has or on how rows are chunked for writing.
//
// Ternary matrices (q2_0 g128 and the float types derived from it, q2_0 g64): per group one scale
// d = U(0.5, 1.5) / sqrt(0.6 * cols), then codes -1/0/+1 with probabilities 77/256, 102/256,
// 77/256 (about 30/40/30 %). Var(w) = 0.6 d^2, so a row dotted with an RMS-normalised input has
// variance about U^2: activations stay O(1) through the layers. d is rounded to 8 significant
// bits, so it is exact in f16 and in bf16: the bf16 variant holds the same values as the others.
// Q1_0 matrices: signs +-d with d = U(0.5, 1.5) / sqrt(cols) (Var(w) = d^2).
// Norm weights (F32): 1 + U(-0.05, 0.05), stored as the multiplier (the files' 1 + w convention).
//
// Gated DeltaNet parameters (qwen35), chosen so a 64-layer model stays O(1) without inf/NaN:
//   ssm_a       = -exp(A_log), A_log ~ U(log 1, log 16): a in [-16, -1] (the HF init draws A in
//                 (0, 16); we keep it away from 0 so every head forgets);
//   ssm_dt.bias = softplus^-1(dt), dt log-uniform in [0.001, 0.1] (Mamba's dt init), so the
//                 per-head log-decay g = softplus(alpha + dt_bias) * a is typically -0.001 .. -1
//                 (about -10 .. -1e-4 for |alpha| < 2) and never positive: exp(g) <= 1, and with
//                 beta in (0, 1) and unit-norm keys the delta-rule update is a contraction, so the
//                 recurrent state stays bounded over any number of tokens;
//   ssm_conv1d  = U(-2, 2) per tap: strong enough that SiLU works in its curved range, so v is
//                 O(1) and L2-normalised q and k lean the same way (q.k ~ 0.3, as in a trained
//                 model's related positions). With taps of 1/sqrt(4) the mixer output o = beta
//                 (q.k) v / sqrt(d) sat near the gated norm's eps (mean o^2 ~ 1e-7 vs 1e-6): then
//                 the norm passes o's magnitude through, and with it every rounding of q.k,
//                 which made int8 activations look 10x less exact than they are;
//   ssm_alpha, ssm_beta (BF16 [n_embd, value heads]) = U(-sqrt 3, sqrt 3) / sqrt(cols): dense
//                 (not ternary, as in the real files), unit variance per weight * cols, so
//                 alpha and beta logits are about N(0, 1) for an RMS-normalised input.
#pragma once
#include <cstdint>
#include <string>

#include "formats/type_info.h"

namespace trit::tools {

// xoshiro256** (Blackman and Vigna), seeded through splitmix64: fast, and good enough that
// code statistics come out as designed.
class Rng {
 public:
  Rng(uint64_t seed, const std::string& stream_name);
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 24 bits.
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Produces the rows of one weight matrix of `cols` columns in `type` (a ternary or sign type of the
// registry, or f32, f16, bf16), in order. Codes are drawn per block in element order and written
// by the type's encode_codes, so every ternary type of group 128 (q2_0, pq2_0, ...) holds the same
// weights for a seed; the float types come from q2_0 g128 blocks dequantized, so `f16` of a seed
// equals the dequantized `q2_0` of that seed exactly.
class MatrixGenerator {
 public:
  MatrixGenerator(uint64_t seed, const std::string& name, int64_t cols, const formats::TypeInfo& type);
  // Writes the next `rows` rows (rows * type.bytes_for(cols) bytes) to `out`.
  void next_rows(int64_t rows, uint8_t* out);

 private:
  // One row of blocks of a coded type.
  void coded_row(const formats::TypeInfo& type, uint8_t* out);

  Rng rng_;
  int64_t cols_;
  const formats::TypeInfo& type_;
  float scale_base_;
};

// Fills n F32 values of the tensor `name` from its own stream (seed, name).
using VectorFill = void (*)(uint64_t seed, const std::string& name, int64_t n, float* out);

// A norm weight vector (F32): 1 + small noise.
void fill_norm(uint64_t seed, const std::string& name, int64_t n, float* out);
// Gated DeltaNet per-value-head parameters and conv taps (F32), as in the header comment.
void fill_ssm_a(uint64_t seed, const std::string& name, int64_t n, float* out);
void fill_ssm_dt_bias(uint64_t seed, const std::string& name, int64_t n, float* out);
void fill_conv1d(uint64_t seed, const std::string& name, int64_t n, float* out);

// A dense BF16 matrix of rows x cols (row-major, bf16 bits), as in the header comment.
void fill_dense_bf16(uint64_t seed, const std::string& name, int64_t cols, int64_t rows, uint16_t* out);

}  // namespace trit::tools
