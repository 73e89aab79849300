// Key/value cache storage. One KvSequence per conversation: for every layer, K and V rows of
// kv_dim values (n_head_kv heads x head_dim) for positions 0..capacity-1, in f16 (default) or f32.
// Layout per layer: k[(kv_head * capacity + pos) * head_dim + i], the same for v: head-major, so
// the rows attention reads for one kv head are contiguous (position-major rows of kv_dim put
// every head's slice kv_dim apart, and at 2 KiB strides those slices fight over L1/L2 sets).
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/attention.h"
#include "model/config.h"

namespace trit::model {

class KvSequence {
 public:
  KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvType type);

  int64_t capacity() const { return capacity_; }
  int64_t length() const { return length_; }  // positions filled
  kernels::KvType type() const { return type_; }
  // Forget positions from `length` on (reuse of a cached prefix keeps the rest).
  void truncate(int64_t length);
  void set_length(int64_t length) { length_ = length; }

  // Writes position pos of layer `layer` from f32 rows of kv_dim.
  void store(int64_t layer, int64_t pos, const float* k, const float* v);
  kernels::KvLayerView layer_view(int64_t layer) const;

  size_t bytes() const { return storage_.size(); }
  static size_t bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvType type);

 private:
  int64_t n_layers_, n_head_kv_, head_dim_, kv_dim_, capacity_, length_ = 0;
  kernels::KvType type_;
  size_t element_bytes_;
  std::vector<uint8_t> storage_;  // [layer][k|v][kv_head][capacity][head_dim]
};

}  // namespace trit::model
