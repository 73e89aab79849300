// Random weight matrices in every format for the kernel tests and benchmarks, and the plain
// scalar reference they are checked against (dequantize a row with the format's reference
// function, then an f64 dot).
#pragma once
#include <cstdint>
#include <random>
#include <vector>

#include "formats/type_info.h"
#include "kernels/matmul.h"

namespace trit::kernels::testing {

struct RandomMatrix {
  const formats::TypeInfo* type = nullptr;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> bytes;
  MatrixView view() const {
    return MatrixView{type, rows, cols, bytes.data(), type->bytes_for(static_cast<uint64_t>(cols))};
  }
};

// Ternary formats get uniformly random codes (Q2_0 includes code 3 = +2) and random f16 scales,
// about one block in eight with scale 0; float formats quantize random normal values.
RandomMatrix make_random_matrix(formats::Format format, int64_t rows, int64_t cols, std::mt19937& rng);
RandomMatrix make_random_matrix(const formats::TypeInfo& type, int64_t rows, int64_t cols, std::mt19937& rng);

// Activations: normal values with rare 10x outliers (as in LLM hidden states) and, when cols allow, one all-zero block.
std::vector<float> make_random_activations(int64_t n_tokens, int64_t cols, std::mt19937& rng);

// y_ref[t * rows + r] in f64, plus per output the sum of |w * x| (for relative tolerances) and
// the worst-case int8 activation error sum_b (max|x_b| / 127 / 2) * sum_{c in b} |w_c| with
// blocks of `group` elements (0: none).
struct Reference {
  std::vector<double> y;
  std::vector<double> abs_sum;
  std::vector<double> quant_bound;
};
Reference reference_multiply(const RandomMatrix& m, const float* x, int64_t n_tokens, int64_t group);

}  // namespace trit::kernels::testing
