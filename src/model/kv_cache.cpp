#include "model/kv_cache.h"

#include <cstring>

#include "formats/fp16.h"
#include "util/error.h"

namespace trit::model {

size_t KvSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvType type) {
  size_t element = type == kernels::KvType::f32 ? 4 : 2;
  return static_cast<size_t>(config.n_layers) * 2 * capacity * config.kv_dim() * element;
}

KvSequence::KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvType type)
    : n_layers_(config.n_layers), kv_dim_(config.kv_dim()), capacity_(capacity), type_(type),
      element_bytes_(type == kernels::KvType::f32 ? 4 : 2) {
  if (capacity <= 0) fail("KV cache capacity must be positive");
  storage_.resize(bytes_for(config, capacity, type));
}

void KvSequence::truncate(int64_t length) {
  if (length < length_) length_ = length < 0 ? 0 : length;
}

void KvSequence::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  uint8_t* base = storage_.data() + static_cast<size_t>(layer) * 2 * capacity_ * kv_dim_ * element_bytes_;
  uint8_t* k_row = base + static_cast<size_t>(pos) * kv_dim_ * element_bytes_;
  uint8_t* v_row = k_row + static_cast<size_t>(capacity_) * kv_dim_ * element_bytes_;
  if (type_ == kernels::KvType::f32) {
    std::memcpy(k_row, k, kv_dim_ * 4);
    std::memcpy(v_row, v, kv_dim_ * 4);
  } else {
    auto* kh = reinterpret_cast<uint16_t*>(k_row);
    auto* vh = reinterpret_cast<uint16_t*>(v_row);
    for (int64_t i = 0; i < kv_dim_; ++i) {
      kh[i] = formats::f32_to_fp16(k[i]);
      vh[i] = formats::f32_to_fp16(v[i]);
    }
  }
}

kernels::KvLayerView KvSequence::layer_view(int64_t layer) const {
  const uint8_t* base = storage_.data() + static_cast<size_t>(layer) * 2 * capacity_ * kv_dim_ * element_bytes_;
  return {type_, base, base + static_cast<size_t>(capacity_) * kv_dim_ * element_bytes_, kv_dim_};
}

}  // namespace trit::model
