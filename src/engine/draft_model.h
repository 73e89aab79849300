// A draft model for speculative decoding (-md FILE, SpeculationMode::draft): a smaller model of the
// same vocabulary (Bonsai 1.7B drafting for the 8B) guesses the next tokens by greedy decoding, and
// the target verifies them in one forward. It runs on the target engine's threads (drafting and
// verifying alternate, never overlap) with the target's context and KV cache types.
//
// Each sequence has a ModelDrafter: the draft model's memory of that sequence and the tokens it
// holds. To draft after a history it keeps the prefix it shares with what it holds (a rejected
// draft's positions are dropped, recurrent state returns to the draft point it kept before its own
// drafts), feeds the rest, then decodes one token at a time, the newest draft not fed.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/drafter.h"
#include "engine/engine.h"
#include "model/forward.h"
#include "model/sequence_memory.h"
#include "model/weights.h"
#include "tokenizer/tokenizer.h"

namespace trit::engine {

class DraftModel {
 public:
  // Loads `path` for `target`. Refuses (trit::Error) a model whose vocabulary differs from the
  // target's (its drafts would be other tokens), naming the first difference.
  DraftModel(const std::string& path, Engine& target);

  model::ForwardPass& forward() { return *forward_; }
  const model::Model& model() const { return *model_; }
  // Tokens a draft may be (the shared vocabulary; the rows of the embedding past it are padding).
  size_t vocab_size() const { return tokenizer_->vocab_size(); }
  int64_t batch() const { return batch_; }
  // An empty memory of the target's context, checked to fit in the available memory.
  std::unique_ptr<model::SequenceMemory> new_memory() const;
  // One line for start-up: the file, its size and type, the KV cache per sequence.
  std::string describe() const;

 private:
  std::string path_;
  EngineOptions options_;  // the target's context, KV types and batch
  int64_t batch_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<model::ForwardPass> forward_;
};

class ModelDrafter final : public Drafter {
 public:
  explicit ModelDrafter(std::shared_ptr<DraftModel> model);
  std::vector<int32_t> draft(std::span<const int32_t> history, model::SequenceMemory& target,
                             const DraftLimits& limits) override;
  bool is(const SpeculationOptions& options) const override {
    return options.mode == SpeculationMode::draft && options.draft_model == model_;
  }
  bool gives_up() const override { return true; }

 private:
  // Keeps the longest prefix of `history` the memory can return to, feeds the rest; returns the
  // logits row after history's last token.
  std::span<const float> catch_up(std::span<const int32_t> history);
  std::vector<int32_t> decode(std::span<const int32_t> history, const DraftLimits& limits);  // draft() unguarded

  std::shared_ptr<DraftModel> model_;
  std::unique_ptr<model::SequenceMemory> memory_;  // made at the first draft
  std::vector<int32_t> held_;                      // the tokens the memory holds
  std::vector<float> biased_;                      // a logits row with the bias added
};

}  // namespace trit::engine
