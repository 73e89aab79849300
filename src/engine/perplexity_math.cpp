#include "engine/perplexity_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace trit::engine {

// exp in float (glibc's expf is about twice as fast as exp, and each term is then within an ulp,
// 6e-8 relative), sums in double: log-probabilities come out within ~1e-7 nats.
RowSoftmax row_softmax(const float* logits, int64_t n, float* exps) {
  RowSoftmax sm;
  sm.max = logits[0];
  for (int64_t v = 1; v < n; ++v)
    if (logits[v] > sm.max) {
      sm.max = logits[v];
      sm.argmax = static_cast<int32_t>(v);
    }
  double sum = 0;
  if (exps) {
    for (int64_t v = 0; v < n; ++v) sum += exps[v] = std::exp(logits[v] - sm.max);
  } else {
    for (int64_t v = 0; v < n; ++v) sum += std::exp(logits[v] - sm.max);
  }
  sm.log_sum = std::log(sum);
  return sm;
}

double kl_divergence(const float* base, const RowSoftmax& bs, const float* base_exps, const float* model,
                     const RowSoftmax& ms, int64_t n) {
  // p_B(v) = exp(base[v] - max) / sum: the stored exps times 1 / sum.
  const double inv_sum = std::exp(-bs.log_sum);
  double kl = 0;
  for (int64_t v = 0; v < n; ++v) kl += double(base_exps[v]) * (bs.log_prob(base[v]) - ms.log_prob(model[v]));
  return std::max(0.0, kl * inv_sum);  // exact arithmetic gives >= 0; rounding can dip just below
}

void top_k(const float* logits, const RowSoftmax& sm, int64_t n, int64_t k, TopEntry* out, float* rest_log_prob) {
  k = std::min(k, n);
  // Order: higher logit first, then lower id. A min-heap (by that order) of the best k so far.
  auto better = [&](uint32_t a, uint32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  std::vector<uint32_t> heap;
  heap.reserve(k);
  for (int64_t v = 0; v < n; ++v) {
    const auto id = static_cast<uint32_t>(v);
    if (static_cast<int64_t>(heap.size()) < k) {
      heap.push_back(id);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(id, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = id;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort(heap.begin(), heap.end(), better);
  for (int64_t i = 0; i < k; ++i) out[i] = {heap[i], static_cast<float>(sm.log_prob(logits[heap[i]]))};
  // The rest, summed directly (not 1 - sum of the top, which cancels when the top holds nearly
  // everything): every token that comes after the k-th in the order above.
  double rest = 0;
  if (k > 0 && k < n) {
    const uint32_t last = heap[k - 1];
    for (int64_t v = 0; v < n; ++v)
      if (better(last, static_cast<uint32_t>(v))) rest += std::exp(logits[v] - sm.max);
  }
  *rest_log_prob = rest > 0 ? static_cast<float>(std::log(rest) - sm.log_sum) : -std::numeric_limits<float>::infinity();
}

double kl_divergence_top_k(const TopEntry* base_top, int64_t k, float base_rest_log_prob, const float* model,
                           const RowSoftmax& ms) {
  double kl = 0, model_top_mass = 0;
  for (int64_t i = 0; i < k; ++i) {
    const double lb = base_top[i].log_prob;
    const double lm = ms.log_prob(model[base_top[i].id]);
    kl += std::exp(lb) * (lb - lm);
    model_top_mass += std::exp(lm);
  }
  if (std::isfinite(base_rest_log_prob)) {
    const double model_rest = std::max(1.0 - model_top_mass, std::numeric_limits<double>::min());
    kl += std::exp(double(base_rest_log_prob)) * (double(base_rest_log_prob) - std::log(model_rest));
  }
  return std::max(0.0, kl);
}

double MeanStats::rms() const { return count ? std::sqrt(sum_sq / count) : 0.0; }

double MeanStats::standard_error() const {
  if (count < 2) return 0.0;
  const double m = mean();
  const double var = sum_sq / count - m * m;
  return var > 0 ? std::sqrt(var / (count - 1)) : 0.0;
}

Estimate perplexity_of(const MeanStats& nll) {
  const double ppl = std::exp(nll.mean());
  return {ppl, ppl * nll.standard_error()};
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  const size_t n = values.size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  rank = std::clamp<size_t>(rank, 1, n);
  std::nth_element(values.begin(), values.begin() + (rank - 1), values.end());
  return values[rank - 1];
}

void KlStats::add(double kl, bool same_top, double delta_p) {
  kl_.push_back(kl);
  kl_stats_.add(kl);
  delta_p_.add(delta_p);
  same_top_ += same_top ? 1 : 0;
}

KlSummary KlStats::summary() const {
  KlSummary s;
  s.count = kl_stats_.count;
  s.mean_kl = {kl_stats_.mean(), kl_stats_.standard_error()};
  s.kl_99 = quantile(kl_, 0.99);
  s.kl_max = kl_.empty() ? 0.0 : *std::max_element(kl_.begin(), kl_.end());
  const double p = s.count ? double(same_top_) / double(s.count) : 0.0;
  s.top1_agreement = {p, s.count > 1 ? std::sqrt(p * (1 - p) / double(s.count - 1)) : 0.0};
  s.mean_delta_p = {delta_p_.mean(), delta_p_.standard_error()};
  s.rms_delta_p = delta_p_.rms();
  return s;
}

}  // namespace trit::engine
