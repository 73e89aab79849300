// delta_net() on every ISA body against the Gated DeltaNet recurrence written out literally in f64
// (S[i][j] not transposed, decay, delta, update, output), at odd head sizes, GQA-style head ratios
// in the tiled order and padded strides; a run of tokens against one token at a time; head
// subranges against the full range; bad shapes rejected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/delta_net.h"
#include "kernels/isa.h"
#include "kernels/kernel_set.h"
#include "util/error.h"

namespace trit::kernels {
namespace {

std::vector<std::pair<std::string, DeltaNetFn>> bodies(int64_t head_dim) {
  // "dispatch" is delta_net(), which picks the ISA body or falls back to generic.
  std::vector<std::pair<std::string, DeltaNetFn>> b = {{"generic", delta_net_generic}, {"dispatch", delta_net}};
  if (head_dim % 8 != 0) return b;  // the wide bodies need a multiple of 8
  for (Isa isa : supported_isas())
    if (isa != Isa::generic) b.push_back({isa_name(isa), kernel_set(isa).delta_net});
  return b;
}

// The inputs of n_tokens tokens laid out as the forward pass has them: one conv output row per
// token holding q, k, v back to back (plus padding), g and beta side by side in one row, and an
// output row with padding that must stay untouched.
struct Inputs {
  DeltaNetShape shape;
  int64_t n_tokens;
  int64_t row, gb_row, out_row;
  std::vector<float> qkv, gb;
  Inputs(const DeltaNetShape& s, int64_t tokens, std::mt19937& rng) : shape(s), n_tokens(tokens) {
    const int64_t d = s.head_dim, qk = s.n_k_heads * d;
    row = 2 * qk + s.n_v_heads * d + 3;
    gb_row = 2 * s.n_v_heads + 1;
    out_row = s.n_v_heads * d + 5;
    qkv.assign(tokens * row, 0.0f);
    gb.assign(tokens * gb_row, 0.0f);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> decay(-1.5f, -0.001f), gate(0.02f, 0.98f);
    for (int64_t t = 0; t < tokens; ++t) {
      float* r = qkv.data() + t * row;
      for (int64_t i = 0; i < row; ++i) r[i] = normal(rng);
      // q and k are L2-normalised per key head, as the mixer feeds them.
      for (int64_t h = 0; h < 2 * s.n_k_heads; ++h) {
        double sum = 0;
        for (int64_t i = 0; i < d; ++i) sum += double(r[h * d + i]) * r[h * d + i];
        for (int64_t i = 0; i < d; ++i) r[h * d + i] = static_cast<float>(r[h * d + i] / std::sqrt(sum));
      }
      for (int64_t h = 0; h < s.n_v_heads; ++h) {
        gb[t * gb_row + h] = (t + h) % 5 == 0 ? 0.0f : decay(rng);  // g = 0: no decay at all
        gb[t * gb_row + s.n_v_heads + h] = gate(rng);
      }
    }
  }
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + shape.n_k_heads * shape.head_dim; }
  const float* v() const { return qkv.data() + 2 * shape.n_k_heads * shape.head_dim; }
  const float* g() const { return gb.data(); }
  const float* beta() const { return gb.data() + shape.n_v_heads; }

