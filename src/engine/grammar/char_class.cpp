#include <algorithm>

#include "engine/grammar/grammar.h"

namespace trit::engine::grammar {

bool CharClass::matches(char32_t c) const {
  // Ranges are few (a literal has one): a linear scan beats a binary search here.
  bool in = false;
  for (const auto& [lo, hi] : ranges) {
    if (c < lo) break;
    if (c <= hi) {
      in = true;
      break;
    }
  }
  return in != negated;
}

bool CharClass::intersects(char32_t lo, char32_t hi) const {
  if (!negated) {
    for (const auto& [a, b] : ranges)
      if (a <= hi && lo <= b) return true;
    return false;
  }
  // Negated: [lo, hi] meets the complement unless the ranges cover it entirely.
  char32_t next = lo;  // the lowest code point of [lo, hi] not yet known to be covered
  for (const auto& [a, b] : ranges) {
    if (b < next) continue;
    if (a > next) return true;
    if (b >= hi) return false;
    next = b + 1;
  }
  return true;
}

void CharClass::normalize() {
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<char32_t, char32_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second + 1)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  ranges = std::move(merged);
}

}  // namespace trit::engine::grammar
