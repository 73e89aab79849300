// Streaming detokenizer: tokens arrive one at a time, text leaves only in whole UTF-8
// characters. A token can end inside a multi-byte character (byte-level BPE splits emoji and
// CJK freely); those bytes wait for the next token. Bytes that can never form a character are
// replaced by U+FFFD, so everything emitted is valid UTF-8; flush() ends the stream and turns an
// unfinished character into U+FFFD.
#pragma once
#include <cstdint>
#include <string>

#include "tokenizer/tokenizer.h"

namespace trit::tokenizer {

class StreamDecoder {
 public:
  // skip_special: control tokens (<|im_end|>, ...) produce no text.
  explicit StreamDecoder(const Tokenizer& tokenizer, bool skip_special = false)
      : tokenizer_(&tokenizer), skip_special_(skip_special) {}

  // The text that became complete with this token (often empty for a partial character).
  std::string push(int32_t id);
  // Whatever is still pending, made valid; the decoder is then empty and reusable.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  bool skip_special_;
  std::string pending_;  // at most one unfinished character (< 4 bytes)
};

}  // namespace trit::tokenizer
