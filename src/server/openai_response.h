// JSON pieces of OpenAI responses: usage, logprobs, tool calls, finish reasons, and the
// envelopes of chat.completion / chat.completion.chunk / text_completion objects.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/scheduler_request.h"
#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

using json = nlohmann::json;

// "stop", "length" or (set by the caller when the answer holds tool calls) "tool_calls".
const char* finish_reason(engine::StopReason reason);

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details": {"cached_tokens"}}
json usage_json(const engine::RequestResult& result);
// Speeds for the chat page (llama.cpp calls the same thing "timings").
json timings_json(const engine::RequestResult& result);

// Chat logprobs entries: {"token", "logprob", "bytes", "top_logprobs": [...]} per token.
json chat_logprobs(const std::vector<engine::SampledToken>& tokens, const tokenizer::Tokenizer& tok);
// Legacy completions logprobs: {"tokens", "token_logprobs", "top_logprobs", "text_offset"}.
json completion_logprobs(const std::vector<engine::SampledToken>& tokens, const tokenizer::Tokenizer& tok,
                         size_t text_offset);

// [{"id", "type": "function", "function": {"name", "arguments": "<json text>"}}], numbered from
// `first_index` (streamed deltas also carry "index").
json tool_calls_json(const std::vector<tokenizer::ParsedToolCall>& calls, size_t first_index, bool with_index);

// A fresh id such as "chatcmpl-5f2c9a1b7e3d4c60".
std::string make_id(const char* prefix);

}  // namespace trit::server
