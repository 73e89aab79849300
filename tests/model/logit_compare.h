// What the forward-pass tests share: random prompts, and how far engine logits are from the f64
// reference's.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace trit::test {

inline std::vector<int32_t> random_tokens(int n, int vocab, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % vocab);
  return t;
}

// max |a - b| over the logits of one row, relative to the range of the reference row.
inline double relative_error(const float* engine, const std::vector<double>& reference) {
  double max_diff = 0, lo = reference[0], hi = reference[0];
  for (size_t i = 0; i < reference.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(engine[i] - reference[i]));
    lo = std::min(lo, reference[i]);
    hi = std::max(hi, reference[i]);
  }
  return max_diff / (hi - lo);
}

}  // namespace trit::test
