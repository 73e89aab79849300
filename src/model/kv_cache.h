// The model's per-sequence memory for Qwen3: a KV cache, behind SequenceMemory
// (sequence_memory.h). It can rewind to any shorter length, as its rows are per position.
// The forward pass alone uses reserve(), store(), layer_view() and set_length().
//
// Storage: pages of a KvPagePool (kv_pool.h), kernels::kKvPagePositions positions of every
// attention layer's K and V rows each. The sequence holds page tables (where its pages start in
// the pool's K and V arrays, in position order) and takes pages as it grows (reserve), returning
// those past its length when it rewinds or clears. A sequence either has a pool of its own, sized to its
// capacity (run, chat, perplexity, bench, a prompt cache copy), or shares one with others (trit
// serve's slots: -c is the pool). Within one pool, copy_prefix() shares the other sequence's pages
// instead of copying rows; a page held by more than one sequence is copied by whichever writes
// into it first (copy-on-write, in reserve()), so a prompt prefix common to many requests is
// stored once.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/attention.h"
#include "model/config.h"
#include "model/kv_pool.h"
#include "model/sequence_memory.h"

namespace trit::model {

class KvSequence final : public SequenceMemory {
 public:
  // A sequence of up to `capacity` positions with a pool of its own.
  KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes types);
  // A sequence of up to `capacity` positions taking its pages from a shared pool.
  KvSequence(std::shared_ptr<KvPagePool> pool, int64_t capacity);
  ~KvSequence() override;
  KvSequence(const KvSequence&) = delete;
  KvSequence& operator=(const KvSequence&) = delete;

  int64_t capacity() const override { return capacity_; }
  int64_t length() const override { return length_; }  // positions filled
  kernels::KvTypes types() const { return pool_->types(); }
  [[nodiscard]] bool rewind(int64_t length) override;
  int64_t rewind_point(int64_t length) const override { return std::clamp<int64_t>(length, 0, length_); }
  void clear() override { (void)rewind(0); }
  bool copies_prefix() const override { return true; }
  [[nodiscard]] bool copy_prefix(const SequenceMemory& from, int64_t length) override;
  // Its own pool's storage, or the pages it holds of a shared pool.
  size_t bytes() const override;
  KvSequence& attention_cache() override { return *this; }

  int64_t pages_held() const { return static_cast<int64_t>(pages_.size()); }
  // Of those, the pages no other sequence holds (they return to the pool when this one lets go).
  int64_t pages_held_alone() const;
  // Pages a step to `length` positions would take from the pool (new pages and copies of shared
  // ones); 0 when it holds them all.
  int64_t pages_needed(int64_t length) const;
  const KvPagePool& pool() const { return *pool_; }

  // The forward pass, before writing positions length()..length - 1: makes their pages present and
  // held by this sequence alone. False when the pool has no free page left (positions before
  // length() are untouched either way).
  [[nodiscard]] bool reserve(int64_t length);
  // After appending positions.
  void set_length(int64_t length) { length_ = length; }

  // Writes position pos (reserved) of attention layer slot `layer` from f32 rows of kv_dim.
  void store(int64_t layer, int64_t pos, const float* k, const float* v);
  kernels::KvLayerView layer_view(int64_t layer) const;

  static size_t bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes types);

 private:
  void keep_pages(int64_t count);  // returns pages past the first `count` to the pool
  void add_page(int32_t page);
  void set_page(int64_t i, int32_t page);  // page table entry i (and its K and V starts)

  std::shared_ptr<KvPagePool> pool_;
  bool own_pool_;
  int64_t capacity_, length_ = 0;
  std::vector<int32_t> pages_;      // page ids in position order
  std::vector<uint8_t*> k_pages_;   // and where they start in the pool's K and V arrays (the
  std::vector<uint8_t*> v_pages_;   // kernels' page tables)
};

}  // namespace trit::model
