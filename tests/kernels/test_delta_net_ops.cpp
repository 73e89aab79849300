// The Gated DeltaNet mixer's small steps (delta_net_ops.h) against f64 formulas written out: the
// causal conv over the state and a run of tokens (fewer tokens than the window too, in place, split
// runs), L2 norm with its eps floor, the gated RMS norm, and the decay / beta gates.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/delta_net_ops.h"
#include "util/error.h"

namespace trit::kernels {
namespace {

std::vector<float> random_vector(std::mt19937& rng, int64_t n, float sigma) {
  std::normal_distribution<float> normal(0.0f, sigma);
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

double silu64(double x) { return x / (1.0 + std::exp(-x)); }

TEST(DeltaNetOps, CausalConvMatchesTheWindowedSumOverStateAndTokens) {
  std::mt19937 rng(21);
  for (int64_t kernel : {1, 2, 4, 5})
    for (int64_t channels : {1, 19, 64, 70, 130})
      for (int64_t tokens : {1, 2, 5, 17}) {
        const int64_t past = kernel - 1, stride = channels + 3;
        const auto state0 = random_vector(rng, past * channels, 1.0f);
        const auto x = random_vector(rng, tokens * stride, 1.0f);
        const auto w = random_vector(rng, kernel * channels, 0.5f);
        // The whole input sequence: the state's rows, then the tokens.
        std::vector<double> seq;
        for (int64_t p = 0; p < past; ++p)
          for (int64_t c = 0; c < channels; ++c) seq.push_back(state0[p * channels + c]);
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t c = 0; c < channels; ++c) seq.push_back(x[t * stride + c]);
        const std::string where = "K=" + std::to_string(kernel) + " channels=" + std::to_string(channels) +
                                  " tokens=" + std::to_string(tokens);

        std::vector<float> state = state0, out(tokens * stride, 42.0f);
        causal_conv1d_silu(state.data(), x.data(), stride, tokens, w.data(), kernel, channels, out.data(), stride);
        for (int64_t t = 0; t < tokens; ++t) {
          for (int64_t c = 0; c < channels; ++c) {
            double sum = 0;
            for (int64_t k = 0; k < kernel; ++k) sum += seq[(t + k) * channels + c] * w[c * kernel + k];
            ASSERT_NEAR(out[t * stride + c], silu64(sum), 1e-5 * (1 + std::fabs(silu64(sum))))
                << where << " t=" << t << " ch=" << c;
          }
          for (int64_t c = channels; c < stride; ++c) ASSERT_EQ(out[t * stride + c], 42.0f) << where;
        }
        // The new state is the last K-1 inputs of the sequence, oldest first.
        for (int64_t p = 0; p < past; ++p)
          for (int64_t c = 0; c < channels; ++c)
            ASSERT_EQ(state[p * channels + c], static_cast<float>(seq[(tokens + p) * channels + c])) << where;

        // In place gives the same bits.
        std::vector<float> state_in_place = state0, y = x;
        causal_conv1d_silu(state_in_place.data(), y.data(), stride, tokens, w.data(), kernel, channels, y.data(),
                           stride);
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t c = 0; c < channels; ++c) ASSERT_EQ(y[t * stride + c], out[t * stride + c]) << where;
        EXPECT_EQ(state_in_place, state) << where;

        // One token at a time through the state gives the same bits as the run.
        std::vector<float> state_steps = state0, out_steps(tokens * stride, 42.0f);
        for (int64_t t = 0; t < tokens; ++t)
          causal_conv1d_silu(state_steps.data(), x.data() + t * stride, stride, 1, w.data(), kernel, channels,
                             out_steps.data() + t * stride, stride);
        EXPECT_EQ(out_steps, out) << where;
        EXPECT_EQ(state_steps, state) << where;
      }
}

TEST(DeltaNetOps, CausalConvRejectsABadKernel) {
  float x = 0;
  EXPECT_THROW(causal_conv1d_silu(&x, &x, 1, 1, &x, 0, 1, &x, 1), Error);
  EXPECT_THROW(causal_conv1d_silu(&x, &x, 1, 1, &x, 4, -1, &x, 1), Error);
}

TEST(DeltaNetOps, L2NormDividesByTheNormFlooredAtEps) {
  std::mt19937 rng(22);
  for (int64_t d : {1, 7, 128, 131}) {
    const int64_t heads = 4;
    auto x = random_vector(rng, heads * d, 2.0f);
    for (int64_t i = 0; i < d; ++i) {
      x[2 * d + i] = 0.0f;           // a zero head stays zero (no NaN)
      x[3 * d + i] = 1e-9f * (i + 1);  // norm below eps: divided by eps, not by the norm
    }
    const float eps = 1e-6f;
    auto y = x;
    l2_norm_heads(y.data(), heads, d, eps);
    for (int64_t h = 0; h < heads; ++h) {
      double sum = 0;
      for (int64_t i = 0; i < d; ++i) sum += double(x[h * d + i]) * x[h * d + i];
      const double denom = std::max(std::sqrt(sum), double(eps));
      for (int64_t i = 0; i < d; ++i) {
        const double expected = x[h * d + i] / denom;
        ASSERT_NEAR(y[h * d + i], expected, 1e-6 * (1 + std::fabs(expected))) << "d=" << d << " head " << h;
      }
    }
  }
}

TEST(DeltaNetOps, GatedRmsNormIsNormTimesWeightTimesSiluOfZ) {
  std::mt19937 rng(23);
  for (int64_t d : {1, 16, 128, 129}) {
    const int64_t heads = 5;
    const auto o = random_vector(rng, heads * d, 3.0f), z = random_vector(rng, heads * d, 2.0f);
    const auto w = random_vector(rng, d, 1.0f);
    const float eps = 1e-6f;
    std::vector<float> out(heads * d + 1, 42.0f);
    gated_rms_norm(o.data(), z.data(), w.data(), heads, d, eps, out.data());
    for (int64_t h = 0; h < heads; ++h) {
      double sum = 0;
      for (int64_t i = 0; i < d; ++i) sum += double(o[h * d + i]) * o[h * d + i];
      const double scale = 1.0 / std::sqrt(sum / d + eps);
      for (int64_t i = 0; i < d; ++i) {
        const double expected = o[h * d + i] * scale * w[i] * silu64(z[h * d + i]);
        ASSERT_NEAR(out[h * d + i], expected, 2e-6 * (1 + std::fabs(expected))) << "d=" << d << " head " << h;
      }
    }
    EXPECT_EQ(out[heads * d], 42.0f) << "wrote past the end";
    std::vector<float> in_place = o;
    gated_rms_norm(in_place.data(), z.data(), w.data(), heads, d, eps, in_place.data());
    for (int64_t i = 0; i < heads * d; ++i) ASSERT_EQ(in_place[i], out[i]) << "in place, d=" << d;
  }
}

TEST(DeltaNetOps, GatesAreSoftplusTimesAAndSigmoid) {
  std::mt19937 rng(24);
  const int64_t n = 48;
  auto alpha = random_vector(rng, n, 4.0f), beta_in = random_vector(rng, n, 3.0f);
  auto dt = random_vector(rng, n, 1.0f), a = random_vector(rng, n, 1.0f);
  for (float& v : a) v = -std::exp(v);  // ssm_a = -exp(A_log)
  alpha[0] = 30.0f;                     // softplus' pass-through side
  alpha[1] = -40.0f;                    // and its far negative side: g -> 0
  beta_in[0] = -100.0f;
  beta_in[1] = 100.0f;
  std::vector<float> g(n), beta(n);
  delta_net_gates(alpha.data(), beta_in.data(), dt.data(), a.data(), n, g.data(), beta.data());
  for (int64_t h = 0; h < n; ++h) {
    const double x = double(alpha[h] + dt[h]);
    const double sp = x > 20 ? x : std::log1p(std::exp(x));
    ASSERT_NEAR(g[h], sp * a[h], 2e-6 * (1 + std::fabs(sp * a[h]))) << "h=" << h << " x=" << x;
    EXPECT_LE(g[h], 0.0f) << "h=" << h;
    const double s = 1.0 / (1.0 + std::exp(-double(beta_in[h])));
    ASSERT_NEAR(beta[h], s, 1e-7) << "h=" << h;
  }
  EXPECT_EQ(softplus(25.0f), 25.0f);
  EXPECT_NEAR(softplus(0.0f), std::log(2.0), 1e-7);
}

}  // namespace
}  // namespace trit::kernels
