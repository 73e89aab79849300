#include "engine/draft_model.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "util/error.h"
#include "util/memory_info.h"

namespace trit::engine {

DraftModel::DraftModel(const std::string& path, Engine& target)
    : path_(path), options_(target.options()), batch_(target.options().batch) {
  model_ = model::Model::load(path, options_.activations);
  tokenizer_ = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::from_gguf(model_->file()));
  const tokenizer::Tokenizer& theirs = target.tokenizer();
  if (tokenizer_->vocab_size() != theirs.vocab_size())
    fail("the draft model ", path, " has a vocabulary of ", tokenizer_->vocab_size(), " tokens, the model ",
         theirs.vocab_size(), ": a draft model must share the model's vocabulary");
  for (size_t id = 0; id < theirs.vocab_size(); ++id) {
    const auto i = static_cast<int32_t>(id);
    if (tokenizer_->token_bytes(i) != theirs.token_bytes(i))
      fail("the draft model ", path, " has another vocabulary than the model (token ", id, " is \"",
           tokenizer_->token_text(i), "\" there, \"", theirs.token_text(i),
           "\" in the model): a draft model must share the model's vocabulary");
  }
  if (static_cast<int64_t>(tokenizer_->vocab_size()) > model_->config().n_vocab)
    fail(path, ": the tokenizer has ", tokenizer_->vocab_size(), " tokens but the embedding only ",
         model_->config().n_vocab, " rows");
  forward_ = std::make_unique<model::ForwardPass>(*model_, target.pool());
}

std::unique_ptr<model::SequenceMemory> DraftModel::new_memory() const {
  if (const std::optional<size_t> available = available_memory_bytes())
    check_sequence_fits(*forward_, options_, *available);
  return forward_->new_memory(options_.context, options_.kv_types);
}

std::string DraftModel::describe() const {
  const double mib = 1024.0 * 1024.0;
  char line[512];
  std::snprintf(line, sizeof line, "draft model %s: %.0f MiB, %s weights, %.2f B parameters, %.1f MiB of memory per sequence",
                std::filesystem::path(path_).filename().string().c_str(),
                static_cast<double>(std::filesystem::file_size(path_)) / mib, model_->lm_head().view().type->name,
                static_cast<double>(model_->parameter_count()) / 1e9,
                static_cast<double>(forward_->memory_bytes(options_.context, options_.kv_types)) / mib);
  return line;
}

ModelDrafter::ModelDrafter(std::shared_ptr<DraftModel> model) : model_(std::move(model)) {}

std::span<const float> ModelDrafter::catch_up(std::span<const int32_t> history) {
  if (!memory_) memory_ = model_->new_memory();
  const size_t held = std::min(held_.size(), static_cast<size_t>(memory_->length()));
  size_t common = 0;
  while (common < held && common < history.size() && held_[common] == history[common]) ++common;
  if (common == history.size()) --common;  // the newest token is fed again: its logits row drafts
  int64_t keep = memory_->rewind_point(static_cast<int64_t>(common));
  if (!memory_->rewind(keep)) {
    memory_->clear();
    keep = 0;
  }
  held_.assign(history.begin(), history.begin() + keep);
  const auto n_vocab = static_cast<size_t>(model_->model().config().n_vocab);
  const std::vector<float>* logits = nullptr;
  for (auto at = static_cast<size_t>(keep); at < history.size();) {
    const size_t n = std::min(history.size() - at, static_cast<size_t>(model_->batch()));
    const model::SequenceStep step{memory_.get(), history.subspan(at, n), false};
    logits = &model_->forward().run(std::span<const model::SequenceStep>(&step, 1));
    held_.insert(held_.end(), history.begin() + static_cast<long>(at), history.begin() + static_cast<long>(at + n));
    at += n;
  }
  return std::span<const float>(logits->data(), n_vocab);
}

std::vector<int32_t> ModelDrafter::draft(std::span<const int32_t> history, model::SequenceMemory& /*target*/,
                                         const DraftLimits& limits) {
  if (limits.max_tokens == 0 || history.empty()) return {};
  try {
    return decode(history, limits);
  } catch (...) {  // a failed forward may leave the memory half written
    if (memory_) memory_->clear();
    held_.clear();
    throw;
  }
}

std::vector<int32_t> ModelDrafter::decode(std::span<const int32_t> history, const DraftLimits& limits) {
  std::span<const float> row = catch_up(history);
  // Recurrent state returns here when the target refuses a draft (a KV cache just drops positions).
  memory_->keep_draft_point();
  std::vector<int32_t> drafts;
  const auto n_vocab = static_cast<size_t>(model_->model().config().n_vocab);
  for (;;) {
    const int32_t token = most_likely_draft(row, model_->vocab_size(), limits, biased_);
    if (token < 0) break;
    drafts.push_back(token);
    if (drafts.size() == limits.max_tokens) break;
    const model::SequenceStep step{memory_.get(), std::span<const int32_t>(&drafts.back(), 1), false};
    row = std::span<const float>(model_->forward().run(std::span<const model::SequenceStep>(&step, 1)).data(), n_vocab);
    held_.push_back(token);
  }
  return drafts;
}

}  // namespace trit::engine
