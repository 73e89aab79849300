#include "engine/prompt.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "util/error.h"
#include "util/log.h"

namespace trit::engine {

namespace {

std::vector<int32_t> with_bos(const tokenizer::Tokenizer& tokenizer, std::vector<int32_t> tokens) {
  if (tokenizer.add_bos() && (tokens.empty() || tokens.front() != tokenizer.bos_id()))
    tokens.insert(tokens.begin(), tokenizer.bos_id());
  return tokens;
}

}  // namespace

std::vector<int32_t> encode_prompt(const tokenizer::Tokenizer& tokenizer, std::string_view text, bool parse_special) {
  return with_bos(tokenizer, tokenizer.encode(text, parse_special));
}

std::vector<int32_t> chat_prompt(const tokenizer::Tokenizer& tokenizer, const tokenizer::ChatFormat& format,
                                 const std::vector<tokenizer::ChatMessage>& messages,
                                 const tokenizer::ChatOptions& options, std::string_view assistant_prefix) {
  tokenizer::RenderedChat chat = tokenizer::render_chat_marked(format, messages, options);
  chat.add_literal(assistant_prefix);
  return with_bos(tokenizer, tokenizer.encode(chat.text, chat.literal));
}

tokenizer::ChatFormat chat_format_from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) fail("--chat-template-file ", path, ": cannot read the file");
  try {
    return tokenizer::ChatFormat(text.str());
  } catch (const Error& e) {
    fail("--chat-template-file ", path, ": ", e.what());
  }
}

tokenizer::ChatFormat chat_format_of(const tokenizer::Tokenizer& tokenizer, const std::string& template_file) {
  std::optional<tokenizer::ChatFormat> format;
  if (!template_file.empty()) {
    format.emplace(chat_format_from_file(template_file));
  } else {
    std::string notice;
    format.emplace(tokenizer::detect_chat_format(tokenizer.chat_template(), &notice));
    if (!notice.empty()) log_warn(notice);
  }
  if (tokenizer.bos_id() >= 0 && size_t(tokenizer.bos_id()) < tokenizer.vocab_size()) format->bos_token = tokenizer.token_text(tokenizer.bos_id());
  if (tokenizer.eos_id() >= 0 && size_t(tokenizer.eos_id()) < tokenizer.vocab_size()) format->eos_token = tokenizer.token_text(tokenizer.eos_id());
  return *format;
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
