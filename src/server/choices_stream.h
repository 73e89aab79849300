// OpenAI answers with several choices (n > 1, or batched prompts in /v1/completions): one
// GenerationStream per choice, each its own scheduled request, merged into one response.
//   streaming:     each choice's chunks as they come, carrying their "index" (choices interleave,
//                  as OpenAI's do); once every choice has ended, the usage chunk (summed) and
//                  [DONE]. A choice that ends in an error (shutdown, failed step) ends the stream
//                  with that error event instead; later output is dropped.
//   non-streaming: one object whose "choices" are in index order, usage summed: prompt tokens
//                  once per prompt (the n choices of a prompt share it), completion tokens of all.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/generation_stream.h"

namespace trit::server {

class ChoicesStream final : public ResponseWriter {
 public:
  ChoicesStream(bool chat, const GenerationRequest& request, const tokenizer::Tokenizer& tokenizer,
                const std::string& model_id, size_t choices);

  size_t max_choices() const override { return streams_.size(); }
  std::string stream_choice_events(size_t index, const engine::RequestOutput& out) override;
  void accumulate_choice(size_t index, const engine::RequestOutput& out) override;
  nlohmann::json final_object() const override;

  // One choice's calls only make sense with its index.
  std::string stream_events(const engine::RequestOutput& out) override { return stream_choice_events(0, out); }
  void accumulate(const engine::RequestOutput& out) override { accumulate_choice(0, out); }

 private:
  engine::RequestResult usage_sum() const;

  const GenerationRequest& request_;
  std::vector<std::unique_ptr<GenerationStream>> streams_;
  std::vector<engine::RequestResult> results_;
  std::vector<bool> done_;
  size_t ended_ = 0;
  bool failed_ = false;  // streaming: an error event was sent
};

}  // namespace trit::server
