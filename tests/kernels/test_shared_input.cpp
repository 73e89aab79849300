// multiply_shared_input() gives each matrix exactly what its own multiply() gives, on every ISA,
// for ternary sets that share one quantized input and for mixed sets that fall back.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/isa.h"
#include "kernels/matmul.h"
#include "matrix_fixtures.h"

namespace trit::kernels {
namespace {

using formats::Format;

void check(const std::vector<Format>& formats, const std::vector<int64_t>& rows, int64_t cols, int64_t n_tokens,
           Isa isa, int threads, ActivationPrecision precision = ActivationPrecision::int8) {
  std::mt19937 rng(static_cast<uint32_t>(cols + n_tokens * 7 + threads));
  std::vector<testing::RandomMatrix> ms;
  std::vector<std::unique_ptr<PreparedMatrix>> prepared;
  for (size_t i = 0; i < formats.size(); ++i) {
    ms.push_back(testing::make_random_matrix(formats[i], rows[i], cols, rng));
    prepared.push_back(prepare_matrix(ms.back().view(), isa, precision));
  }
  const std::vector<float> x = testing::make_random_activations(n_tokens, cols, rng);
  ThreadPool pool(threads);
  std::vector<std::vector<float>> alone(3), shared(3);
  for (size_t i = 0; i < 3; ++i) {
    alone[i].assign(n_tokens * rows[i], NAN);
    shared[i].assign(n_tokens * rows[i], NAN);
    prepared[i]->multiply(x.data(), n_tokens, alone[i].data(), pool);
  }
  multiply_shared_input({prepared[0].get(), prepared[1].get(), prepared[2].get()}, x.data(), n_tokens,
                        {shared[0].data(), shared[1].data(), shared[2].data()}, pool);
  for (size_t i = 0; i < 3; ++i)
    for (size_t j = 0; j < alone[i].size(); ++j)
      ASSERT_EQ(shared[i][j], alone[i][j]) << isa_name(isa) << " matrix " << i << " (" << ms[i].type->name
                                           << ") element " << j << " n=" << n_tokens << " threads=" << threads
                                           << " activations " << activation_precision_name(precision);
}

TEST(SharedInput, EachMatrixGetsWhatItsOwnMultiplyGives) {
  for (Isa isa : supported_isas())
    for (int threads : {1, 2, 3})
      for (int64_t n : {1, 3, 9}) {
        // q, k, v shaped: one wide and two narrow matrices, rows not multiples of a panel.
        check({Format::q2_0_g128, Format::q2_0_g128, Format::q2_0_g128}, {53, 17, 17}, 384, n, isa, threads);
        check({Format::q2_0_g64, Format::q2_0_g64, Format::q2_0_g64}, {40, 9, 33}, 256, n, isa, threads);
        check({Format::q1_0, Format::q1_0, Format::q1_0}, {31, 16, 1}, 256, n, isa, threads);
        // Mixed kernel sets fall back to one multiply per matrix.
        check({Format::q2_0_g128, Format::f16, Format::q2_0_g64}, {21, 7, 19}, 256, n, isa, threads);
        // Two-term activations: shared scratch per matrix, folded into each output.
        check({Format::q2_0_g128, Format::q2_0_g128, Format::q2_0_g128}, {53, 17, 17}, 384, n, isa, threads,
              ActivationPrecision::int8x2);
        check({Format::q1_0, Format::q1_0, Format::q1_0}, {31, 16, 1}, 256, n, isa, threads,
              ActivationPrecision::int8x2);
      }
}

}  // namespace
}  // namespace trit::kernels
