// The statistics behind `trit perplexity`, against values worked out by hand, and the saved-logits
// file: round trip, and every corruption refused with a message.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "common/test_util.h"
#include "engine/perplexity_logits.h"
#include "engine/perplexity_math.h"
#include "util/error.h"

using namespace trit;
using namespace trit::engine;

namespace {

std::vector<float> random_logits(int64_t n, uint32_t seed, float spread = 4.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, spread);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Reference log-softmax in long double.
std::vector<long double> log_softmax(const std::vector<float>& x) {
  long double m = *std::max_element(x.begin(), x.end()), s = 0;
  for (float v : x) s += std::exp(static_cast<long double>(v) - m);
  std::vector<long double> out;
  for (float v : x) out.push_back(v - m - std::log(s));
  return out;
}

}  // namespace

TEST(PerplexityMath, RowSoftmax) {
  const std::vector<float> x = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};
  const RowSoftmax sm = row_softmax(x.data(), 5);
  EXPECT_EQ(sm.max, 3.0f);
  EXPECT_EQ(sm.argmax, 1);  // the first of the tied maxima
  const auto ref = log_softmax(x);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(sm.log_prob(x[i]), static_cast<double>(ref[i]), 1e-7);
}

TEST(PerplexityMath, KlDivergence) {
  const auto a = random_logits(1000, 1), b = random_logits(1000, 2);
  std::vector<float> ea(1000), eb(1000);
  const RowSoftmax sa = row_softmax(a.data(), 1000, ea.data()), sb = row_softmax(b.data(), 1000, eb.data());
  EXPECT_EQ(kl_divergence(a.data(), sa, ea.data(), a.data(), sa, 1000), 0.0);
  const auto la = log_softmax(a), lb = log_softmax(b);
  long double ref = 0;
  for (int i = 0; i < 1000; ++i) ref += std::exp(la[i]) * (la[i] - lb[i]);
  EXPECT_GT(ref, 1.0L);
  EXPECT_NEAR(kl_divergence(a.data(), sa, ea.data(), b.data(), sb, 1000), static_cast<double>(ref), 1e-6);
  // Two outcomes: KL((1/2, 1/2) || (1/4, 3/4)) = 1/2 ln 2 + 1/2 ln(2/3).
  const float p[2] = {0.0f, 0.0f}, q[2] = {0.0f, std::log(3.0f)};
  float ep[2];
  const RowSoftmax sp = row_softmax(p, 2, ep);
  EXPECT_NEAR(kl_divergence(p, sp, ep, q, row_softmax(q, 2), 2), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-7);
}

TEST(PerplexityMath, TopKAndTheRest) {
  const int64_t n = 5000;
  const auto a = random_logits(n, 3), b = random_logits(n, 4);
  std::vector<float> ea(n);
  const RowSoftmax sa = row_softmax(a.data(), n, ea.data()), sb = row_softmax(b.data(), n);
  // Full k: every token, in order, and the KL equals the exact one.
  std::vector<TopEntry> all(n);
  float rest = 0;
  top_k(a.data(), sa, n, n, all.data(), &rest);
  EXPECT_TRUE(std::isinf(rest) && rest < 0);
  EXPECT_EQ(all[0].id, static_cast<uint32_t>(sa.argmax));
  for (int64_t i = 1; i < n; ++i) ASSERT_GE(all[i - 1].log_prob, all[i].log_prob);
  const double exact = kl_divergence(a.data(), sa, ea.data(), b.data(), sb, n);
  // (The entries hold f32 log-probabilities, as the saved file does: ~1e-7 relative each.)
  EXPECT_NEAR(kl_divergence_top_k(all.data(), n, rest, b.data(), sb), exact, 1e-6 * exact);
  // k = 64: the same first 64 entries, the rest's mass is what they leave, and the KL is a lower bound.
  std::vector<TopEntry> top(64);
  top_k(a.data(), sa, n, 64, top.data(), &rest);
  double mass = 0;
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(top[i].id, all[i].id);
    mass += std::exp(double(top[i].log_prob));
  }
  EXPECT_NEAR(std::exp(double(rest)), 1.0 - mass, 1e-6);
  const double coarse = kl_divergence_top_k(top.data(), 64, rest, b.data(), sb);
  EXPECT_GT(coarse, 0.0);
  EXPECT_LT(coarse, exact);
  // A model equal to the base has zero KL either way.
  EXPECT_NEAR(kl_divergence_top_k(top.data(), 64, rest, a.data(), sa), 0.0, 1e-6);
}

TEST(PerplexityMath, PerplexityAndItsError) {
  // NLLs 1, 2, 3: mean 2, population variance 2/3, error of the mean sqrt((2/3) / 2).
  MeanStats s;
  for (double x : {1.0, 2.0, 3.0}) s.add(x);
  const Estimate e = perplexity_of(s);
  EXPECT_NEAR(e.value, std::exp(2.0), 1e-12);
  EXPECT_NEAR(e.error, std::exp(2.0) * std::sqrt(1.0 / 3.0), 1e-12);
  EXPECT_NEAR(s.rms(), std::sqrt(14.0 / 3.0), 1e-12);
  MeanStats one;
  one.add(5);
  EXPECT_EQ(one.standard_error(), 0.0);
}

