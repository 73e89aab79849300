#include "model/kv_pool.h"

#include <cstring>
#include <utility>

#include "formats/type_info.h"
#include "util/error.h"

namespace trit::model {

KvPagePool::KvPagePool(const ModelConfig& config, int64_t positions, kernels::KvTypes types)
    : n_layers_(config.n_attention_layers()), n_head_kv_(config.n_head_kv), head_dim_(config.head_dim), types_(types) {
  for (auto [type, which] : {std::pair{types.k, "K"}, std::pair{types.v, "V"}})
    if (!kernels::kv_type_fits(type, head_dim_))
      fail("KV cache type ", kernels::kv_type_name(type), " for ", which, " needs a head size that is a multiple of its block (",
           kernels::kv_type_info(type).block_size, "); this model's is ", head_dim_);
  if (positions <= 0) fail("KV cache capacity must be positive, got ", positions);
  k_row_bytes_ = kernels::kv_row_bytes(types.k, head_dim_);
  v_row_bytes_ = kernels::kv_row_bytes(types.v, head_dim_);
  k_plane_bytes_ = static_cast<size_t>(n_head_kv_ * kernels::kKvPagePositions * k_row_bytes_);
  layer_bytes_ = k_plane_bytes_ + static_cast<size_t>(n_head_kv_ * kernels::kKvPagePositions * v_row_bytes_);
  page_bytes_ = static_cast<size_t>(n_layers_) * layer_bytes_;
  pages_total_ = pages_for(positions);
  storage_.reset(new uint8_t[page_bytes_ * static_cast<size_t>(pages_total_)]);
  references_.assign(static_cast<size_t>(pages_total_), 0);
  for (int64_t i = pages_total_ - 1; i >= 0; --i) free_.push_back(static_cast<int32_t>(i));
}

size_t KvPagePool::page_bytes_for(const ModelConfig& config, kernels::KvTypes types) {
  const int64_t row = kernels::kv_row_bytes(types.k, config.head_dim) + kernels::kv_row_bytes(types.v, config.head_dim);
  return static_cast<size_t>(config.n_attention_layers() * config.n_head_kv * kernels::kKvPagePositions * row);
}

void KvPagePool::copy_positions(uint8_t* to, const uint8_t* from, int64_t count) const {
  for (int64_t layer = 0; layer < n_layers_; ++layer)
    for (auto [offset, row_bytes] : {std::pair{k_offset(layer), k_row_bytes_}, std::pair{v_offset(layer), v_row_bytes_}})
      for (int64_t g = 0; g < n_head_kv_; ++g) {
        const size_t at = offset + static_cast<size_t>(g * kernels::kKvPagePositions * row_bytes);
        std::memcpy(to + at, from + at, static_cast<size_t>(count * row_bytes));
      }
}

int32_t KvPagePool::acquire() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (free_.empty()) return -1;
  const int32_t page = free_.back();
  free_.pop_back();
  references_[page] = 1;
  return page;
}

void KvPagePool::retain(int32_t page) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++references_[page];
}

void KvPagePool::release(int32_t page) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (--references_[page] == 0) free_.push_back(page);
}

int KvPagePool::references(int32_t page) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return references_[page];
}

int64_t KvPagePool::pages_free() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(free_.size());
}

}  // namespace trit::model
