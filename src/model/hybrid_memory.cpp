#include "model/hybrid_memory.h"

#include <algorithm>

namespace trit::model {
namespace {

int64_t conv_floats(const ModelConfig& c) { return (c.delta_net.conv_kernel - 1) * c.delta_net.qkv_dim(); }
int64_t ssm_floats(const ModelConfig& c) { return c.delta_net.n_v_heads * c.delta_net.head_dim * c.delta_net.head_dim; }

}  // namespace

DeltaNetState::DeltaNetState(const ModelConfig& config)
    : conv_floats_(conv_floats(config)),
      ssm_floats_(ssm_floats(config)),
      conv_(config.n_delta_net_layers() * conv_floats_, 0.0f),
      ssm_(config.n_delta_net_layers() * ssm_floats_, 0.0f) {}

void DeltaNetState::clear() {
  std::fill(conv_.begin(), conv_.end(), 0.0f);
  std::fill(ssm_.begin(), ssm_.end(), 0.0f);
}

size_t DeltaNetState::bytes_for(const ModelConfig& config) {
  return static_cast<size_t>(config.n_delta_net_layers()) * (conv_floats(config) + ssm_floats(config)) * sizeof(float);
}

HybridSequence::HybridSequence(const ModelConfig& config, int64_t capacity, kernels::KvType kv_type)
    : kv_(config, capacity, kv_type), state_(config) {}

bool HybridSequence::rewind(int64_t length) {
  if (length == kv_.length()) return true;
  if (length != 0) return false;
  clear();
  return true;
}

void HybridSequence::clear() {
  kv_.clear();
  state_.clear();
}

size_t HybridSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvType kv_type) {
  return KvSequence::bytes_for(config, capacity, kv_type) + DeltaNetState::bytes_for(config);
}

}  // namespace trit::model
