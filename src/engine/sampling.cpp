#include "engine/sampling.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <unordered_map>

namespace trit::engine {

int32_t argmax(std::span<const float> logits) {
  // Two passes: the maximum over 16 independent lanes (the compiler turns them into vector
  // compares), then the first id holding it, so ties go to the lowest id. A running (value, id)
  // pair is one long dependency chain through a load per element: ~0.5 ms over a 152k vocab,
  // paid per sequence per step in the server.
  constexpr size_t kLanes = 16;
  constexpr float kNone = -std::numeric_limits<float>::infinity();
  float lanes[kLanes];
  std::fill(std::begin(lanes), std::end(lanes), kNone);
  const size_t n = logits.size(), full = n - n % kLanes;
  for (size_t i = 0; i < full; i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) lanes[j] = logits[i + j] > lanes[j] ? logits[i + j] : lanes[j];
  float best = kNone;
  for (float v : lanes) best = v > best ? v : best;
  for (size_t i = full; i < n; ++i) best = logits[i] > best ? logits[i] : best;
  // NaN never wins; a row of only NaN and -inf gives id 0.
  for (size_t i = 0; i < n; ++i)
    if (logits[i] == best) return static_cast<int32_t>(i);
  return 0;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history, int32_t draft) {
  const SamplingParams& p = params_;
  const bool penalised = p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f;
  if (p.temperature <= 0.0f && !penalised) return argmax(logits);

  candidates_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) candidates_[i] = {logits[i], static_cast<int32_t>(i)};

  if (penalised) {
    size_t window = p.repeat_last_n < 0 ? history.size() : std::min<size_t>(history.size(), p.repeat_last_n);
    std::unordered_map<int32_t, int> counts;
    for (size_t i = history.size() - window; i < history.size(); ++i) ++counts[history[i]];
    for (auto [token, count] : counts) {
      if (token < 0 || static_cast<size_t>(token) >= candidates_.size()) continue;
      float& logit = candidates_[token].first;
      logit = logit > 0 ? logit / p.repeat_penalty : logit * p.repeat_penalty;
      logit -= static_cast<float>(count) * p.frequency_penalty + p.presence_penalty;
    }
  }
  auto by_logit = [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  if (p.temperature <= 0.0f) return std::min_element(candidates_.begin(), candidates_.end(), by_logit)->second;

  size_t keep = candidates_.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < keep) keep = p.top_k;
  std::partial_sort(candidates_.begin(), candidates_.begin() + keep, candidates_.end(), by_logit);
  candidates_.resize(keep);

  // Probabilities of the survivors (softmax of the penalised logits) for top-p and min-p.
  std::vector<double> probs(keep);
  double sum = 0.0;
  for (size_t i = 0; i < keep; ++i) sum += probs[i] = std::exp(static_cast<double>(candidates_[i].first - candidates_[0].first));
  for (double& q : probs) q /= sum;
  if (p.top_p < 1.0f) {
    double cumulative = 0.0;
    size_t n = 0;
    while (n < keep) {
      cumulative += probs[n++];
      if (cumulative >= p.top_p) break;
    }
    keep = n;
  }
  if (p.min_p > 0.0f) {
    size_t n = 1;
    while (n < keep && probs[n] >= p.min_p * probs[0]) ++n;
    keep = n;
  }

  // Temperature, then a draw.
  std::vector<double> weights(keep);
  for (size_t i = 0; i < keep; ++i)
    weights[i] = std::exp(static_cast<double>(candidates_[i].first - candidates_[0].first) / p.temperature);
  if (draft >= 0) {
    double total = 0.0, of_draft = 0.0;
    size_t at = keep;
    for (size_t i = 0; i < keep; ++i) {
      total += weights[i];
      if (candidates_[i].second == draft) at = i, of_draft = weights[i];
    }
    if (std::uniform_real_distribution<double>(0.0, total)(rng_) < of_draft) return draft;
    if (at < keep) weights[at] = 0.0;  // rejected (so p(draft) < 1): draw from the rest
  }
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  return candidates_[pick(rng_)].second;
}

namespace {
double log_sum_exp(std::span<const float> logits, float max) {
  double sum = 0.0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  return std::log(sum) + max;
}
}  // namespace

TokenProbability token_logprob(std::span<const float> logits, int32_t token) {
  float max = *std::max_element(logits.begin(), logits.end());
  return {token, static_cast<float>(logits[token] - log_sum_exp(logits, max))};
}

std::vector<TokenProbability> top_logprobs(std::span<const float> logits, int n_top) {
  float max = *std::max_element(logits.begin(), logits.end());
  double lse = log_sum_exp(logits, max);
  std::vector<int32_t> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
  size_t n = std::min<size_t>(std::max(n_top, 0), ids.size());
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<TokenProbability> out;
  for (size_t i = 0; i < n; ++i) out.push_back({ids[i], static_cast<float>(logits[ids[i]] - lse)});
  return out;
}

}  // namespace trit::engine
