#include "model/hybrid_memory.h"

#include <algorithm>
#include <utility>

namespace trit::model {
namespace {

int64_t conv_floats_per_layer(const ModelConfig& c) { return (c.delta_net.conv_kernel - 1) * c.delta_net.qkv_dim(); }
int64_t ssm_floats_per_layer(const ModelConfig& c) { return c.delta_net.n_v_heads * c.delta_net.head_dim * c.delta_net.head_dim; }

}  // namespace

DeltaNetState::DeltaNetState(const ModelConfig& config)
    : conv_floats_(conv_floats_per_layer(config)),
      ssm_floats_(ssm_floats_per_layer(config)),
      conv_(config.n_delta_net_layers() * conv_floats_, 0.0f),
      ssm_(config.n_delta_net_layers() * ssm_floats_, 0.0f) {}

void DeltaNetState::clear() {
  std::fill(conv_.begin(), conv_.end(), 0.0f);
  std::fill(ssm_.begin(), ssm_.end(), 0.0f);
}

void DeltaNetState::copy_from(const DeltaNetState& other) {
  std::copy(other.conv_.begin(), other.conv_.end(), conv_.begin());
  std::copy(other.ssm_.begin(), other.ssm_.end(), ssm_.begin());
}

size_t DeltaNetState::bytes_for(const ModelConfig& config) {
  return static_cast<size_t>(config.n_delta_net_layers()) * (conv_floats_per_layer(config) + ssm_floats_per_layer(config)) * sizeof(float);
}

HybridSequence::HybridSequence(const ModelConfig& config, int64_t capacity, kernels::KvTypes kv_types)
    : kv_(config, capacity, kv_types), state_(config) {}

HybridSequence::HybridSequence(const ModelConfig& config, std::shared_ptr<KvPagePool> pool, int64_t capacity)
    : kv_(std::move(pool), capacity), state_(config) {}

bool HybridSequence::rewind(int64_t length) {
  if (length == kv_.length()) return true;
  draft_point_due_ = -1;
  if (length == 0) {
    clear();
    return true;
  }
  if (length > kv_.length()) return false;
  auto past = [&](const Checkpoint& c) { return c.length > length; };
  auto it = std::find_if(checkpoints_.begin(), checkpoints_.end(),
                         [&](const Checkpoint& c) { return c.length == length; });
  if (it != checkpoints_.end()) {
    state_.copy_from(it->state);
  } else if (draft_point_ && draft_point_->length == length) {
    state_.copy_from(draft_point_->state);
  } else {
    return false;
  }
  checkpoints_.erase(std::remove_if(checkpoints_.begin(), checkpoints_.end(), past), checkpoints_.end());
  if (draft_point_ && past(*draft_point_)) draft_point_->length = -1;
  return kv_.rewind(length);
}

int64_t HybridSequence::rewind_point(int64_t length) const {
  if (length >= kv_.length()) return kv_.length();
  int64_t point = 0;
  for (const Checkpoint& c : checkpoints_)
    if (c.length <= length) point = c.length;
  if (draft_point_ && draft_point_->length <= length && draft_point_->length > point) point = draft_point_->length;
  return point;
}

const DeltaNetState* HybridSequence::state_at(int64_t length) const {
  if (length == kv_.length()) return &state_;
  for (const Checkpoint& c : checkpoints_)
    if (c.length == length) return &c.state;
  if (draft_point_ && draft_point_->length == length) return &draft_point_->state;
  return nullptr;
}

bool HybridSequence::copy_prefix(const SequenceMemory& from, int64_t length) {
  const auto* other = dynamic_cast<const HybridSequence*>(&from);
  if (!other || other == this || length < 0 || length > other->length()) return false;
  const DeltaNetState* state = length == 0 ? nullptr : other->state_at(length);
  if (length > 0 && !state) return false;  // the state there is not known: feed from a rewind_point()
  if (!kv_.copy_prefix(other->kv_, length)) return false;  // a different layout or too long
  if (state) state_.copy_from(*state);
  else state_.clear();
  checkpoints_.clear();
  for (const Checkpoint& c : other->checkpoints_)
    if (c.length < length) checkpoints_.push_back(c);
  if (draft_point_) draft_point_->length = -1;
  draft_point_due_ = -1;
  return true;
}

HybridSequence::Checkpoint& HybridSequence::draft_point_storage() {
  if (!draft_point_) draft_point_ = std::make_unique<Checkpoint>(Checkpoint{-1, state_});
  return *draft_point_;
}

void HybridSequence::keep_draft_point() {
  draft_point_storage().length = kv_.length();
  draft_point_->state.copy_from(state_);
  draft_point_due_ = -1;
}

void HybridSequence::keep_draft_point_after_next_token() {
  draft_point_storage().length = -1;  // not known until the forward pass fills it
  draft_point_due_ = kv_.length() + 1;
}

DeltaNetState* HybridSequence::draft_point_to_fill() {
  const int64_t due = std::exchange(draft_point_due_, -1);
  // Only for the forward that feeds the position right after the request (a rewind or a clear
  // in between, or another forward first, and the point is not taken).
  if (due < 0 || due != kv_.length() + 1) return nullptr;
  draft_point_->length = due;  // filled by the forward pass now starting
  return &draft_point_->state;
}

void HybridSequence::checkpoint() {
  const int64_t length = kv_.length();
  if (length == 0) return;
  auto it = std::find_if(checkpoints_.begin(), checkpoints_.end(),
                         [&](const Checkpoint& c) { return c.length >= length; });
  if (it != checkpoints_.end() && it->length == length) {
    it->state.copy_from(state_);  // the same positions: the state is the same, refreshed anyway
    return;
  }
  if (checkpoints_.size() == kMaxCheckpoints) {
    // Reuse the shortest one's storage: the later boundaries save more recomputation.
    Checkpoint oldest = std::move(checkpoints_.front());
    checkpoints_.erase(checkpoints_.begin());
    oldest.length = length;
    oldest.state.copy_from(state_);
    it = std::find_if(checkpoints_.begin(), checkpoints_.end(), [&](const Checkpoint& c) { return c.length > length; });
    checkpoints_.insert(it, std::move(oldest));
    return;
  }
  checkpoints_.insert(it, Checkpoint{length, state_});
}

void HybridSequence::clear() {
  kv_.clear();
  state_.clear();
  checkpoints_.clear();
  if (draft_point_) draft_point_->length = -1;
  draft_point_due_ = -1;
}

size_t HybridSequence::bytes_for(const ModelConfig& config, int64_t capacity, kernels::KvTypes kv_types) {
  return KvSequence::bytes_for(config, capacity, kv_types) + (2 + kMaxCheckpoints) * DeltaNetState::bytes_for(config);
}

}  // namespace trit::model
