// Request fields that every generation API shares, parsed and checked once (ApiError 400 naming
// the field): sampling (temperature, top_p, top_k, min_p, penalties, logit_bias, seed), max_tokens, stop,
// stream, and the prompt-length check against the context.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/generation_request.h"

namespace trit::server {

// Sampling fields over the serve command's defaults; a request without a seed draws one unless
// the server was started with --seed. logit_bias is checked against the vocabulary.
engine::SamplingParams parse_sampling(const nlohmann::json& body, const RequestContext& ctx);

// Most choices one request may ask for (OpenAI's n).
constexpr int kMaxChoices = 8;

// OpenAI's names: sampling, max_tokens / max_completion_tokens, stop, n (1 to kMaxChoices), stream,
// stream_options.include_usage, ignore_eos, model; llama-server's speculative.n_max / n_min.
void parse_common(const nlohmann::json& body, const RequestContext& ctx, GenerationRequest& g);

// An empty prompt, or one that leaves no room in the context, is a 400 (code
// context_length_exceeded, naming `param`; "messages" for the request's own prompt).
void check_prompt_length(const GenerationRequest& g, const RequestContext& ctx);
void check_prompt_length(const std::vector<int32_t>& prompt, const RequestContext& ctx, const std::string& param);

}  // namespace trit::server
