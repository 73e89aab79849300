#include "tokenizer/stream_decoder.h"

#include "tokenizer/utf8.h"

namespace trit::tokenizer {

std::string StreamDecoder::push(int32_t id) {
  if (skip_special_ && tokenizer_->is_control(id)) return "";
  pending_ += tokenizer_->token_bytes(id);
  size_t complete = complete_utf8_prefix(pending_);
  std::string out = repair_utf8(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out = repair_utf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace trit::tokenizer
