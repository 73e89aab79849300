// Prompt building, in one place for trit run, trit chat and the server: chat template rendering
// (system message, thinking switch, tools, a forced start of the answer), tokenizing, and the BOS
// rule.
//
// Control tokens (<|im_start|>, <|im_end|>, ...) come only from the chat template's own markup:
// what a conversation says (contents, reasoning, tools, the forced prefix) is tokenized as text,
// so no message can open or close a turn. Raw text makes control tokens only when the caller
// asks (trit run --raw; /v1/completions with "parse_special": true).
//
// BOS rule: the BOS id goes first exactly when the GGUF asks for it (tokenizer.ggml.add_bos_token)
// and the text does not already begin with it. Qwen3 GGUFs say false (docs/formats.md; bos there is
// <|endoftext|>): Qwen3's chat template writes no BOS and the models were trained without one,
// so for them nothing is added, raw text or chat. The flag is honoured for other files, as
// llama.cpp does.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::engine {

// Text as it is (run --raw, /v1/completions): tokens with the BOS rule applied; control tokens
// are matched only with parse_special.
std::vector<int32_t> encode_prompt(const tokenizer::Tokenizer& tokenizer, std::string_view text, bool parse_special);

// A conversation in the model's chat format, ending in the generation prompt (options decide
// thinking and tools); `assistant_prefix` continues it as if the model had written it (as text:
// it may hold <tool_call>, never a control token).
std::vector<int32_t> chat_prompt(const tokenizer::Tokenizer& tokenizer, const tokenizer::ChatFormat& format,
                                 const std::vector<tokenizer::ChatMessage>& messages,
                                 const tokenizer::ChatOptions& options, std::string_view assistant_prefix = {});

// The chat template to render with: the text of `template_file` when given (unreadable, or not
// a template trit can parse: trit::Error naming the file), else the tokenizer's (GGUF's)
// template, else the built-in Qwen3 one (a warning says so). bos_token/eos_token come from the
// tokenizer.
tokenizer::ChatFormat chat_format_of(const tokenizer::Tokenizer& tokenizer, const std::string& template_file = {});
// The template in a --chat-template-file (trit::Error naming the file when unreadable or invalid).
tokenizer::ChatFormat chat_format_from_file(const std::string& path);

// The start of a conversation: the system message when there is one.
std::vector<tokenizer::ChatMessage> system_messages(const std::string& system);

// Chat options for the --no-think switch (enable_thinking = !no_think).
tokenizer::ChatOptions thinking_options(bool no_think);

}  // namespace trit::engine
