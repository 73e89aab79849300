// Prompt lookup (n-gram) drafting for speculative decoding: the text so far often repeats itself
// (code being edited, a document being summarised or quoted, a list continuing its pattern), so
// the tokens that followed the last occurrence of the newest few tokens are a cheap guess at what
// comes next. No model runs; a wrong guess costs only its share of one batched forward.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace trit::engine {

// Longest and newest n-gram first: n from kNgramMax down to kNgramMin. A single matching token
// proposes too often to be worth the verification rows it costs.
inline constexpr size_t kNgramMax = 4;
inline constexpr size_t kNgramMin = 2;

// Up to `max_tokens` tokens that followed the most recent earlier occurrence of the last n tokens
// of `history` (the largest n in [kNgramMin, kNgramMax] that occurs); empty when none does.
std::vector<int32_t> ngram_draft(std::span<const int32_t> history, size_t max_tokens);

}  // namespace trit::engine
