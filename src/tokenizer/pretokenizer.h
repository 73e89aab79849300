// Splits NFC text into pre-tokens with a PCRE2 regex compiled once with UTF, UCP and JIT. The
// split is "isolated": every match is a piece and so is any text between matches (the qwen2
// regex leaves none, but a gap is kept rather than dropped).
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace trit::tokenizer {

class PreTokenizer {
 public:
  explicit PreTokenizer(const std::string& pcre2_pattern);
  ~PreTokenizer();
  PreTokenizer(PreTokenizer&&) noexcept;
  PreTokenizer& operator=(PreTokenizer&&) noexcept;

  // Appends the pieces of `text` (valid UTF-8) in order. Thread-safe.
  void split_into(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trit::tokenizer
