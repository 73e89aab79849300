// The element-wise bodies of every ISA this CPU runs against plain f64 formulas, at odd lengths
// (masked tails), and RoPE against the rotation written out.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "formats/fp16.h"
#include "kernels/every_ops_body.h"
#include "kernels/isa.h"
#include "kernels/ops.h"
#include "kernels/ops_bodies.h"

namespace trit::kernels {
namespace {

std::vector<std::pair<std::string, const OpsBodies*>> bodies() { return every_ops_body(); }

std::vector<float> random_vector(std::mt19937& rng, int64_t n, float sigma) {
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(Ops, RmsNormMatchesF64) {
  std::mt19937 rng(1);
  for (int64_t n : {1, 15, 16, 17, 128, 2560, 2563}) {
    auto x = random_vector(rng, n, 3.0f), w = random_vector(rng, n, 1.0f);
    double sum = 0;
    for (float v : x) sum += double(v) * v;
    const double scale = 1.0 / std::sqrt(sum / n + 1e-6);
    for (auto& [name, ops] : bodies()) {
      std::vector<float> out(n + 1, NAN);
      out[n] = 42.0f;  // past the end: must stay untouched
      ops->rms_norm(x.data(), w.data(), n, 1e-6f, out.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(out[i], x[i] * scale * w[i], 1e-5 * (1 + std::fabs(x[i] * scale * w[i]))) << name << " n=" << n << " i=" << i;
      EXPECT_EQ(out[n], 42.0f) << name;
      // In place (out aliases x), as rms_norm_heads uses it.
      std::vector<float> y = x;
      ops->rms_norm(y.data(), w.data(), n, 1e-6f, y.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], out[i]) << name << " in place, n=" << n;
    }
  }
}

TEST(Ops, SiluMulMatchesF64) {
  std::mt19937 rng(2);
  for (int64_t n : {1, 7, 16, 33, 9728, 9731}) {
    auto g = random_vector(rng, n, 4.0f), u = random_vector(rng, n, 1.0f);
    g[0] = -120.0f;  // exp overflow side: silu -> -0
    if (n > 1) g[1] = 95.0f;
    for (auto& [name, ops] : bodies()) {
      std::vector<float> out(n + 1, NAN);
      out[n] = 42.0f;
      ops->silu_mul(g.data(), u.data(), n, out.data());
      for (int64_t i = 0; i < n; ++i) {
        const double expected = double(g[i]) / (1.0 + std::exp(-double(g[i]))) * u[i];
        ASSERT_NEAR(out[i], expected, 2e-6 * (1 + std::fabs(expected))) << name << " n=" << n << " g=" << g[i];
      }
      EXPECT_EQ(out[n], 42.0f) << name;
    }
  }
}

TEST(Ops, AddInPlaceIsExact) {
  std::mt19937 rng(3);
  for (int64_t n : {1, 17, 2560, 2561}) {
    auto x = random_vector(rng, n + 1, 1.0f), y = random_vector(rng, n, 1.0f);
    for (auto& [name, ops] : bodies()) {
      std::vector<float> z = x;
      ops->add_in_place(z.data(), y.data(), n);
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(z[i], x[i] + y[i]) << name;
      EXPECT_EQ(z[n], x[n]) << name << ": wrote past the end";
    }
  }
}

TEST(Ops, NarrowToF16MatchesTheScalarConversionBitForBit) {
  std::mt19937 rng(11);
  // Every range the conversion has a branch for: normal, subnormal and zero results, overflow to
  // infinity, exact ties between two halves (rounded to even), infinities; NaN stays NaN.
  std::vector<float> x;
  for (float sigma : {1e-7f, 1e-5f, 1.0f, 300.0f, 7e4f}) {
    auto v = random_vector(rng, 301, sigma);
    x.insert(x.end(), v.begin(), v.end());
  }
  for (float special : {0.0f, -0.0f, 65504.0f, 65520.0f, -65520.0f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048,
                        5.9604645e-8f, 2.9802322e-8f, std::numeric_limits<float>::infinity(),
                        -std::numeric_limits<float>::infinity()})
    x.push_back(special);
  for (const auto& [name, ops] : bodies()) {
    for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{17}, static_cast<int64_t>(x.size())}) {
      std::vector<uint16_t> out(n + 1, 0xabcd);
      ops->narrow_to_f16(x.data(), n, out.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(out[i], formats::f32_to_fp16(x[i])) << name << " x=" << x[i];
      EXPECT_EQ(out[n], 0xabcd) << name << ": wrote past the end";
    }
    uint16_t h = 0;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    ops->narrow_to_f16(&nan, 1, &h);
    EXPECT_TRUE(std::isnan(formats::fp16_to_f32(h))) << name;
  }
}

// Full rotation (Qwen3: rotary == d) and partial (qwen35: the first quarter of each head turns,
// the rest is untouched).
TEST(Ops, RopeTurnsEachPairOfTheRotaryDimsByItsAngle) {
  for (const int64_t rotary : {16, 6}) {
    const int64_t heads = 3, d = 16, pos = 37, half = rotary / 2;
    const double base = 1000000.0;
    std::mt19937 rng(4);
    auto x = random_vector(rng, heads * d, 1.0f);
    std::vector<float> c(half), s(half);
    rope_angles(pos, rotary, base, c.data(), s.data());
    std::vector<float> y = x;
    rope_neox(y.data(), heads, d, rotary, c.data(), s.data());
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t i = 0; i < half; ++i) {
        const double angle = pos * std::pow(base, -2.0 * i / rotary);
        const double a = x[h * d + i], b = x[h * d + i + half];
        EXPECT_NEAR(y[h * d + i], a * std::cos(angle) - b * std::sin(angle), 1e-5) << rotary;
        EXPECT_NEAR(y[h * d + i + half], a * std::sin(angle) + b * std::cos(angle), 1e-5) << rotary;
      }
      for (int64_t i = rotary; i < d; ++i) EXPECT_EQ(y[h * d + i], x[h * d + i]) << "rotary " << rotary << " dim " << i;
    }
  }
}

}  // namespace
}  // namespace trit::kernels
