// The model's per-sequence memory for Qwen3: a KV cache, behind SequenceMemory
// (sequence_memory.h). It can rewind to any shorter length, as its rows are per position.
// The forward pass alone uses store(), layer_view() and set_length().
//
// Storage. One KvSequence per conversation: for every attention layer (its slot, ModelConfig::slot_of), K and V rows of
// head_dim values per kv head for positions 0..capacity-1, K in one KV type and V in another
// (kernels/kv_rows.h: f16 by default, f32, q8_0, q4_0). Layout per layer: the K plane, rows of
// kv_row_bytes(k type) at k[(kv_head * capacity + pos) * row_bytes], then the V plane alike:
// head-major, so the rows attention reads for one kv head are contiguous (position-major rows put
// every head's slice a whole position apart, and at 2 KiB strides those slices fight over L1/L2
// sets).
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
  KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes types);

  int64_t capacity() const override { return capacity_; }
  int64_t length() const override { return length_; }  // positions filled
  kernels::KvTypes types() const { return types_; }
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

  static size_t bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes types);

 private:
  // Bytes of one layer's K plane and V plane.
  size_t k_plane_bytes() const { return static_cast<size_t>(n_head_kv_ * capacity_ * k_row_bytes_); }
  size_t v_plane_bytes() const { return static_cast<size_t>(n_head_kv_ * capacity_ * v_row_bytes_); }
  size_t layer_offset(int64_t layer) const { return static_cast<size_t>(layer) * (k_plane_bytes() + v_plane_bytes()); }

  int64_t n_layers_, n_head_kv_, head_dim_, capacity_, length_ = 0;
  kernels::KvTypes types_;
  int64_t k_row_bytes_, v_row_bytes_;
  std::vector<uint8_t> storage_;  // [layer][K plane | V plane][kv_head][capacity][row bytes]
};

}  // namespace trit::model
