#include "server/native_stream.h"

#include "server/api_error.h"
#include "server/context.h"
#include "server/native_settings.h"

namespace trit::server {
namespace {

using json = nlohmann::json;

// A failed forward pass, or a generation the server cut while shutting down: an error, never a
// normal finish (a client left otherwise, and nobody reads the answer).
std::optional<json> result_error(const engine::RequestResult& r) {
  if (r.reason == engine::StopReason::cancelled)
    return error_body(503, "the server is shutting down: this generation was stopped after " +
                               std::to_string(r.generated_tokens) + " tokens");
  if (!r.error.empty()) return error_body(500, "generation failed: " + r.error);
  return std::nullopt;
}

json token_entry(const tokenizer::Tokenizer& tok, int32_t id, float logprob) {
  const std::string& bytes = tok.token_bytes(id);
  json b = json::array();
  for (unsigned char c : bytes) b.push_back(int(c));
  return {{"id", id}, {"token", bytes}, {"bytes", b}, {"logprob", logprob}};
}

// "a/b" takes b out of the object a, under the name "a/b" (llama-server's response_fields).
json pick_fields(const json& all, const std::vector<std::string>& fields) {
  json out = json::object();
  for (const std::string& f : fields) {
    const json* at = &all;
    size_t start = 0;
    bool found = true;
    while (found) {
      const size_t slash = f.find('/', start);
      const std::string key = f.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      if (!at->is_object() || !at->contains(key)) found = false;
      else at = &(*at)[key];
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    if (found) out[f] = *at;
  }
  return out;
}

double per(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

const char* native_stop_type(const engine::RequestResult& r) {
  switch (r.reason) {
    case engine::StopReason::end_of_generation: return "eos";
    case engine::StopReason::stop_string: return "word";
    case engine::StopReason::max_tokens:
    case engine::StopReason::context_full: return "limit";
    case engine::StopReason::cancelled: return "none";
  }
  return "none";
}

json native_timings(const engine::RequestResult& r) {
  const int64_t prompt_n = r.prompt_tokens - r.cached_tokens;
  const double prompt_ms = r.prompt_seconds * 1e3, predicted_ms = r.decode_seconds * 1e3;
  // The first sampled token ends the prompt phase; the rest are timed by decode_seconds.
  const int64_t predicted_n = r.generated_tokens;
  const int64_t decoded = r.generated_tokens > 1 ? r.generated_tokens - 1 : 0;
  return {{"cache_n", r.cached_tokens},
          {"prompt_n", prompt_n},
          {"prompt_ms", prompt_ms},
          {"prompt_per_token_ms", per(prompt_ms, double(prompt_n))},
          {"prompt_per_second", per(double(prompt_n) * 1e3, prompt_ms)},
          {"predicted_n", predicted_n},
          {"predicted_ms", predicted_ms},
          {"predicted_per_token_ms", per(predicted_ms, double(decoded))},
          {"predicted_per_second", per(double(decoded) * 1e3, predicted_ms)}};
}

NativeStream::NativeStream(const GenerationRequest& request, const NativeRequest& options,
                           const tokenizer::Tokenizer& tokenizer, std::string model_id, int64_t n_ctx)
    : request_(request),
      n_probs_(options.n_probs),
      return_tokens_(options.return_tokens),
      response_fields_(options.response_fields),
      tokenizer_(tokenizer),
      model_id_(std::move(model_id)),
      n_ctx_(n_ctx) {}

json NativeStream::probabilities(const std::vector<engine::SampledToken>& tokens) const {
  json out = json::array();
  for (const engine::SampledToken& t : tokens) {
    json e = token_entry(tokenizer_, t.token, t.logprob);
    json top = json::array();
    for (const engine::TokenProbability& p : t.top) top.push_back(token_entry(tokenizer_, p.token, p.logprob));
    e["top_logprobs"] = std::move(top);
    out.push_back(std::move(e));
  }
  return out;
}

json NativeStream::token_ids(const std::vector<engine::SampledToken>& tokens) const {
  json ids = json::array();
  for (const engine::SampledToken& t : tokens) ids.push_back(t.token);
  return ids;
}

json NativeStream::final_fields(const engine::RequestResult& r, const std::string& content,
                                const std::vector<engine::SampledToken>& tokens) const {
  NativeSettings settings;
  settings.options = request_.scheduled.options;
  settings.n_probs = n_probs_;
  settings.ignore_eos = request_.scheduled.ignore_eos;
  settings.stream = request_.stream;
  settings.n_ctx = n_ctx_;
  settings.model = model_id_;
  json o = {{"index", 0},
            {"content", content},
            {"tokens", token_ids(tokens)},
            {"id_slot", r.slot},
            {"stop", true},
            {"model", model_id_},
            {"tokens_predicted", r.generated_tokens},
            {"tokens_evaluated", r.prompt_tokens},
            {"tokens_cached", r.cached_tokens},
            {"generation_settings", native_settings_json(settings)},
            {"prompt", tokenizer_.decode(request_.scheduled.prompt)},
            {"has_new_line", content.find('\n') != std::string::npos},
            {"truncated", r.reason == engine::StopReason::context_full},
            {"stop_type", native_stop_type(r)},
            {"stopping_word", r.stop_string},
            {"timings", native_timings(r)}};
  if (n_probs_ > 0 && !request_.stream) o["completion_probabilities"] = probabilities(tokens_);
  return o;
}

std::string NativeStream::stream_events(const engine::RequestOutput& out) {
  std::string events;
  auto send = [&](const json& j) { events += "data: " + dump_json(j) + "\n\n"; };
  if (!out.text.empty() || !out.tokens.empty()) {
    streamed_tokens_ += static_cast<int64_t>(out.tokens.size());
    json chunk = {{"index", 0},
                  {"content", out.text},
                  {"tokens", token_ids(out.tokens)},
                  {"stop", false},
                  {"tokens_predicted", streamed_tokens_},
                  {"tokens_evaluated", static_cast<int64_t>(request_.scheduled.prompt.size())}};
    if (n_probs_ > 0) chunk["completion_probabilities"] = probabilities(out.tokens);
    send(chunk);
  }
  if (out.done) {
    if (auto error = result_error(out.result)) send(*error);
    else send(final_fields(out.result, "", {}));
  }
  return events;
}

void NativeStream::accumulate(const engine::RequestOutput& out) {
  text_ += out.text;
  tokens_.insert(tokens_.end(), out.tokens.begin(), out.tokens.end());
  if (out.done) result_ = out.result;
}

json NativeStream::final_object() const {
  if (!result_) return error_body(500, "the generation ended without a result");
  if (auto error = result_error(*result_)) return *error;
  static const std::vector<engine::SampledToken> none;
  json o = final_fields(*result_, text_, return_tokens_ ? tokens_ : none);
  if (!response_fields_.empty()) return pick_fields(o, response_fields_);
  return o;
}

}  // namespace trit::server
