// POST /v1/responses bodies -> what the scheduler runs, through the same chat rendering as Chat
// Completions (set_chat_prompt: Qwen3 template, tools, tool_choice). Responses' own names are
// mapped to the chat ones: instructions -> a system message first, input items -> messages
// (responses_items.h), function tools {"type": "function", "name", ...} -> chat-shaped tools,
// max_output_tokens -> max_tokens, reasoning.effort none/minimal -> thinking off. With
// previous_response_id the stored conversation of that response comes first (404 naming the
// field when it is not stored). Every malformed field is an ApiError 400 naming it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "server/generation_request.h"
#include "server/response_store.h"

namespace trit::server {

struct ResponsesRequest {
  GenerationRequest generation;
  nlohmann::json echo;          // fields the response object repeats (instructions, tools, ...)
  nlohmann::json input_items;   // this request's input, normalized (responses_items.h)
  nlohmann::json history;       // items of the previous response's conversation ([] without one)
  bool store = true;
};

ResponsesRequest parse_responses_request(const nlohmann::json& body, const RequestContext& ctx,
                                         ResponseStore& store);

}  // namespace trit::server
