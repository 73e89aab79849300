// Speculative decoding with the model's own multi-token-prediction head (--spec mtp; files with
// nextn_predict_layers, model/mtp_head.h). The head reads the model's final hidden state at the
// newest fed position and the token after it (the sampled one) and predicts the token after that:
// the first draft. Further drafts feed the head its own output in place of the hidden state the
// model has not computed yet, so they are guesses of a guess and are taken less often.
//
// Each sequence has an MtpDrafter: the head's KV cache of that sequence, a row per position p
// built from (h_p, token p + 1), the real hidden states only. The target's memory keeps the hidden
// states of what it feeds (model/hidden_rows.h); before drafting the drafter adds the rows it has
// not seen, drops the rows of a history that changed, and starts over from the hidden states the
// memory still holds when older ones are gone (its attention then sees fewer positions: drafts
// may be worse, the output never changes, as the target verifies every draft).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/drafter.h"
#include "engine/engine.h"
#include "model/forward.h"
#include "model/kv_cache.h"
#include "model/mtp_head.h"

namespace trit::engine {

class MtpModel {
 public:
  // Binds the MTP block of the target's file; refuses (trit::Error) a file without one.
  explicit MtpModel(Engine& target);

  model::ForwardPass& forward() { return *forward_; }
  const model::MtpHead& head() const { return *head_; }
  size_t vocab_size() const { return vocab_size_; }
  int64_t batch() const { return options_.batch; }
  // An empty KV cache of the head for one sequence, of the target's context.
  std::unique_ptr<model::KvSequence> new_cache() const;
  // One line for start-up: the block, its weights and its cache per sequence.
  std::string describe() const;

 private:
  EngineOptions options_;  // the target's context, KV types and batch
  size_t vocab_size_;
  std::unique_ptr<model::MtpHead> head_;
  std::unique_ptr<model::ForwardPass> forward_;
};

class MtpDrafter final : public Drafter {
 public:
  explicit MtpDrafter(std::shared_ptr<MtpModel> model);
  std::vector<int32_t> draft(std::span<const int32_t> history, model::SequenceMemory& target,
                             const DraftLimits& limits) override;
  bool is(const SpeculationOptions& options) const override {
    return options.mode == SpeculationMode::mtp && options.mtp_model == model_;
  }
  bool gives_up() const override { return true; }
  int64_t hidden_width() const override { return model_->head().model().config().n_embd; }
  void observe(std::span<const int32_t> history, model::SequenceMemory& target) override;

 private:
  std::vector<int32_t> decode(std::span<const int32_t> history, model::SequenceMemory& target,
                              const DraftLimits& limits);  // draft() unguarded
  // Brings the cache's rows up to the target's newest fed position; returns that row's logits, or
  // an empty span when the memory holds no hidden state to draft from.
  std::span<const float> catch_up(std::span<const int32_t> history, model::SequenceMemory& target);
  // One more row after the newest: `token` with the head's last output as its hidden state.
  std::span<const float> step_ahead(int32_t token);
  // After a failed forward, which may leave the cache half written: starts over at the next call.
  void forget();

  std::shared_ptr<MtpModel> model_;
  std::unique_ptr<model::KvSequence> cache_;  // made at the first draft
  int64_t base_ = 0;                          // the position of the cache's first row
  std::vector<int32_t> held_;                 // history[0 .. base_ + rows]: the tokens its rows read
  std::vector<float> ahead_;                  // the head's last output (a stand-in hidden state)
  std::vector<float> biased_;                 // a logits row with the bias added
};

}  // namespace trit::engine
