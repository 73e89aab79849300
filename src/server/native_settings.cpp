#include "server/native_settings.h"

namespace trit::server {
namespace {

// The samplers that run, in trit's fixed order (engine/sampling.h): penalties, the filters,
// temperature.
nlohmann::json samplers(const engine::SamplingParams& p) {
  nlohmann::json out = nlohmann::json::array();
  if (p.repeat_penalty != 1.0f || p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) out.push_back("penalties");
  if (p.top_k > 0) out.push_back("top_k");
  if (p.top_p < 1.0f) out.push_back("top_p");
  if (p.min_p > 0.0f) out.push_back("min_p");
  out.push_back("temperature");
  return out;
}

}  // namespace

nlohmann::json native_settings_json(const NativeSettings& s) {
  const engine::SamplingParams& p = s.options.sampling;
  return {
      {"n_ctx", s.n_ctx},
      {"n_predict", s.options.max_tokens},
      {"max_tokens", s.options.max_tokens},
      {"model", s.model},
      {"seed", p.seed},
      {"temperature", p.temperature},
      {"top_k", p.top_k},
      {"top_p", p.top_p},
      {"min_p", p.min_p},
      {"repeat_penalty", p.repeat_penalty},
      {"repeat_last_n", p.repeat_last_n},
      {"presence_penalty", p.presence_penalty},
      {"frequency_penalty", p.frequency_penalty},
      {"mirostat", 0},
      {"typical_p", 1.0},
      {"stop", s.options.stop},
      {"n_probs", s.n_probs},
      {"ignore_eos", s.ignore_eos},
      {"stream", s.stream},
      {"cache_prompt", true},  // prefix reuse is always on
      {"samplers", samplers(p)},
      {"grammar", ""},
  };
}

}  // namespace trit::server
