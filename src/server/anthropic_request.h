// Anthropic Messages request bodies (POST /v1/messages, /v1/messages/count_tokens) -> what the
// scheduler runs. The conversation is converted to chat messages (anthropic_messages.h), tools and
// tool_choice to OpenAI's shapes, and set_chat_prompt() (openai_request.h) renders and tokenizes
// the prompt as for chat completions:
//   tools        [{name, description, input_schema}]  -> [{type: function, function: {name,
//                description, parameters}}]; server tools (a "type" other than "custom") are a 400
//   tool_choice  {type: auto | any | tool | none, name}  -> "auto", "required", the named
//                function, "none"
//   thinking     {type: enabled, budget_tokens} | {type: adaptive}  -> the template's
//                enable_thinking; {type: disabled} or absent -> off, as Anthropic's default
//   max_tokens (required), stop_sequences, temperature, top_p, top_k, stream; metadata accepted.
// A last assistant message without tool_use prefills the answer: the prompt ends with its text
// and the model continues it (the response holds only the continuation), as Anthropic's API does.
// Every malformed field is ApiError 400 naming it, and so are mcp_servers (the API's own MCP
// connector: nothing here would call them); other unknown fields are ignored.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

#include "server/generation_request.h"

namespace trit::server {

GenerationRequest parse_anthropic_request(const nlohmann::json& body, const RequestContext& ctx);

// The prompt tokens POST /v1/messages would run for `body` (max_tokens not needed; a prompt
// longer than the context is counted, not refused).
int64_t count_anthropic_tokens(const nlohmann::json& body, const RequestContext& ctx);

}  // namespace trit::server
