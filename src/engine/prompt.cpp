#include "engine/prompt.h"

#include "util/log.h"

namespace trit::engine {

std::vector<int32_t> encode_prompt(const tokenizer::Tokenizer& tokenizer, std::string_view text) {
  std::vector<int32_t> tokens = tokenizer.encode(text, /*parse_special=*/true);
  if (tokenizer.add_bos() && (tokens.empty() || tokens.front() != tokenizer.bos_id()))
    tokens.insert(tokens.begin(), tokenizer.bos_id());
  return tokens;
}

std::vector<int32_t> chat_prompt(const tokenizer::Tokenizer& tokenizer, tokenizer::ChatFormat format,
                                 const std::vector<tokenizer::ChatMessage>& messages,
                                 const tokenizer::ChatOptions& options, std::string_view assistant_prefix) {
  std::string text = tokenizer::render_chat(format, messages, options);
  text += assistant_prefix;
  return encode_prompt(tokenizer, text);
}

tokenizer::ChatFormat chat_format_of(const tokenizer::Tokenizer& tokenizer) {
  std::string notice;
  const tokenizer::ChatFormat format = tokenizer::detect_chat_format(tokenizer.chat_template(), &notice);
  if (!notice.empty()) log_warn(notice);
  return format;
}

std::vector<tokenizer::ChatMessage> system_messages(const std::string& system) {
  std::vector<tokenizer::ChatMessage> messages;
  if (!system.empty()) messages.push_back({"system", system, std::nullopt, {}});
  return messages;
}

tokenizer::ChatOptions thinking_options(bool no_think) {
  tokenizer::ChatOptions options;
  options.enable_thinking = !no_think;
  return options;
}

}  // namespace trit::engine
