#include "model/kv_pool.h"

#include <cstdlib>
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
  pages_total_ = pages_for(positions);
  k_plane_bytes_ = static_cast<size_t>(n_head_kv_ * k_head_bytes());
  layer_bytes_ = k_plane_bytes_ + static_cast<size_t>(n_head_kv_ * v_head_bytes());
  page_bytes_ = static_cast<size_t>(n_layers_ * n_head_kv_ * kernels::kKvPagePositions * (k_row_bytes_ + v_row_bytes_));
  const size_t bytes = page_bytes_ * static_cast<size_t>(pages_total_);
  storage_.reset(static_cast<uint8_t*>(std::malloc(bytes)));
  if (!storage_) fail("out of memory for a KV cache pool of ", bytes >> 20, " MiB");
  references_.assign(static_cast<size_t>(pages_total_), 0);
  for (int64_t i = pages_total_ - 1; i >= 0; --i) free_.push_back(static_cast<int32_t>(i));
}

size_t KvPagePool::page_bytes_for(const ModelConfig& config, kernels::KvTypes types) {
  const int64_t row = kernels::kv_row_bytes(types.k, config.head_dim) + kernels::kv_row_bytes(types.v, config.head_dim);
  return static_cast<size_t>(config.n_attention_layers() * config.n_head_kv * kernels::kKvPagePositions * row);
}

void KvPagePool::Free::operator()(uint8_t* p) const { std::free(p); }

std::string KvPagePool::full_message(int64_t needed) const {
  return cat("the KV cache pool is full: its ", pages_total_, " pages of ", kernels::kKvPagePositions, " positions (",
             pages_total_ * kernels::kKvPagePositions, " in all) are held by the sequences running now, and one needs ",
             needed, " more; raise -c or run fewer at once (--parallel)");
}

bool KvPagePool::same_layout(const KvPagePool& other) const {
  return types_.k == other.types_.k && types_.v == other.types_.v && n_layers_ == other.n_layers_ &&
         n_head_kv_ == other.n_head_kv_ && head_dim_ == other.head_dim_;
}

void KvPagePool::copy_positions(int32_t to, const KvPagePool& from_pool, int32_t from, int64_t count) const {
  for (int64_t layer = 0; layer < n_layers_; ++layer)
    for (int64_t g = 0; g < n_head_kv_; ++g) {
      std::memcpy(k_page(to) + k_offset(layer) + g * k_head_bytes(),
                  from_pool.k_page(from) + from_pool.k_offset(layer) + g * from_pool.k_head_bytes(),
                  static_cast<size_t>(count * k_row_bytes_));
      std::memcpy(v_page(to) + v_offset(layer) + g * v_head_bytes(),
                  from_pool.v_page(from) + from_pool.v_offset(layer) + g * from_pool.v_head_bytes(),
                  static_cast<size_t>(count * v_row_bytes_));
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
