// The per-sequence memory of a qwen35 hybrid model, behind SequenceMemory (sequence_memory.h):
// a KV cache for its full-attention layers and the recurrent state of its Gated DeltaNet layers.
// The recurrent state folds every position into a fixed size, so it cannot go back to an earlier
// length by itself: rewind() succeeds to the current length, to 0 (start over), and to the length
// of a checkpoint, a copy of the state taken by checkpoint() (the generation loop takes one at the
// end of each prompt, engine/sequence.cpp). At most kMaxCheckpoints are kept, the shortest dropped
// first; rewinding to one drops those past it (their positions are gone). Speculative decoding keeps
// one more, the draft point (keep_draft_point(), or one token later, filled by the forward pass),
// where a verification that rejected drafts returns. Any other prefix is recomputed by the caller from the nearest rewind_point(). copy_prefix() takes another sequence's
// first positions where that one knows its state (its length or a checkpoint: a rewind_point()),
// with its checkpoints below them, so a copy answers the same shorter prompts the original would.
//
// State layout, per Gated DeltaNet layer (its slot, ModelConfig::slot_of):
//   conv: [conv_kernel - 1][qkv_dim] f32, the layer's last inputs to the causal conv1d, oldest first;
//   ssm:  [n_v_heads][head_dim (j: value)][head_dim (i: key)] f32, each head's state S transposed
//         (S[i][j] at j * head_dim + i), so the delta rule walks one contiguous row per value j.
// Both are zero for an empty sequence.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "model/config.h"
#include "model/kv_cache.h"
#include "model/sequence_memory.h"

namespace trit::model {

class DeltaNetState {
 public:
  explicit DeltaNetState(const ModelConfig& config);

  float* conv(int64_t slot) { return &conv_[slot * conv_floats_]; }
  float* ssm(int64_t slot) { return &ssm_[slot * ssm_floats_]; }
  int64_t conv_floats() const { return conv_floats_; }  // per layer
  int64_t ssm_floats() const { return ssm_floats_; }    // per layer
  void clear();
  void copy_from(const DeltaNetState& other);
  size_t bytes() const { return (conv_.size() + ssm_.size()) * sizeof(float); }
  static size_t bytes_for(const ModelConfig& config);

 private:
  int64_t conv_floats_, ssm_floats_;  // per layer
  std::vector<float> conv_, ssm_;
};

class HybridSequence final : public SequenceMemory {
 public:
  HybridSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes kv_types);
  // Its KV cache's pages from a shared pool (kv_pool.h).
  HybridSequence(const ModelConfig& config, std::shared_ptr<KvPagePool> pool, int64_t capacity);

  int64_t capacity() const override { return kv_.capacity(); }
  int64_t length() const override { return kv_.length(); }
  [[nodiscard]] bool rewind(int64_t length) override;
  int64_t rewind_point(int64_t length) const override;
  bool takes_checkpoints() const override { return true; }
  void checkpoint() override;
  void keep_draft_point() override;
  void keep_draft_point_after_next_token() override;
  DeltaNetState* draft_point_to_fill() override;
  void clear() override;
  bool copies_prefix() const override { return true; }
  [[nodiscard]] bool copy_prefix(const SequenceMemory& from, int64_t length) override;
  size_t bytes() const override {
    return kv_.bytes() + (1 + checkpoints_.size() + (draft_point_ ? 1 : 0)) * state_.bytes();
  }
  KvSequence& attention_cache() override { return kv_; }
  DeltaNetState* delta_net_state() override { return &state_; }

  // With every checkpoint and the draft point taken.
  static size_t bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes kv_types);
  static constexpr size_t kMaxCheckpoints = 2;

 private:
  struct Checkpoint {
    int64_t length;
    DeltaNetState state;
  };
  // The state after the first `length` positions if this sequence knows it (its length, a
  // checkpoint, the draft point), else null.
  const DeltaNetState* state_at(int64_t length) const;
  Checkpoint& draft_point_storage();  // made on first use (a sequence that never drafts has none)

  KvSequence kv_;
  DeltaNetState state_;
  std::vector<Checkpoint> checkpoints_;  // sorted by length
  std::unique_ptr<Checkpoint> draft_point_;  // keep_draft_point(); length -1 once rewound past
  // keep_draft_point_after_next_token(): the draft point's length once the next forward fills it
  // (draft_point_to_fill()); -1 when none is asked for.
  int64_t draft_point_due_ = -1;
};

}  // namespace trit::model
