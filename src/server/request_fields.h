// Request fields that every generation API shares, parsed and checked once (ApiError 400 naming
// the field): sampling (temperature, top_p, top_k, min_p, penalties, seed), max_tokens, stop,
// stream, and the prompt-length check against the context.
#pragma once
#include <nlohmann/json.hpp>

#include "server/generation_request.h"

namespace trit::server {

// Sampling fields over the serve command's defaults; a request without a seed draws one unless
// the server was started with --seed.
engine::SamplingParams parse_sampling(const nlohmann::json& body, const RequestContext& ctx);

// OpenAI's names: sampling, max_tokens / max_completion_tokens, stop, n (1 only), stream,
// stream_options.include_usage, ignore_eos, model.
void parse_common(const nlohmann::json& body, const RequestContext& ctx, GenerationRequest& g);

// An empty prompt, or one that leaves no room in the context, is a 400.
void check_prompt_length(const GenerationRequest& g, const RequestContext& ctx);

}  // namespace trit::server