TEST(PerplexityMath, QuantileAndKlSummary) {
  std::vector<double> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(i);
  std::shuffle(v.begin(), v.end(), std::mt19937(5));
  EXPECT_EQ(quantile(v, 0.99), 990.0);
  EXPECT_EQ(quantile(v, 1.0), 1000.0);
  EXPECT_EQ(quantile(v, 0.0), 1.0);
  KlStats k;
  for (int i = 0; i < 100; ++i) k.add(i < 99 ? 0.001 : 0.5, i % 4 != 0, i % 2 ? 0.02 : -0.02);
  const KlSummary s = k.summary();
  EXPECT_EQ(s.count, 100u);
  EXPECT_NEAR(s.mean_kl.value, (99 * 0.001 + 0.5) / 100, 1e-12);
  EXPECT_EQ(s.kl_99, 0.001);
  EXPECT_EQ(s.kl_max, 0.5);
  EXPECT_NEAR(s.top1_agreement.value, 0.75, 1e-12);
  EXPECT_NEAR(s.top1_agreement.error, std::sqrt(0.75 * 0.25 / 99), 1e-12);
  EXPECT_NEAR(s.mean_delta_p.value, 0.0, 1e-12);
  EXPECT_NEAR(s.rms_delta_p, 0.02, 1e-12);
}

TEST(SavedLogits, RoundTripAndValidation) {
  const std::string dir = test::scratch_dir();
  const std::string path = dir + "/base.logits";
  SavedLogitsHeader h;
  h.n_vocab = 300;
  h.context = 8;  // scores positions 4..6: 3 records per window
  h.top_k = 5;
  h.n_windows = 2;
  h.label = "base.gguf";
  std::vector<int32_t> tokens(16);
  for (int i = 0; i < 16; ++i) tokens[i] = i * 7;
  std::vector<std::vector<TopEntry>> written;
  {
    SavedLogitsWriter w(path, h, tokens);
    for (int r = 0; r < 6; ++r) {
      const auto logits = random_logits(300, 10 + r);
      const RowSoftmax sm = row_softmax(logits.data(), 300);
      std::vector<TopEntry> top(5);
      float rest;
      top_k(logits.data(), sm, 300, 5, top.data(), &rest);
      w.add(-1.5f, rest, top.data());
      written.push_back(top);
    }
    w.finish();
  }
  EXPECT_EQ(std::filesystem::file_size(path), 8u + 16 + 8 + 4 + 9 + 16 * 4 + 6 * (8 + 8 * 5));
  {
    SavedLogitsReader r(path);
    EXPECT_EQ(r.header().n_vocab, 300u);
    EXPECT_EQ(r.header().context, 8u);
    EXPECT_EQ(r.header().top_k, 5u);
    EXPECT_EQ(r.header().n_windows, 2u);
    EXPECT_EQ(r.header().label, "base.gguf");
    EXPECT_EQ(r.tokens(), tokens);
    SavedRecord rec;
    for (int i = 0; i < 6; ++i) {
      r.next(rec);
      EXPECT_EQ(rec.target_log_prob, -1.5f);
      for (int j = 0; j < 5; ++j) EXPECT_EQ(rec.top[j].id, written[i][j].id);
    }
    EXPECT_THROW(r.next(rec), Error);
  }
  // Corruptions, each refused with a message naming the file.
  const std::string good = test::read_file(path);
  auto expect_refused = [&](const std::string& bytes, const std::string& needle, bool at_open) {
    test::write_file(dir + "/bad.logits", bytes);
    try {
      SavedLogitsReader r(dir + "/bad.logits");
      ASSERT_FALSE(at_open) << "opened a file that should be refused (" << needle << ")";
      SavedRecord rec;
      for (int i = 0; i < 6; ++i) r.next(rec);
      FAIL() << "read a corrupt file (" << needle << ")";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("bad.logits"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_refused("GGUF" + good.substr(4), "not a trit logits file", true);
  expect_refused(good.substr(0, good.size() - 3), "truncated", true);
  expect_refused(good + "x", "truncated or corrupt", true);
  std::string v = good;
  v[8] = 9;  // version
  expect_refused(v, "version 9", true);
  std::string tok = good;
  tok[8 + 16 + 8 + 4 + 9 + 4 * 3 + 1] = '\x7f';  // token 3 = 21 + 0x7f00
  expect_refused(tok, "outside the vocabulary", true);
  const size_t rec0 = 8 + 16 + 8 + 4 + 9 + 16 * 4;
  std::string order = good;
  std::swap_ranges(order.begin() + rec0 + 8, order.begin() + rec0 + 16, order.begin() + rec0 + 16);
  expect_refused(order, "out of order", false);
  std::string id = good;
  id[rec0 + 8 + 8 * 2 + 2] = '\x10';  // id of entry 2 >= 300
  expect_refused(id, "outside the vocabulary", false);
  std::string lp = good;
  const float positive = 2.0f;
  std::memcpy(lp.data() + rec0, &positive, 4);
  expect_refused(lp, "next token", false);
}

TEST(SavedLogits, UnfinishedWriterLeavesNothing) {
  const std::string dir = test::scratch_dir();
  SavedLogitsHeader h;
  h.n_vocab = 10;
  h.context = 4;
  h.top_k = 2;
  h.n_windows = 1;
  {
    SavedLogitsWriter w(dir + "/x.logits", h, std::vector<int32_t>(4, 1));
    EXPECT_THROW(w.finish(), Error);  // no records written
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}
