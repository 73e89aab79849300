// A generation request as every API parses it (OpenAI chat and completions, Anthropic Messages,
// llama.cpp's native endpoints, Responses), and what parsing needs from the server.
#pragma once
#include <string>
#include <vector>

#include "engine/scheduler_request.h"
#include "tokenizer/chat.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

struct GenerationRequest {
  engine::ScheduledRequest scheduled;
  // OpenAI's n (choices per prompt) and batched prompts (completions: "prompt": [p0, p1, ...]):
  // each prompt x n choices runs as its own scheduled request, choice index = prompt * n + i.
  // batch_prompts empty: the one prompt is scheduled.prompt.
  int n = 1;
  std::vector<std::vector<int32_t>> batch_prompts;
  bool stream = false;
  bool include_usage = false;     // stream_options.include_usage: a last chunk with the usage
  bool logprobs = false;          // chat: logprobs: true; completions: logprobs: n
  int top_logprobs = 0;
  bool tools_given = false;       // chat: parse <tool_call> blocks into tool_calls
  std::string model;              // echoed back
};

// The scheduled requests of every choice, in index order: the prompt of each, and seed + index
// so that choices differ even under a fixed seed.
std::vector<engine::ScheduledRequest> choice_requests(const GenerationRequest& g);

struct RequestContext {
  const tokenizer::Tokenizer* tokenizer = nullptr;
  tokenizer::ChatFormat chat_format = tokenizer::ChatFormat::qwen3();
  engine::SamplingParams sampling_defaults;  // from the serve command's flags
  bool random_seed = true;                   // no --seed given: each request without one draws one
  int64_t context = 0;                       // positions per slot
  bool drafts_by_model = false;  // the server drafts with a model (-md) or MTP head: speculative.p_min applies
};

}  // namespace trit::server
