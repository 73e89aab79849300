// OpenAI request bodies -> what the scheduler runs. Chat requests are rendered with the model's
// chat format (Qwen3: tools, enable_thinking) and tokenized; completion requests take a string or
// token ids, or a batch of those (each prompt x n choices). Every field is checked for type and
// range (ApiError 400 naming the field); unknown fields are ignored, as OpenAI's own server does
// for most of them.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/generation_request.h"
#include "tokenizer/chat.h"

namespace trit::server {

// Most prompts in one batched /v1/completions request ("prompt": [p0, p1, ...]).
constexpr size_t kMaxPrompts = 16;

GenerationRequest parse_chat_request(const nlohmann::json& body, const RequestContext& ctx);
GenerationRequest parse_completion_request(const nlohmann::json& body, const RequestContext& ctx);

// The chat messages of a request body (roles checked, content as text).
std::vector<tokenizer::ChatMessage> parse_messages(const nlohmann::json& messages);

// Renders and tokenizes a chat prompt into `g` for any chat API: `tools` in OpenAI's shape
// ([{"type": "function", "function": {"name", "description", "parameters"}}], nullptr for none),
// `tool_choice` in OpenAI's shape (nullptr when absent; tool_choice.h), `options` with the
// template's kwargs already set. Sets tools_given; checks the length; a forced tool call
// (tool_choice "required" or named) sets the grammar that makes the answer that call.
void set_chat_prompt(GenerationRequest& g, const std::vector<tokenizer::ChatMessage>& messages,
                     const nlohmann::json* tools, const nlohmann::json* tool_choice, tokenizer::ChatOptions options,
                     const RequestContext& ctx);

}  // namespace trit::server
