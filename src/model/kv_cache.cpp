#include "model/kv_cache.h"

#include <cstring>

#include "kernels/ops.h"
#include "util/error.h"

namespace trit::model {

size_t KvSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvType type) {
  size_t element = type == kernels::KvType::f32 ? 4 : 2;
  return static_cast<size_t>(config.n_attention_layers()) * 2 * capacity * config.kv_dim() * element;
}

KvSequence::KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvType type)
    : n_layers_(config.n_attention_layers()), n_head_kv_(config.n_head_kv), head_dim_(config.head_dim), kv_dim_(config.kv_dim()), capacity_(capacity), type_(type),
      element_bytes_(type == kernels::KvType::f32 ? 4 : 2) {
  if (capacity <= 0) fail("KV cache capacity must be positive");
  storage_.resize(bytes_for(config, capacity, type));
}

bool KvSequence::rewind(int64_t length) {
  if (length < 0 || length > length_) return false;
  length_ = length;  // rows past it are simply overwritten later
  return true;
}

bool KvSequence::copy_prefix(const SequenceMemory& from, int64_t length) {
  const auto* other = dynamic_cast<const KvSequence*>(&from);
  if (!other || other == this || other->type_ != type_ || other->n_layers_ != n_layers_ ||
      other->kv_dim_ != kv_dim_ || other->head_dim_ != head_dim_ || length < 0 || length > other->length_ ||
      length > capacity_)
    return false;
  // Per layer, K then V, per kv head: `length` contiguous rows of head_dim at the head's base.
  const size_t row = static_cast<size_t>(head_dim_) * element_bytes_;
  const size_t plane = static_cast<size_t>(capacity_) * kv_dim_ * element_bytes_;
  const size_t other_plane = static_cast<size_t>(other->capacity_) * kv_dim_ * element_bytes_;
  for (int64_t plane_index = 0; plane_index < 2 * n_layers_; ++plane_index)
    for (int64_t g = 0; g < n_head_kv_; ++g)
      std::memcpy(storage_.data() + plane_index * plane + g * capacity_ * row,
                  other->storage_.data() + plane_index * other_plane + g * other->capacity_ * row, length * row);
  length_ = length;
  return true;
}

void KvSequence::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  const size_t plane = static_cast<size_t>(capacity_) * kv_dim_ * element_bytes_;  // one layer's K (or V)
  uint8_t* k_base = storage_.data() + static_cast<size_t>(layer) * 2 * plane;
  uint8_t* v_base = k_base + plane;
  for (int64_t g = 0; g < n_head_kv_; ++g) {
    const size_t row = (static_cast<size_t>(g) * capacity_ + pos) * head_dim_ * element_bytes_;
    const float* kg = k + g * head_dim_;
    const float* vg = v + g * head_dim_;
    if (type_ == kernels::KvType::f32) {
      std::memcpy(k_base + row, kg, head_dim_ * 4);
      std::memcpy(v_base + row, vg, head_dim_ * 4);
    } else {
      kernels::narrow_to_f16(kg, head_dim_, reinterpret_cast<uint16_t*>(k_base + row));
      kernels::narrow_to_f16(vg, head_dim_, reinterpret_cast<uint16_t*>(v_base + row));
    }
  }
}

kernels::KvLayerView KvSequence::layer_view(int64_t layer) const {
  const size_t plane = static_cast<size_t>(capacity_) * kv_dim_ * element_bytes_;
  const uint8_t* base = storage_.data() + static_cast<size_t>(layer) * 2 * plane;
  return {type_, base, base + plane, head_dim_, capacity_ * head_dim_};
}

}  // namespace trit::model
