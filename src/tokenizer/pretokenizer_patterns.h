// Pre-tokenizer regexes by tokenizer.ggml.pre name. The Hugging Face spelling is what
// tokenizer.json stores (matched by import_hf_tokenizer); the PCRE2 spelling is what trit runs.
#pragma once
#include <string>

namespace trit::tokenizer {

struct PreTokenizerPattern {
  const char* name;     // tokenizer.ggml.pre
  const char* hf;       // as written in tokenizer.json (Oniguruma syntax)
  const char* pcre2;    // equivalent for PCRE2 with UTF | UCP
};

// The supported patterns; null when `name` is unknown.
const PreTokenizerPattern* find_pretokenizer(const std::string& name);
const PreTokenizerPattern* find_pretokenizer_by_hf_regex(const std::string& regex);
// "qwen2" (comma-separated list of supported names, for error messages).
std::string supported_pretokenizers();

}  // namespace trit::tokenizer
