#include "engine/ngram_draft.h"

#include <algorithm>

namespace trit::engine {

std::vector<int32_t> ngram_draft(std::span<const int32_t> history, size_t max_tokens) {
  const size_t size = history.size();
  if (max_tokens == 0) return {};
  for (size_t n = std::min(kNgramMax, size == 0 ? 0 : size - 1); n >= kNgramMin; --n) {
    const auto tail = history.last(n);
    // Occurrences that end before the tail does, newest first; the draft is what followed one.
    for (size_t start = size - n; start-- > 0;) {
      if (!std::equal(tail.begin(), tail.end(), history.begin() + static_cast<long>(start))) continue;
      const size_t from = start + n, to = std::min(size, from + max_tokens);
      return {history.begin() + static_cast<long>(from), history.begin() + static_cast<long>(to)};
    }
  }
  return {};
}

}  // namespace trit::engine
