// The model's memory of one sequence, and the interface the engine drives it through.
//
// Interface (what generation, perplexity and bench use): capacity(), length(), rewind(), clear().
// Prefix reuse is "rewind to the shared prefix, feed the rest". A KV cache can rewind to any
// shorter length (its rows are per position). Recurrent state (Gated DeltaNet layers, coming
// next) folds every position into one fixed-size state and cannot: rewind() then answers false,
// changing nothing, and the caller recomputes (clear() and feed from scratch, or restore a
// snapshot taken at a prompt boundary once that state exists). Callers must therefore never
// assume a rewind happened; engine/sequence.cpp is the one place that handles the refusal.
// The forward pass alone uses store(), layer_view() and set_length().
//
// Storage. One KvSequence per conversation: for every layer, K and V rows of
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
  // Forgets positions from `length` on, keeping the prefix before it. False (nothing changed)
  // when the memory cannot go back there: a length past length(), or state that cannot rewind.
  [[nodiscard]] bool rewind(int64_t length);
  // Forgets every position; always possible.
  void clear() { length_ = 0; }
  // The forward pass after appending positions; bench to stand at a depth without filling it.
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
