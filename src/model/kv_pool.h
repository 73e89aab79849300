// A pool of KV cache pages that sequences take as they grow and give back when they shrink or end
// (KvSequence, kv_cache.h): the memory of every sequence of a server comes from one pool, so -c
// bounds the positions of all slots together rather than each slot's own.
//
// A page holds kernels::kKvPagePositions positions of every attention layer and kv head. The
// storage is laid out as the single-sequence caches always were, head-major:
//   [layer (its slot, ModelConfig::slot_of)][K plane | V plane][kv_head][page][position in page][row bytes]
// so page `id` is the id-th run of kKvPagePositions rows in every (layer, plane, kv head) array. A
// sequence whose pages are consecutive (a pool of its own always; a shared pool often) reads each
// head's rows as one contiguous stream, as attention at depth wants: splitting them into short
// runs a page apart cost about 20% of decode speed at 8,192 positions on the 4B (measured on Zen 5,
// however the pages were placed). Pages are counted references: sequences that share a prompt
// prefix hold the same pages, and a sequence about to write into a page another still holds
// copies it first (KvSequence::reserve).
//
// The storage is allocated once and left untouched until used, so a large pool costs resident
// memory only for the pages sequences have written. Thread-safe: pages are taken and returned by
// the scheduler's thread, counted by /metrics from others.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "kernels/kv_rows.h"
#include "model/config.h"

namespace trit::model {

class KvPagePool {
 public:
  // Room for `positions` positions, rounded up to whole pages.
  KvPagePool(const ModelConfig& config, int64_t positions, kernels::KvTypes types);

  static int64_t pages_for(int64_t positions) {
    return (positions + kernels::kKvPagePositions - 1) / kernels::kKvPagePositions;
  }
  static size_t page_bytes_for(const ModelConfig& config, kernels::KvTypes types);

  // A free page with one reference, or -1 when none is free.
  int32_t acquire();
  void retain(int32_t page);
  void release(int32_t page);
  // References to `page` (1: only its holder; more: shared, so copy before writing).
  int references(int32_t page) const;
  // Where page `id` starts in the K and V arrays: kv head g's rows of layer l at
  // k_page(id) + k_offset(l) + g * k_head_bytes(), one row per k_row_bytes() (V alike).
  uint8_t* k_page(int32_t page) const { return storage_.get() + static_cast<size_t>(page) * kernels::kKvPagePositions * k_row_bytes_; }
  uint8_t* v_page(int32_t page) const { return storage_.get() + static_cast<size_t>(page) * kernels::kKvPagePositions * v_row_bytes_; }

  // Whether `other`'s pages hold the same rows as this pool's (model shape and KV types), so that
  // positions can be copied between them.
  bool same_layout(const KvPagePool& other) const;
  // Copies the first `count` positions of every layer and kv head of page `from` of `from_pool`
  // (this pool, or one with the same_layout()) into page `to`.
  void copy_positions(int32_t to, const KvPagePool& from_pool, int32_t from, int64_t count) const;

  // The error for a sequence that needs `needed` more pages than are free.
  std::string full_message(int64_t needed) const;

  int64_t pages_total() const { return pages_total_; }
  int64_t pages_free() const;
  int64_t pages_used() const { return pages_total_ - pages_free(); }
  size_t page_bytes() const { return page_bytes_; }
  size_t bytes() const { return page_bytes_ * static_cast<size_t>(pages_total_); }

  // Where one layer's planes lie in a page.
  kernels::KvTypes types() const { return types_; }
  int64_t n_layers() const { return n_layers_; }
  int64_t n_head_kv() const { return n_head_kv_; }
  int64_t head_dim() const { return head_dim_; }
  int64_t k_row_bytes() const { return k_row_bytes_; }
  int64_t v_row_bytes() const { return v_row_bytes_; }
  size_t k_offset(int64_t layer) const { return static_cast<size_t>(layer) * layer_bytes_; }
  size_t v_offset(int64_t layer) const { return k_offset(layer) + k_plane_bytes_; }
  int64_t k_head_bytes() const { return pages_total_ * kernels::kKvPagePositions * k_row_bytes_; }
  int64_t v_head_bytes() const { return pages_total_ * kernels::kKvPagePositions * v_row_bytes_; }

 private:
  int64_t n_layers_, n_head_kv_, head_dim_;
  kernels::KvTypes types_;
  int64_t k_row_bytes_, v_row_bytes_;
  size_t k_plane_bytes_, layer_bytes_, page_bytes_;
  int64_t pages_total_;
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> storage_;  // untouched until written

  mutable std::mutex mutex_;
  std::vector<int32_t> free_;        // pages with no reference, the next to take last
  std::vector<int32_t> references_;  // per page
};

}  // namespace trit::model
