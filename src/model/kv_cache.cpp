#include "model/kv_cache.h"

#include "util/error.h"

namespace trit::model {

using kernels::kKvPagePositions;

size_t KvSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes types) {
  return KvPagePool::page_bytes_for(config, types) * static_cast<size_t>(KvPagePool::pages_for(capacity));
}

KvSequence::KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes types)
    : KvSequence(std::make_shared<KvPagePool>(config, capacity, types), capacity) {
  own_pool_ = true;
}

KvSequence::KvSequence(std::shared_ptr<KvPagePool> pool, int64_t capacity)
    : pool_(std::move(pool)), own_pool_(false), capacity_(capacity) {
  if (capacity <= 0) fail("KV cache capacity must be positive, got ", capacity);
  pages_.reserve(static_cast<size_t>(KvPagePool::pages_for(capacity)));
  k_pages_.reserve(pages_.capacity());
  v_pages_.reserve(pages_.capacity());
}

KvSequence::~KvSequence() { keep_pages(0); }

size_t KvSequence::bytes() const { return own_pool_ ? pool_->bytes() : pool_->page_bytes() * pages_.size(); }

void KvSequence::keep_pages(int64_t count) {
  while (static_cast<int64_t>(pages_.size()) > count) {
    pool_->release(pages_.back());
    pages_.pop_back();
    k_pages_.pop_back();
    v_pages_.pop_back();
  }
}

void KvSequence::add_page(int32_t page) {
  pages_.push_back(page);
  k_pages_.push_back(nullptr);
  v_pages_.push_back(nullptr);
  set_page(pages_held() - 1, page);
}

void KvSequence::set_page(int64_t i, int32_t page) {
  const auto at = static_cast<size_t>(i);
  pages_[at] = page;
  k_pages_[at] = pool_->k_page(page);
  v_pages_[at] = pool_->v_page(page);
}

bool KvSequence::rewind(int64_t length) {
  if (length < 0 || length > length_) return false;
  length_ = length;
  keep_pages(KvPagePool::pages_for(length));
  return true;
}

int64_t KvSequence::pages_held_alone() const {
  int64_t alone = 0;
  for (int32_t page : pages_) alone += pool_->references(page) == 1 ? 1 : 0;
  return alone;
}

int64_t KvSequence::pages_needed(int64_t length) const {
  int64_t needed = 0;
  for (int64_t i = length_ / kKvPagePositions; i < KvPagePool::pages_for(length); ++i)
    if (i >= pages_held() || pool_->references(pages_[i]) > 1) ++needed;
  return needed;
}

bool KvSequence::reserve(int64_t length) {
  if (length > capacity_) return false;
  for (int64_t i = length_ / kKvPagePositions; i < KvPagePool::pages_for(length); ++i) {
    if (i < pages_held() && pool_->references(pages_[i]) == 1) continue;
    const int32_t page = pool_->acquire();
    if (page < 0) {
      keep_pages(std::max(i, KvPagePool::pages_for(length_)));
      return false;
    }
    if (i < pages_held()) {
      // Shared with another sequence: take a copy of the positions before ours to write into.
      pool_->copy_positions(page, *pool_, pages_[i], std::clamp<int64_t>(length_ - i * kKvPagePositions, 0, kKvPagePositions));
      pool_->release(pages_[i]);
      set_page(i, page);
    } else {
      add_page(page);
    }
  }
  return true;
}

bool KvSequence::copy_prefix(const SequenceMemory& from, int64_t length) {
  const auto* other = dynamic_cast<const KvSequence*>(&from);
  if (!other || other == this || length < 0 || length > other->length_ || length > capacity_) return false;
  if (!pool_->same_layout(*other->pool_)) return false;
  const int64_t pages = KvPagePool::pages_for(length);
  if (pool_ == other->pool_) {
    // The same pool: hold its pages too (a write into a shared one copies it first).
    keep_pages(0);
    for (int64_t i = 0; i < pages; ++i) {
      pool_->retain(other->pages_[i]);
      add_page(other->pages_[i]);
    }
  } else {
    if (pool_->pages_free() + pages_held_alone() < pages) return false;
    keep_pages(0);
    for (int64_t i = 0; i < pages; ++i) {
      add_page(pool_->acquire());
      pool_->copy_positions(pages_[i], *other->pool_, other->pages_[i], std::min(kKvPagePositions, length - i * kKvPagePositions));
    }
  }
  length_ = length;
  return true;
}

void KvSequence::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  const int64_t page = pos / kKvPagePositions, in_page = pos % kKvPagePositions, head_dim = pool_->head_dim();
  uint8_t* const k_rows = k_pages_[page] + pool_->k_offset(layer) + in_page * pool_->k_row_bytes();
  uint8_t* const v_rows = v_pages_[page] + pool_->v_offset(layer) + in_page * pool_->v_row_bytes();
  for (int64_t g = 0; g < pool_->n_head_kv(); ++g) {
    kernels::store_kv_row(types().k, k + g * head_dim, head_dim, k_rows + g * pool_->k_head_bytes());
    kernels::store_kv_row(types().v, v + g * head_dim, head_dim, v_rows + g * pool_->v_head_bytes());
  }
}

kernels::KvLayerView KvSequence::layer_view(int64_t layer) const {
  return {{types().k, k_pages_.data(), pool_->k_offset(layer), pool_->k_row_bytes(), pool_->k_head_bytes()},
          {types().v, v_pages_.data(), pool_->v_offset(layer), pool_->v_row_bytes(), pool_->v_head_bytes()}};
}

}  // namespace trit::model
