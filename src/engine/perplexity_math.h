// The statistics of `trit perplexity`, the same estimates llama-perplexity prints.
//
// For scored tokens i = 1..N with negative log-likelihood nll_i = -log softmax(logits_i)[target_i]:
//   PPL = exp(mean nll), error = PPL * sqrt(var(nll) / (N - 1))   (var with 1/N: the delta method
//   on the standard error of the mean)
// KL divergence of a model M from a base B at one position, over the vocabulary:
//   KL(B || M) = sum_v p_B(v) * (log p_B(v) - log p_M(v)) >= 0
// reported as its mean with the standard error of the mean, its 99th percentile and maximum;
// top-1 agreement (argmax B == argmax M) with a binomial error sqrt(p (1 - p) / (N - 1)); and
// delta-p = p_M(t) - p_B(t) for the actual next token t, as mean and RMS.
// Sums are in double; logits stay f32 and exponentials are computed in f32 (see row_softmax).
#pragma once
#include <cstdint>
#include <vector>

namespace trit::engine {

// log-softmax of one row of logits: log p(v) = logits[v] - max - log_sum.
struct RowSoftmax {
  float max = 0;
  double log_sum = 0;     // log sum_v exp(logits[v] - max)
  int32_t argmax = 0;     // the lowest index holding the max
  double log_prob(float logit) const { return double(logit) - double(max) - log_sum; }
};
// With `exps` (n floats), also stores exp(logits[v] - max) there for kl_divergence.
RowSoftmax row_softmax(const float* logits, int64_t n, float* exps = nullptr);

// Full KL(B || M) from two rows of logits; base_exps as row_softmax stored them for the base.
double kl_divergence(const float* base, const RowSoftmax& base_sm, const float* base_exps, const float* model,
                     const RowSoftmax& model_sm, int64_t n);

// One token of a compact distribution: the base's k most likely tokens (descending) plus the log
// of the probability of all the others together.
struct TopEntry {
  uint32_t id;
  float log_prob;
};
// The k entries with the highest logits, descending by log-probability (ties: lower id first), and
// log(sum of p over every other token) (-infinity when k covers the vocabulary).
void top_k(const float* logits, const RowSoftmax& sm, int64_t n, int64_t k, TopEntry* out, float* rest_log_prob);
// KL(B || M) with B known only by its top-k and the rest's mass: the KL between the two
// distributions coarsened to k + 1 outcomes (the top-k tokens and "any other"). A lower bound of
// the full KL (the log-sum inequality), equal to it when k covers the vocabulary.
double kl_divergence_top_k(const TopEntry* base_top, int64_t k, float base_rest_log_prob, const float* model,
                           const RowSoftmax& model_sm);

// Running mean with the standard error of the mean.
struct MeanStats {
  uint64_t count = 0;
  double sum = 0;
  double sum_sq = 0;
  void add(double x) {
    ++count;
    sum += x;
    sum_sq += x * x;
  }
  double mean() const { return count ? sum / count : 0.0; }
  double rms() const;
  double standard_error() const;  // sqrt(var / (N - 1)), 0 when N < 2
};

struct Estimate {
  double value = 0;
  double error = 0;
};
// PPL and its error from the NLL statistics.
Estimate perplexity_of(const MeanStats& nll);
// The q-quantile (0..1) by nearest rank: the smallest value with at least q * N values <= it.
double quantile(std::vector<double> values, double q);

// Everything a KL comparison reports.
struct KlSummary {
  Estimate mean_kl;
  double kl_99 = 0;            // 99th percentile
  double kl_max = 0;
  Estimate top1_agreement;     // fraction 0..1
  Estimate mean_delta_p;       // mean of p_M(t) - p_B(t)
  double rms_delta_p = 0;      // sqrt(mean((p_M(t) - p_B(t))^2))
  uint64_t count = 0;
};

class KlStats {
 public:
  void add(double kl, bool same_top, double delta_p);
  KlSummary summary() const;

 private:
  std::vector<double> kl_;
  MeanStats kl_stats_, delta_p_;
  uint64_t same_top_ = 0;
};

}  // namespace trit::engine
