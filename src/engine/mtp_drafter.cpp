#include "engine/mtp_drafter.h"

#include <algorithm>
#include <cstdio>

#include "util/error.h"

namespace trit::engine {

MtpModel::MtpModel(Engine& target)
    : options_(target.options()), vocab_size_(target.tokenizer().vocab_size()) {
  head_ = model::MtpHead::load(target.model(), options_.activations);
  forward_ = std::make_unique<model::ForwardPass>(target.model(), target.pool());
}

std::unique_ptr<model::KvSequence> MtpModel::new_cache() const {
  return std::make_unique<model::KvSequence>(head_->cache_config(), options_.context, options_.kv_types);
}

std::string MtpModel::describe() const {
  const double mib = 1024.0 * 1024.0;
  char line[256];
  std::snprintf(line, sizeof line,
                "MTP head: block %lld of the file drafts, %.0f MiB of weights read per draft, %.1f MiB of KV cache per "
                "sequence",
                static_cast<long long>(head_->model().config().n_layers), static_cast<double>(head_->weight_bytes()) / mib,
                static_cast<double>(model::KvSequence::bytes_for(head_->cache_config(), options_.context, options_.kv_types)) /
                    mib);
  return line;
}

MtpDrafter::MtpDrafter(std::shared_ptr<MtpModel> model) : model_(std::move(model)) {}

std::span<const float> MtpDrafter::catch_up(std::span<const int32_t> history, model::SequenceMemory& target) {
  if (!cache_) cache_ = model_->new_cache();
  model::HiddenRows& hidden = target.hidden_rows();
  // Row p needs h_p (fed positions: p < fed) and token p + 1 (known: p + 1 < history.size()).
  const int64_t fed = std::min<int64_t>(target.length(), static_cast<int64_t>(history.size()) - 1);
  if (fed < 1 || hidden.first() > fed - 1 || hidden.end() < fed) return {};
  // Keep the rows whose tokens the history still has, and recompute the newest one (its logits
  // draft); start over where the rows needed are no longer held.
  int64_t keep = 0;
  if (base_ <= fed - 1) {
    const size_t common =
        std::mismatch(held_.begin(), held_.end(), history.begin(), history.end()).first - held_.begin();
    keep = std::clamp<int64_t>(std::min<int64_t>(static_cast<int64_t>(common) - 1 - base_, fed - 1 - base_), 0,
                               cache_->length());
  }
  if (base_ > fed - 1 || base_ + keep < hidden.first()) {
    base_ = hidden.first();
    keep = 0;
  }
  if (!cache_->rewind(keep)) cache_->clear();
  const std::vector<float>* logits = nullptr;
  for (int64_t p = base_ + keep; p < fed;) {
    const int64_t n = std::min(fed - p, model_->batch());
    logits = &model_->forward().run_mtp(model_->head(), *cache_, history.subspan(static_cast<size_t>(p + 1), static_cast<size_t>(n)),
                                        hidden.row(p));
    p += n;
  }
  held_.assign(history.begin(), history.begin() + fed + 1);
  // The rows before the newest are in the cache; the newest is read again next time.
  hidden.drop_before(fed - 1);
  const std::span<const float> out = model_->forward().mtp_hidden();
  ahead_.assign(out.begin(), out.end());
  return std::span<const float>(logits->data(), logits->size());
}

std::span<const float> MtpDrafter::step_ahead(int32_t token) {
  const std::vector<float>& logits = model_->forward().run_mtp(model_->head(), *cache_, std::span<const int32_t>(&token, 1),
                                                               ahead_.data());
  const std::span<const float> out = model_->forward().mtp_hidden();
  ahead_.assign(out.begin(), out.end());
  return std::span<const float>(logits.data(), logits.size());
}

void MtpDrafter::forget() {
  if (cache_) cache_->clear();
  held_.clear();
}

void MtpDrafter::observe(std::span<const int32_t> history, model::SequenceMemory& target) {
  if (history.size() < 2) return;
  try {
    catch_up(history, target);
  } catch (...) {
    forget();
    throw;
  }
}

std::vector<int32_t> MtpDrafter::draft(std::span<const int32_t> history, model::SequenceMemory& target,
                                       const DraftLimits& limits) {
  if (limits.max_tokens == 0 || history.size() < 2) return {};
  try {
    return decode(history, target, limits);
  } catch (...) {
    forget();
    throw;
  }
}

std::vector<int32_t> MtpDrafter::decode(std::span<const int32_t> history, model::SequenceMemory& target,
                                        const DraftLimits& limits) {
  std::span<const float> row = catch_up(history, target);
  if (row.empty()) return {};
  const int64_t real_rows = cache_->length();
  // Tokens the history has past the target's memory (recurrent state feeds accepted drafts again):
  // the head steps over them before it guesses.
  for (size_t p = held_.size(); p < history.size(); ++p) row = step_ahead(history[p]);
  std::vector<int32_t> drafts;
  for (;;) {
    const int32_t token = most_likely_draft(row, model_->vocab_size(), limits, biased_);
    if (token < 0) break;
    drafts.push_back(token);
    if (drafts.size() == limits.max_tokens) break;
    row = step_ahead(token);
  }
  // Only rows from the model's own hidden states stay.
  if (!cache_->rewind(real_rows)) cache_->clear();
  return drafts;
}

}  // namespace trit::engine
