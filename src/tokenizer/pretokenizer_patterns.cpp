#include "tokenizer/pretokenizer_patterns.h"

#include <iterator>

namespace trit::tokenizer {
namespace {

// Hugging Face runs these with Oniguruma, whose Unicode \s is White_Space: TAB..CR, U+0085 and
// the Z categories (Zs, Zl, Zp). PCRE2's UCP \s leaves out U+0085 (NEL), so the PCRE2 spelling
// writes the class out in full. (?i:...) folds case with Unicode rules in both (so 'ſ matches
// 's, as in Hugging Face).
#define WS "\\t\\n\\x{0B}\\f\\r\\x{85}\\p{Z}"

const PreTokenizerPattern kPatterns[] = {
    {"qwen2",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
     "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+"
     "|\\p{N}"
     "| ?[^" WS "\\p{L}\\p{N}]+[\\r\\n]*"
     "|[" WS "]*[\\r\\n]+"
     "|[" WS "]+(?![^" WS "])"
     "|[" WS "]+"},
    // Qwen3.5's tokenizer.json: qwen2's regex with combining marks (\p{M}) allowed in word runs,
    // anywhere including the first character, and kept out of punctuation runs. So a word written
    // with non-precomposed marks (Devanagari vowel signs, Arabic harakat, x + U+0301) stays one
    // piece where qwen2 cuts it at each mark.
    {"qwen35",
     R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
     "(?i:'s|'t|'re|'ve|'m|'ll|'d)"
     "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+"
     "|\\p{N}"
     "| ?[^" WS "\\p{L}\\p{M}\\p{N}]+[\\r\\n]*"
     "|[" WS "]*[\\r\\n]+"
     "|[" WS "]+(?![^" WS "])"
     "|[" WS "]+"},
};

#undef WS

}  // namespace

const PreTokenizerPattern* find_pretokenizer(const std::string& name) {
  for (const auto& p : kPatterns)
    if (name == p.name) return &p;
  return nullptr;
}

const PreTokenizerPattern* find_pretokenizer_by_hf_regex(const std::string& regex) {
  for (const auto& p : kPatterns)
    if (regex == p.hf) return &p;
  return nullptr;
}

std::string supported_pretokenizers() {
  std::string names;
  for (const auto& p : kPatterns) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

}  // namespace trit::tokenizer
