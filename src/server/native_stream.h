// Renders a /completion or /infill generation in llama-server's shape.
//   streaming:     "data: {content, tokens, stop: false, ...}" events as text arrives, then one
//                  event with stop: true and the final fields (timings, stop_type, ...); no
//                  "[DONE]" line (llama-server sends none on these endpoints).
//   non-streaming: one object: content, tokens (with return_tokens), stop, model, tokens_predicted,
//                  tokens_evaluated, tokens_cached, generation_settings, prompt, truncated,
//                  stop_type ("eos", "limit", "word", "none"), stopping_word, timings, id_slot,
//                  and completion_probabilities when n_probs > 0.
// A generation that failed or was cut by a shutdown ends with {"error": {...}} instead.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/native_request.h"
#include "server/response_writer.h"
#include "tokenizer/tokenizer.h"

namespace trit::server {

class NativeStream final : public ResponseWriter {
 public:
  // `request` outlives the writer (both live in the job); so do the tokenizer and the options.
  NativeStream(const GenerationRequest& request, const NativeRequest& options, const tokenizer::Tokenizer& tokenizer,
               std::string model_id, int64_t n_ctx);

  std::string stream_events(const engine::RequestOutput& out) override;
  void accumulate(const engine::RequestOutput& out) override;
  nlohmann::json final_object() const override;

 private:
  nlohmann::json probabilities(const std::vector<engine::SampledToken>& tokens) const;
  nlohmann::json token_ids(const std::vector<engine::SampledToken>& tokens) const;
  nlohmann::json final_fields(const engine::RequestResult& r, const std::string& content,
                              const std::vector<engine::SampledToken>& tokens) const;

  const GenerationRequest& request_;
  int n_probs_;
  bool return_tokens_;
  std::vector<std::string> response_fields_;
  const tokenizer::Tokenizer& tokenizer_;
  std::string model_id_;
  int64_t n_ctx_;
  int64_t streamed_tokens_ = 0;
  std::string text_;
  std::vector<engine::SampledToken> tokens_;
  std::optional<engine::RequestResult> result_;
};

// llama-server's stop_type for a finished request.
const char* native_stop_type(const engine::RequestResult& r);
// llama-server's "timings" object.
nlohmann::json native_timings(const engine::RequestResult& r);

}  // namespace trit::server
