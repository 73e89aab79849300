// The model's per-sequence memory for Qwen3: a KV cache, behind SequenceMemory
// (sequence_memory.h). It can rewind to any shorter length, as its rows are per position.
// The forward pass alone uses store(), layer_view() and set_length().
//
// Storage. One KvSequence per conversation: for every attention layer (its slot, ModelConfig::slot_of), K and V rows of
// kv_dim values (n_head_kv heads x head_dim) for positions 0..capacity-1, in f16 (default) or f32.
// Layout per layer: k[(kv_head * capacity + pos) * head_dim + i], the same for v: head-major, so
// the rows attention reads for one kv head are contiguous (position-major rows of kv_dim put
// every head's slice kv_dim apart, and at 2 KiB strides those slices fight over L1/L2 sets).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "model/config.h"
#include "model/sequence_memory.h"

namespace trit::model {

class KvSequence final : public SequenceMemory {
 public:
  KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvType type);

  int64_t capacity() const override { return capacity_; }
  int64_t length() const override { return length_; }  // positions filled
  kernels::KvType type() const { return type_; }
  [[nodiscard]] bool rewind(int64_t length) override;
  int64_t rewind_point(int64_t length) const override { return std::clamp<int64_t>(length, 0, length_); }
  void clear() override { length_ = 0; }
  bool copies_prefix() const override { return true; }
  [[nodiscard]] bool copy_prefix(const SequenceMemory& from, int64_t length) override;
  size_t bytes() const override { return storage_.size(); }
  KvSequence& attention_cache() override { return *this; }

  // The forward pass, after appending positions.
  void set_length(int64_t length) { length_ = length; }

  // Writes position pos of attention layer slot `layer` from f32 rows of kv_dim.
  void store(int64_t layer, int64_t pos, const float* k, const float* v);
  kernels::KvLayerView layer_view(int64_t layer) const;

  static size_t bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvType type);

 private:
  int64_t n_layers_, n_head_kv_, head_dim_, kv_dim_, capacity_, length_ = 0;
  kernels::KvType type_;
  size_t element_bytes_;
  std::vector<uint8_t> storage_;  // [layer][k|v][kv_head][capacity][head_dim]
};

}  // namespace trit::model
