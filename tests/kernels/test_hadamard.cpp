// The Walsh-Hadamard bodies of every ISA this CPU runs against the transform written out as a
// matrix product in f64 (H[r][c] = (-1)^popcount(r & c) / sqrt(B)), for every block size from 2
// to 1024, several blocks per row, with and without signs.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/every_ops_body.h"
#include "kernels/isa.h"
#include "kernels/ops.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {
namespace {

std::vector<std::pair<std::string, const OpsBodies*>> bodies() { return every_ops_body(); }

// y = H_B (s ⊙ x) blockwise, as a dense product.
std::vector<double> hadamard_product(const std::vector<float>& x, int64_t block, const std::vector<float>* signs) {
  std::vector<double> y(x.size(), 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(block));
  for (size_t b = 0; b < x.size(); b += block)
    for (int64_t r = 0; r < block; ++r)
      for (int64_t c = 0; c < block; ++c) {
        const double h = std::popcount(static_cast<uint64_t>(r & c)) % 2 ? -scale : scale;
        y[b + r] += h * x[b + c] * (signs ? (*signs)[b + c] : 1.0f);
      }
  return y;
}

TEST(Hadamard, EveryBodyMatchesTheMatrixProduct) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (const auto& [name, ops] : bodies())
    for (int64_t block = 2; block <= 1024; block *= 2)
      for (int64_t blocks : {1, 3})
        for (bool with_signs : {false, true}) {
          const int64_t n = block * blocks;
          std::vector<float> x(n), signs(n);
          for (float& v : x) v = normal(rng);
          for (float& s : signs) s = rng() % 2 ? 1.0f : -1.0f;
          const std::vector<double> want = hadamard_product(x, block, with_signs ? &signs : nullptr);
          ops->hadamard_blocks(x.data(), n, block, with_signs ? signs.data() : nullptr);
          double err = 0, norm = 0;
          for (int64_t i = 0; i < n; ++i) {
            err = std::max(err, std::abs(x[i] - want[i]));
            norm = std::max(norm, std::abs(want[i]));
          }
          EXPECT_LT(err, 2e-6 * norm * std::log2(block) + 1e-30)
              << name << " block " << block << " x" << blocks << (with_signs ? " signed" : "");
        }
}

// H H = I: the transform undoes itself, which is how a latent embedding row is read back.
TEST(Hadamard, TwiceIsTheIdentity) {
  std::mt19937 rng(6);
  std::normal_distribution<float> normal;
  for (const auto& [name, ops] : bodies()) {
    std::vector<float> x(3 * 1024);
    for (float& v : x) v = normal(rng);
    std::vector<float> y = x;
    ops->hadamard_blocks(y.data(), static_cast<int64_t>(y.size()), 1024, nullptr);
    EXPECT_GT(std::abs(y[5] - x[5]), 0.0f) << name;
    ops->hadamard_blocks(y.data(), static_cast<int64_t>(y.size()), 1024, nullptr);
    for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(y[i], x[i], 1e-5) << name << " at " << i;
  }
}

TEST(Hadamard, TheDispatchedBodyIsOneOfThem) {
  std::vector<float> x(64, 1.0f);
  hadamard_blocks(x.data(), 64, 64, nullptr);
  EXPECT_NEAR(x[0], 8.0f, 1e-6);  // the all-ones row: 64 / sqrt(64)
  for (int i = 1; i < 64; ++i) EXPECT_NEAR(x[i], 0.0f, 1e-6) << i;
}

}  // namespace
}  // namespace trit::kernels
