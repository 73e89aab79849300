#include "server/request_fields.h"

#include <algorithm>
#include <random>

#include "server/api_error.h"
#include "server/json_fields.h"

namespace trit::server {
namespace {

// OpenAI's logit_bias: {"<token id>": amount in [-100, 100], ...}.
std::vector<std::pair<int32_t, float>> parse_logit_bias(const json& bias, const RequestContext& ctx) {
  if (!bias.is_object())
    throw ApiError(400, "'logit_bias' must be an object mapping token ids to numbers from -100 to 100", "logit_bias");
  const auto vocab = static_cast<int64_t>(ctx.tokenizer ? ctx.tokenizer->vocab_size() : 0);
  std::vector<std::pair<int32_t, float>> out;
  for (const auto& [key, value] : bias.items()) {
    const bool digits = !key.empty() && key.size() <= 10 &&
                        key.find_first_not_of("0123456789") == std::string::npos;
    if (!digits) throw ApiError(400, "'logit_bias' key '" + key + "' is not a token id", "logit_bias");
    const int64_t id = std::stoll(key);
    if (id >= vocab)
      throw ApiError(400, "'logit_bias' token id " + key + " is outside the vocabulary (" + std::to_string(vocab) + ")",
                     "logit_bias");
    if (!value.is_number() || value.get<double>() < -100.0 || value.get<double>() > 100.0)
      throw ApiError(400, "'logit_bias' value for token " + key + " must be a number from -100 to 100", "logit_bias");
    out.emplace_back(static_cast<int32_t>(id), value.get<float>());
  }
  if (out.size() > 1024) throw ApiError(400, "'logit_bias' allows at most 1024 tokens", "logit_bias");
  return out;
}

}  // namespace

engine::SamplingParams parse_sampling(const json& body, const RequestContext& ctx) {
  engine::SamplingParams p = ctx.sampling_defaults;
  if (auto v = get_number(body, "temperature", 0.0, 2.0)) p.temperature = static_cast<float>(*v);
  if (auto v = get_number(body, "top_p", 0.0, 1.0)) p.top_p = static_cast<float>(*v);
  if (auto v = get_integer(body, "top_k", 0, 1 << 20)) p.top_k = static_cast<int>(*v);
  if (auto v = get_number(body, "min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*v);
  if (auto v = get_number(body, "presence_penalty", -2.0, 2.0)) p.presence_penalty = static_cast<float>(*v);
  if (auto v = get_number(body, "frequency_penalty", -2.0, 2.0)) p.frequency_penalty = static_cast<float>(*v);
  if (auto v = get_number(body, "repeat_penalty", 0.0, 10.0)) p.repeat_penalty = static_cast<float>(*v);
  if (auto it = body.find("logit_bias"); it != body.end() && !it->is_null())
    p.logit_bias = parse_logit_bias(*it, ctx);
  if (auto v = get_integer(body, "seed", INT64_MIN, INT64_MAX)) p.seed = static_cast<uint64_t>(*v);
  else if (ctx.random_seed) p.seed = std::random_device{}() ^ (uint64_t(std::random_device{}()) << 32);
  return p;
}

void parse_common(const json& body, const RequestContext& ctx, GenerationRequest& g) {
  g.scheduled.options.sampling = parse_sampling(body, ctx);
  g.scheduled.options.max_tokens = -1;
  const int64_t cap = 1 << 30;
  if (auto v = get_integer(body, "max_tokens", INT64_MIN, cap)) {
    if (*v <= 0) throw ApiError(400, "'max_tokens' must be at least 1", "max_tokens");
    g.scheduled.options.max_tokens = *v;
  }
  if (auto v = get_integer(body, "max_completion_tokens", INT64_MIN, cap)) {
    if (*v <= 0) throw ApiError(400, "'max_completion_tokens' must be at least 1", "max_completion_tokens");
    g.scheduled.options.max_tokens = *v;
  }
  if (auto it = body.find("stop"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      g.scheduled.options.stop = {it->get<std::string>()};
    } else if (it->is_array()) {
      for (const json& s : *it) {
        if (!s.is_string()) throw ApiError(400, "'stop' must be a string or an array of strings", "stop");
        g.scheduled.options.stop.push_back(s.get<std::string>());
      }
      if (g.scheduled.options.stop.size() > 16) throw ApiError(400, "'stop' allows at most 16 strings", "stop");
    } else {
      throw ApiError(400, "'stop' must be a string or an array of strings", "stop");
    }
    for (const std::string& s : g.scheduled.options.stop)
      if (s.empty()) throw ApiError(400, "'stop' strings must not be empty", "stop");
  }
  if (auto n = get_integer(body, "n", INT64_MIN, INT64_MAX)) {
    if (*n < 1 || *n > kMaxChoices)
      throw ApiError(400, "'n' must be from 1 to " + std::to_string(kMaxChoices), "n");
    g.n = static_cast<int>(*n);
  }
  g.stream = get_bool(body, "stream").value_or(false);
  // llama.cpp's extension: keep generating past end-of-generation tokens (benchmarks).
  g.scheduled.ignore_eos = get_bool(body, "ignore_eos").value_or(false);
  if (const json* so = get_object(body, "stream_options")) g.include_usage = get_bool(*so, "include_usage").value_or(false);
  g.model = get_string(body, "model").value_or("");
  // llama-server's per-request drafting: n_max switches it (0: off; more: the server's draft model
  // or MTP head, else n-gram lookup), p_min is their confidence floor (n-gram lookup has none).
  if (auto v = get_integer(body, "speculative.n_max", 0, engine::kMaxDraftTokens)) g.scheduled.draft_max = static_cast<int>(*v);
  if (auto v = get_integer(body, "speculative.n_min", 0, engine::kMaxDraftTokens)) g.scheduled.draft_min = static_cast<int>(*v);
  if (g.scheduled.draft_max && g.scheduled.draft_min && *g.scheduled.draft_min > *g.scheduled.draft_max)
    throw ApiError(400, "'speculative.n_min' must not exceed 'speculative.n_max'", "speculative.n_min");
  if (auto v = get_number(body, "speculative.p_min", 0.0, 1.0)) {
    if (!ctx.drafts_by_model)
      throw ApiError(400, "'speculative.p_min' applies to a draft model or MTP head; this server drafts by n-gram lookup (speculative.n_max, n_min)",
                     "speculative.p_min");
    g.scheduled.draft_p_min = static_cast<float>(*v);
  }
}

void check_prompt_length(const GenerationRequest& g, const RequestContext& ctx) {
  check_prompt_length(g.scheduled.prompt, ctx, "messages");
}

void check_prompt_length(const std::vector<int32_t>& prompt, const RequestContext& ctx, const std::string& param) {
  const auto n = static_cast<int64_t>(prompt.size());
  if (n == 0) throw ApiError(400, "the prompt is empty", "prompt");
  if (n >= ctx.context)
    throw ApiError(400, "the prompt is " + std::to_string(n) + " tokens but the context holds " +
                            std::to_string(ctx.context) + " (shorten it, or start the server with a larger -c)",
                   param, "context_length_exceeded");
}

std::vector<engine::ScheduledRequest> choice_requests(const GenerationRequest& g) {
  std::vector<engine::ScheduledRequest> out;
  const size_t prompts = std::max<size_t>(g.batch_prompts.size(), 1);
  for (size_t p = 0; p < prompts; ++p)
    for (int i = 0; i < g.n; ++i) {
      engine::ScheduledRequest r = g.scheduled;
      if (!g.batch_prompts.empty()) r.prompt = g.batch_prompts[p];
      r.options.sampling.seed += out.size();
      out.push_back(std::move(r));
    }
  return out;
}

}  // namespace trit::server