  // Runs `body` over tokens [t0, t0 + count) and heads [h0, h1) on `state` and `out`.
  void run(DeltaNetFn body, std::vector<float>& state, std::vector<float>& out, int64_t t0, int64_t count,
           int64_t h0, int64_t h1) const {
    body(state.data(), q() + t0 * row, k() + t0 * row, row, v() + t0 * row, row, g() + t0 * gb_row,
         beta() + t0 * gb_row, gb_row, out.data() + t0 * out_row, out_row, count, shape, h0, h1);
  }
};

// The recurrence as written in QWEN35.md, f64, with S[h][i][j] (key index i, value index j).
// Returns the outputs [t][h][j] and leaves the final state, transposed into the kernels' layout
// [h][j][i], in `state_out`.
std::vector<double> reference(const Inputs& in, std::vector<double>& state_out) {
  const DeltaNetShape& s = in.shape;
  const int64_t d = s.head_dim;
  std::vector<double> S(s.n_v_heads * d * d, 0.0), out(in.n_tokens * s.n_v_heads * d), delta(d);
  for (int64_t t = 0; t < in.n_tokens; ++t) {
    for (int64_t h = 0; h < s.n_v_heads; ++h) {
      const int64_t kh = h % s.n_k_heads;
      const float* q = in.q() + t * in.row + kh * d;
      const float* k = in.k() + t * in.row + kh * d;
      const float* v = in.v() + t * in.row + h * d;
      const double g = in.g()[t * in.gb_row + h], beta = in.beta()[t * in.gb_row + h];
      double* Sh = S.data() + h * d * d;
      for (int64_t x = 0; x < d * d; ++x) Sh[x] *= std::exp(g);
      for (int64_t j = 0; j < d; ++j) {
        double sum = 0;
        for (int64_t i = 0; i < d; ++i) sum += Sh[i * d + j] * k[i];
        delta[j] = beta * (v[j] - sum);
      }
      for (int64_t i = 0; i < d; ++i)
        for (int64_t j = 0; j < d; ++j) Sh[i * d + j] += k[i] * delta[j];
      for (int64_t j = 0; j < d; ++j) {
        double sum = 0;
        for (int64_t i = 0; i < d; ++i) sum += Sh[i * d + j] * q[i];
        out[(t * s.n_v_heads + h) * d + j] = sum / std::sqrt(double(d));
      }
    }
  }
  state_out.assign(S.size(), 0.0);
  for (int64_t h = 0; h < s.n_v_heads; ++h)
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < d; ++j) state_out[(h * d + j) * d + i] = S[(h * d + i) * d + j];
  return out;
}

double rms(const std::vector<double>& x) {
  double sum = 0;
  for (double v : x) sum += v * v;
  return std::sqrt(sum / static_cast<double>(x.size()));
}

constexpr float kSentinel = 42.0f;

TEST(DeltaNet, EveryBodyMatchesTheF64Recurrence) {
  std::mt19937 rng(7);
  for (int64_t d : {16, 20, 24, 64, 128})
    for (int64_t n_k : {1, 2, 3})
      for (int64_t ratio : {1, 2, 3})
        for (int64_t tokens : {1, 7, 33}) {
          if (d == 128 && n_k * ratio > 4 && tokens == 33) continue;  // the f64 reference's time
          const DeltaNetShape shape{n_k, n_k * ratio, d};
          const Inputs in(shape, tokens, rng);
          std::vector<double> ref_state;
          const std::vector<double> ref = reference(in, ref_state);
          // Relative to the typical magnitude, as element-wise relative error is meaningless near
          // a zero crossing.
          const double out_tol = 1e-4 * rms(ref), state_tol = 1e-4 * rms(ref_state);
          for (const auto& [name, body] : bodies(d)) {
            const std::string where = name + " d=" + std::to_string(d) + " n_k=" + std::to_string(n_k) +
                                      " n_v=" + std::to_string(shape.n_v_heads) + " tokens=" + std::to_string(tokens);
            std::vector<float> state(shape.n_v_heads * d * d, 0.0f), out(tokens * in.out_row, kSentinel);
            in.run(body, state, out, 0, tokens, 0, shape.n_v_heads);
            for (int64_t t = 0; t < tokens; ++t) {
              for (int64_t x = 0; x < shape.n_v_heads * d; ++x)
                ASSERT_NEAR(out[t * in.out_row + x], ref[t * shape.n_v_heads * d + x], out_tol)
                    << where << " t=" << t << " head=" << x / d << " j=" << x % d;
              for (int64_t x = shape.n_v_heads * d; x < in.out_row; ++x)
                ASSERT_EQ(out[t * in.out_row + x], kSentinel) << where << ": wrote past the heads";
            }
            for (size_t x = 0; x < state.size(); ++x)
              ASSERT_NEAR(state[x], ref_state[x], state_tol) << where << " state element " << x;
          }
        }
}

