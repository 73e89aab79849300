// The Responses API's conversation items and the chat messages they render to.
//   input:  a string (one user message) or an array of items:
//     {"type"?: "message", "role": user|system|developer|assistant, "content": string or parts
//      [{"type": "input_text"|"output_text"|"text", "text"}]}
//     {"type": "function_call", "call_id", "name", "arguments": "<json text>"}
//     {"type": "function_call_output", "call_id", "output": string or input_text parts}
//     {"type": "reasoning", "summary": [...], "content"?: [{"type": "reasoning_text", "text"}]}
// normalize_input() checks them (ApiError 400 naming 'input') and gives each the shape and the id
// the API lists them with; items_to_messages() turns a conversation (earlier turns' items and
// output items included) into the chat messages of the prompt: function calls join the assistant
// turn before them, reasoning goes to the assistant turn after it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/chat.h"

namespace trit::server {

nlohmann::json normalize_input(const nlohmann::json& input);

std::vector<tokenizer::ChatMessage> items_to_messages(const nlohmann::json& items);

// A fresh id in OpenAI's style for a Responses object: "resp_...", "msg_...", "fc_...".
std::string responses_id(const char* prefix);

}  // namespace trit::server
