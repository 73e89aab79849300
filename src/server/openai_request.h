// OpenAI request bodies -> what the scheduler runs. Chat requests are rendered with the model's
// chat format (Qwen3: tools, enable_thinking) and tokenized; completion requests take a string or
// token ids. Every field is checked for type and range (ApiError 400 naming the field); unknown
// fields are ignored, as OpenAI's own server does for most of them.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "engine/scheduler_request.h"
#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

struct GenerationRequest {
  engine::ScheduledRequest scheduled;
  bool stream = false;
  bool include_usage = false;     // stream_options.include_usage: a last chunk with the usage
  bool logprobs = false;          // chat: logprobs: true; completions: logprobs: n
  int top_logprobs = 0;
  bool tools_given = false;       // chat: parse <tool_call> blocks into tool_calls
  std::string assistant_prefix;   // chat: forced start of the answer (tool_choice), already in the prompt
  std::string model;              // echoed back
};

struct RequestContext {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  tokenizer::ChatFormat chat_format = tokenizer::ChatFormat::qwen3();
  engine::SamplingParams sampling_defaults;  // from the serve command's flags
  bool random_seed = true;                   // no --seed given: each request without one draws one
  int64_t context = 0;                       // positions per slot
};

GenerationRequest parse_chat_request(const nlohmann::json& body, const RequestContext& ctx);
GenerationRequest parse_completion_request(const nlohmann::json& body, const RequestContext& ctx);

// The chat messages of a request body (roles checked, content as text).
std::vector<tokenizer::ChatMessage> parse_messages(const nlohmann::json& messages);

}  // namespace trit::server
