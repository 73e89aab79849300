#include "server/request_fields.h"

#include <random>

#include "server/api_error.h"
#include "server/json_fields.h"

namespace trit::server {

engine::SamplingParams parse_sampling(const json& body, const RequestContext& ctx) {
  engine::SamplingParams p = ctx.sampling_defaults;
  if (auto v = get_number(body, "temperature", 0.0, 2.0)) p.temperature = static_cast<float>(*v);
  if (auto v = get_number(body, "top_p", 0.0, 1.0)) p.top_p = static_cast<float>(*v);
  if (auto v = get_integer(body, "top_k", 0, 1 << 20)) p.top_k = static_cast<int>(*v);
  if (auto v = get_number(body, "min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*v);
  if (auto v = get_number(body, "presence_penalty", -2.0, 2.0)) p.presence_penalty = static_cast<float>(*v);
  if (auto v = get_number(body, "frequency_penalty", -2.0, 2.0)) p.frequency_penalty = static_cast<float>(*v);
  if (auto v = get_number(body, "repeat_penalty", 0.0, 10.0)) p.repeat_penalty = static_cast<float>(*v);
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
  if (auto n = get_integer(body, "n", INT64_MIN, INT64_MAX); n && *n != 1)
    throw ApiError(400, "'n' must be 1 (one choice per request)", "n");
  g.stream = get_bool(body, "stream").value_or(false);
  // llama.cpp's extension: keep generating past end-of-generation tokens (benchmarks).
  g.scheduled.ignore_eos = get_bool(body, "ignore_eos").value_or(false);
  if (const json* so = get_object(body, "stream_options")) g.include_usage = get_bool(*so, "include_usage").value_or(false);
  g.model = get_string(body, "model").value_or("");
}

void check_prompt_length(const GenerationRequest& g, const RequestContext& ctx) {
  const auto n = static_cast<int64_t>(g.scheduled.prompt.size());
  if (n == 0) throw ApiError(400, "the prompt is empty", "prompt");
  if (n >= ctx.context)
    throw ApiError(400, "the prompt is " + std::to_string(n) + " tokens but the context holds " +
                            std::to_string(ctx.context) + " (shorten it, or start the server with a larger -c)",
                   "messages");
}

}  // namespace trit::server
