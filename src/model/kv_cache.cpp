#include "model/kv_cache.h"

#include <cstring>

#include "formats/type_info.h"
#include "util/error.h"

namespace trit::model {
namespace {

void check_fits(kernels::KvType type, const ModelConfig& config, const char* which) {
  if (!kernels::kv_type_fits(type, config.head_dim))
    fail("KV cache type ", kernels::kv_type_name(type), " for ", which, " needs a head size that is a multiple of its block (",
         kernels::kv_type_info(type).block_size, "); this model's is ", config.head_dim);
}

}  // namespace

size_t KvSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes types) {
  check_fits(types.k, config, "K");
  check_fits(types.v, config, "V");
  const int64_t row = kernels::kv_row_bytes(types.k, config.head_dim) + kernels::kv_row_bytes(types.v, config.head_dim);
  return static_cast<size_t>(config.n_attention_layers()) * capacity * config.n_head_kv * row;
}

KvSequence::KvSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes types)
    : n_layers_(config.n_attention_layers()), n_head_kv_(config.n_head_kv), head_dim_(config.head_dim), capacity_(capacity),
      types_(types) {
  if (capacity <= 0) fail("KV cache capacity must be positive");
  storage_.resize(bytes_for(config, capacity, types));
  k_row_bytes_ = kernels::kv_row_bytes(types.k, head_dim_);
  v_row_bytes_ = kernels::kv_row_bytes(types.v, head_dim_);
}

bool KvSequence::rewind(int64_t length) {
  if (length < 0 || length > length_) return false;
  length_ = length;  // rows past it are simply overwritten later
  return true;
}

bool KvSequence::copy_prefix(const SequenceMemory& from, int64_t length) {
  const auto* other = dynamic_cast<const KvSequence*>(&from);
  if (!other || other == this || other->types_.k != types_.k || other->types_.v != types_.v ||
      other->n_layers_ != n_layers_ || other->n_head_kv_ != n_head_kv_ || other->head_dim_ != head_dim_ || length < 0 ||
      length > other->length_ || length > capacity_)
    return false;
  // Per layer, K then V, per kv head: `length` contiguous rows at the head's base.
  for (int64_t layer = 0; layer < n_layers_; ++layer) {
    uint8_t* to = storage_.data() + layer_offset(layer);
    const uint8_t* src = other->storage_.data() + other->layer_offset(layer);
    for (int64_t row_bytes : {k_row_bytes_, v_row_bytes_}) {
      for (int64_t g = 0; g < n_head_kv_; ++g)
        std::memcpy(to + g * capacity_ * row_bytes, src + g * other->capacity_ * row_bytes, length * row_bytes);
      to += n_head_kv_ * capacity_ * row_bytes;
      src += n_head_kv_ * other->capacity_ * row_bytes;
    }
  }
  length_ = length;
  return true;
}

void KvSequence::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  uint8_t* k_base = storage_.data() + layer_offset(layer);
  uint8_t* v_base = k_base + k_plane_bytes();
  for (int64_t g = 0; g < n_head_kv_; ++g) {
    const int64_t row = g * capacity_ + pos;
    kernels::store_kv_row(types_.k, k + g * head_dim_, head_dim_, k_base + row * k_row_bytes_);
    kernels::store_kv_row(types_.v, v + g * head_dim_, head_dim_, v_base + row * v_row_bytes_);
  }
}

kernels::KvLayerView KvSequence::layer_view(int64_t layer) const {
  const uint8_t* base = storage_.data() + layer_offset(layer);
  return {{types_.k, base, k_row_bytes_, capacity_ * k_row_bytes_},
          {types_.v, base + k_plane_bytes(), v_row_bytes_, capacity_ * v_row_bytes_}};
}

}  // namespace trit::model