TEST(DeltaNet, ARunOfTokensEqualsOneTokenAtATime) {
  std::mt19937 rng(8);
  for (int64_t d : {20, 24, 64, 128}) {
    const DeltaNetShape shape{2, 6, d};
    const int64_t tokens = 33;
    const Inputs in(shape, tokens, rng);
    for (const auto& [name, body] : bodies(d)) {
      std::vector<float> state_run(shape.n_v_heads * d * d, 0.0f), out_run(tokens * in.out_row, kSentinel);
      in.run(body, state_run, out_run, 0, tokens, 0, shape.n_v_heads);
      std::vector<float> state_one(state_run.size(), 0.0f), out_one(out_run.size(), kSentinel);
      for (int64_t t = 0; t < tokens; ++t) in.run(body, state_one, out_one, t, 1, 0, shape.n_v_heads);
      ASSERT_EQ(out_run, out_one) << name << " d=" << d;
      ASSERT_EQ(state_run, state_one) << name << " d=" << d;
      // Uneven chunks (a prompt split into ubatches) carry the state over the same way.
      std::vector<float> state_chunks(state_run.size(), 0.0f), out_chunks(out_run.size(), kSentinel);
      for (int64_t t0 = 0, n = 1; t0 < tokens; t0 += n, n += 4)
        in.run(body, state_chunks, out_chunks, t0, std::min(n, tokens - t0), 0, shape.n_v_heads);
      ASSERT_EQ(out_run, out_chunks) << name << " d=" << d;
      ASSERT_EQ(state_run, state_chunks) << name << " d=" << d;
    }
  }
}

TEST(DeltaNet, HeadRangesTouchOnlyTheirHeadsAndMatchTheFullRange) {
  std::mt19937 rng(9);
  for (int64_t d : {24, 64}) {
    const DeltaNetShape shape{3, 9, d};
    const int64_t tokens = 7;
    const Inputs in(shape, tokens, rng);
    for (const auto& [name, body] : bodies(d)) {
      std::vector<float> state_full(shape.n_v_heads * d * d, 0.0f), out_full(tokens * in.out_row, kSentinel);
      in.run(body, state_full, out_full, 0, tokens, 0, shape.n_v_heads);
      std::vector<float> state(state_full.size(), 0.0f), out(out_full.size(), kSentinel);
      in.run(body, state, out, 0, tokens, 2, 5);
      for (int64_t h = 0; h < shape.n_v_heads; ++h) {
        const bool inside = h >= 2 && h < 5;
        for (int64_t x = 0; x < d * d; ++x)
          ASSERT_EQ(state[h * d * d + x], inside ? state_full[h * d * d + x] : 0.0f) << name << " head " << h;
        for (int64_t t = 0; t < tokens; ++t)
          for (int64_t j = 0; j < d; ++j)
            ASSERT_EQ(out[t * in.out_row + h * d + j], inside ? out_full[t * in.out_row + h * d + j] : kSentinel)
                << name << " head " << h;
      }
      in.run(body, state, out, 0, tokens, 0, 2);
      in.run(body, state, out, 0, tokens, 5, 9);
      in.run(body, state, out, 0, tokens, 9, 9);  // empty: a thread with no heads
      EXPECT_EQ(state, state_full) << name;
      EXPECT_EQ(out, out_full) << name;
    }
  }
}

TEST(DeltaNet, RejectsBadShapesAndRanges) {
  float x = 0.0f;
  auto call = [&](const DeltaNetShape& shape, int64_t h0, int64_t h1) {
    delta_net(&x, &x, &x, 0, &x, 0, &x, &x, 0, &x, 0, 0, shape, h0, h1);
  };
  EXPECT_THROW(call({2, 3, 16}, 0, 3), Error);  // value heads not a multiple of key heads
  EXPECT_THROW(call({2, 4, 0}, 0, 4), Error);
  EXPECT_THROW(call({0, 4, 16}, 0, 4), Error);
  EXPECT_THROW(call({2, 4, 16}, 0, 5), Error);
  EXPECT_THROW(call({2, 4, 16}, 3, 2), Error);
  EXPECT_THROW(call({2, 4, 16}, -1, 2), Error);
  EXPECT_NO_THROW(call({2, 4, 16}, 1, 3));  // zero tokens: nothing to do
  try {
    call({2, 3, 16}, 0, 3);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_v_heads=3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace trit::kernels
