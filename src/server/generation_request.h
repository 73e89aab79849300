// A generation request as every API parses it (OpenAI chat and completions, Anthropic Messages,
// llama.cpp's native endpoints, Responses), and what parsing needs from the server.
#pragma once
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
  std::string model;              // echoed back
};

struct RequestContext {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  tokenizer::ChatFormat chat_format = tokenizer::ChatFormat::qwen3();
  engine::SamplingParams sampling_defaults;  // from the serve command's flags
  bool random_seed = true;                   // no --seed given: each request without one draws one
  int64_t context = 0;                       // positions per slot
};

}  // namespace trit::server
